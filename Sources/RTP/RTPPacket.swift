import TandemBase

/// An RTP data packet (RFC 3550 §5.1) with RFC 8285 header extensions.
public struct RTPPacket: Equatable, Sendable {
    /// RFC 3550 §5.1: the only version defined.
    public static let version: UInt8 = 2
    /// Size of the fixed header (RFC 3550 §5.1).
    public static let fixedHeaderSize = 12

    public var marker: Bool
    /// 7 bits.
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// At most 15 contributing sources (the CC field is 4 bits).
    public var csrcs: [UInt32]
    /// Extension elements; an empty list means no extension block (X = 0).
    public var extensions: [RTPHeaderExtension]
    public var payload: [UInt8]
    /// Number of padding octets at the end, including the count octet itself; 0 means P = 0.
    public var paddingLength: UInt8

    public init(
        marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
        csrcs: [UInt32] = [], extensions: [RTPHeaderExtension] = [], payload: [UInt8], paddingLength: UInt8 = 0
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensions = extensions
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// The first extension element with this id, if any.
    public func extensionData(id: UInt8) -> [UInt8]? {
        extensions.first { $0.id == id }?.data
    }

    /// Decodes a packet, checking every length against the input (RFC 3550 §5.1, §5.3.1, A.1).
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> RTPPacket {
        try RTPPacket(parsing: bytes)
    }

    private init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let first = try reader.readUInt8()
        guard first >> 6 == Self.version else { throw .invalid("RTP version \(first >> 6), expected 2 (RFC 3550 §5.1)") }
        let hasPadding = first & 0x20 != 0
        let hasExtension = first & 0x10 != 0
        let csrcCount = Int(first & 0x0F)
        let second = try reader.readUInt8()
        marker = second & 0x80 != 0
        payloadType = second & 0x7F
        sequenceNumber = try reader.readUInt16()
        timestamp = try reader.readUInt32()
        ssrc = try reader.readUInt32()
        csrcs = []
        csrcs.reserveCapacity(csrcCount)
        for _ in 0..<csrcCount { csrcs.append(try reader.readUInt32()) }
        extensions = []
        if hasExtension {
            let profile = try reader.readUInt16()
            let words = Int(try reader.readUInt16())
            let start = reader.offset
            try reader.skip(words * 4)
            extensions = try RTPHeaderExtensionBlock.parse(profile: profile, body: bytes[start..<start + words * 4])
        }
        let payloadStart = reader.offset
        var payloadEnd = bytes.count
        paddingLength = 0
        if hasPadding {
            // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
            guard let count = bytes.last, count > 0 else { throw .invalid("RTP padding count is zero (RFC 3550 §5.1)") }
            guard Int(count) <= payloadEnd - payloadStart else {
                throw .invalid("RTP padding of \(count) octets is longer than the payload (RFC 3550 §5.1)")
            }
            paddingLength = count
            payloadEnd -= Int(count)
        }
        payload = Array(bytes[payloadStart..<payloadEnd])
    }

    /// Encoded size in bytes.
    public var serializedSize: Int {
        var size = Self.fixedHeaderSize + 4 * min(csrcs.count, 15) + payload.count + Int(paddingLength)
        if !extensions.isEmpty {
            let oneByte = extensions.allSatisfy(\.fitsOneByteForm)
            let body = extensions.reduce(0) { $0 + (oneByte ? 1 : 2) + $1.data.count }
            size += 4 + (body + 3) / 4 * 4
        }
        return size
    }

    /// Encodes the packet. At most the first 15 CSRCs are written (the CC field is 4 bits);
    /// padding octets are zero with the count in the last one (RFC 3550 §5.1).
    /// The packet's bytes; `spareCapacity` more bytes are reserved so that a transform appending a
    /// trailer in place (an SRTP tag) does not reallocate.
    public func serialize(spareCapacity: Int = 0) -> [UInt8] {
        var writer = ByteWriter(capacity: serializedSize + spareCapacity)
        let csrcCount = min(csrcs.count, 15)
        var first = Self.version << 6 | UInt8(csrcCount)
        if paddingLength > 0 { first |= 0x20 }
        if !extensions.isEmpty { first |= 0x10 }
        writer.write(first)
        writer.write((marker ? 0x80 : 0) | payloadType & 0x7F)
        writer.write(sequenceNumber)
        writer.write(timestamp)
        writer.write(ssrc)
        for csrc in csrcs.prefix(csrcCount) { writer.write(csrc) }
        if !extensions.isEmpty { RTPHeaderExtensionBlock.write(extensions, into: &writer) }
        writer.write(bytes: payload)
        if paddingLength > 0 {
            writer.writeZeros(Int(paddingLength) - 1)
            writer.write(paddingLength)
        }
        return writer.bytes
    }
}
