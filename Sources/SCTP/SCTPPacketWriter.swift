/// Big-endian writer for outgoing packets. Unlike TandemBase's ByteWriter its buffer can be taken
/// out without a copy, so a packet is serialised once into one preallocated array and handed over.
struct SCTPPacketWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes into `storage`'s buffer, taken out of it: a packet buffer handed out before and already
    /// released by its receiver is reused instead of allocating a new one.
    init(reusing storage: inout [UInt8], capacity: Int) {
        bytes = []
        swap(&bytes, &storage)
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    @inline(__always) mutating func write(_ value: UInt8) { bytes.append(value) }

    @inline(__always) mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always) mutating func write(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func write(bytes other: some Collection<UInt8>) { bytes.append(contentsOf: other) }

    mutating func writeZeros(_ count: Int) {
        for _ in 0..<count { bytes.append(0) }
    }

    mutating func overwrite(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Takes the bytes out, leaving the writer empty.
    mutating func take() -> [UInt8] {
        var out: [UInt8] = []
        swap(&out, &bytes)
        return out
    }
}
