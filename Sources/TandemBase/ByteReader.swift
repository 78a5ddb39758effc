/// Errors raised while decoding bytes received from the network.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before a field of `needed` bytes at `offset` could be read.
    case truncated(offset: Int, needed: Int)
    /// A field holds a value the format does not allow.
    case invalid(String)

    public var description: String {
        switch self {
        case let .truncated(offset, needed): "input truncated: \(needed) byte(s) needed at offset \(offset)"
        case let .invalid(reason): "invalid input: \(reason)"
        }
    }
}

/// Reads big-endian (network order) fields from a byte buffer, never past its end.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    private let end: Int

    public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    private mutating func take(_ count: Int) throws(WireError) -> Int {
        guard count >= 0, remaining >= count else { throw .truncated(offset: offset, needed: count) }
        let start = offset
        offset += count
        return start
    }

    public mutating func readUInt8() throws(WireError) -> UInt8 {
        bytes[try take(1)]
    }

    public mutating func readUInt16() throws(WireError) -> UInt16 {
        let i = try take(2)
        return UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
    }

    public mutating func readUInt24() throws(WireError) -> UInt32 {
        let i = try take(3)
        return UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
    }

    public mutating func readUInt32() throws(WireError) -> UInt32 {
        let i = try take(4)
        var value: UInt32 = 0
        for k in 0..<4 { value = value << 8 | UInt32(bytes[i + k]) }
        return value
    }

    public mutating func readUInt64() throws(WireError) -> UInt64 {
        let i = try take(8)
        var value: UInt64 = 0
        for k in 0..<8 { value = value << 8 | UInt64(bytes[i + k]) }
        return value
    }

    public mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
        let i = try take(count)
        return Array(bytes[i..<i + count])
    }

    public mutating func skip(_ count: Int) throws(WireError) {
        _ = try take(count)
    }

    /// The bytes from the current offset to the end, consuming them.
    public mutating func readRest() -> [UInt8] {
        let rest = Array(bytes[offset..<end])
        offset = end
        return rest
    }
}
