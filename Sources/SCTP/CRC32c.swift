import CTandemShims
/// CRC32c (Castagnoli), the SCTP checksum (RFC 9260 §6.8 and Appendix B).
///
/// The checksum runs over every byte sent and received, so it must keep up with bulk data-channel
/// transfers: the SSE4.2 crc32 instruction where the CPU has it (C shim), else table-driven, eight
/// bytes per step ("slicing by 8").
public enum CRC32c {
    /// The reflected Castagnoli polynomial 0x1EDC6F41 (RFC 9260 Appendix B).
    static let reflectedPolynomial: UInt32 = 0x82F6_3B78

    /// tables[k][b]: the CRC of byte b followed by k zero bytes.
    static let tables: [[UInt32]] = {
        var first = [UInt32](repeating: 0, count: 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1 }
            first[byte] = crc
        }
        var all = [first]
        for k in 1..<8 {
            let previous = all[k - 1]
            all.append((0..<256).map { byte in (previous[byte] >> 8) ^ first[Int(previous[byte] & 0xFF)] })
        }
        return all
    }()

    /// The CRC32c of `bytes` (initial value all ones, final complement, as RFC 9260 Appendix B).
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        update(&crc, bytes)
        return ~crc
    }

    /// Folds `bytes` into a running (not yet complemented) CRC.
    static func update(_ crc: inout UInt32, _ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(&crc, UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update(&crc, $0) }
        }
    }

    /// Whether the CPU has the SSE4.2 crc32 instruction (checked once).
    static let hardware = tandem_crc32c_hardware_available() != 0

    static func update(_ crc: inout UInt32, _ buffer: UnsafeRawBufferPointer) {
        guard hardware else { return tableUpdate(&crc, buffer) }
        if let base = buffer.baseAddress { crc = tandem_crc32c_hardware_update(crc, base, buffer.count) }
    }

    /// The portable path, also checked against the hardware one in the tests.
    static func tableUpdate(_ crc: inout UInt32, _ buffer: UnsafeRawBufferPointer) {
        tables.withUnsafeBufferPointer { tables in
            let t0 = tables[0], t1 = tables[1], t2 = tables[2], t3 = tables[3]
            let t4 = tables[4], t5 = tables[5], t6 = tables[6], t7 = tables[7]
            var value = crc
            var index = 0
            let count = buffer.count
            while count - index >= 8 {
                let low = value ^ (UInt32(buffer[index]) | UInt32(buffer[index + 1]) << 8
                    | UInt32(buffer[index + 2]) << 16 | UInt32(buffer[index + 3]) << 24)
                value = t7[Int(low & 0xFF)] ^ t6[Int((low >> 8) & 0xFF)] ^ t5[Int((low >> 16) & 0xFF)]
                    ^ t4[Int(low >> 24)] ^ t3[Int(buffer[index + 4])] ^ t2[Int(buffer[index + 5])]
                    ^ t1[Int(buffer[index + 6])] ^ t0[Int(buffer[index + 7])]
                index += 8
            }
            while index < count {
                value = (value >> 8) ^ t0[Int((value ^ UInt32(buffer[index])) & 0xFF)]
                index += 1
            }
            crc = value
        }
    }

    /// The checksum of a whole SCTP packet, computed as if its checksum field (bytes 8..<12) were zero
    /// (RFC 9260 §6.8), without copying the packet. The packet must be at least 12 bytes long.
    static func packetChecksum(_ packet: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        update(&crc, UnsafeRawBufferPointer(rebasing: packet[0..<8]))
        let table = tables[0]
        for _ in 0..<4 { crc = (crc >> 8) ^ table[Int(crc & 0xFF)] }
        update(&crc, UnsafeRawBufferPointer(rebasing: packet[12...]))
        return ~crc
    }
}
