import TandemBase

/// An SCTP packet: the common header and its chunks (RFC 9260 §3.1). Over DTLS (RFC 8261) one
/// packet is one DTLS record; there is no IP layer, so the ports and checksum are all that is left.
struct SCTPPacket: Equatable, Sendable {
    var sourcePort: UInt16
    var destinationPort: UInt16
    var verificationTag: UInt32
    var chunks: [SCTPChunk]
    /// Parameters of a received INIT or INIT ACK that we did not recognise and must report (§3.2.1).
    var unrecognizedParameters: [[UInt8]] = []

    static let headerSize = 12

    /// Decodes a packet, checking its CRC32c first (§6.8: a packet with a wrong checksum is discarded).
    static func decode(_ bytes: [UInt8]) throws(WireError) -> SCTPPacket {
        guard bytes.count >= headerSize else { throw .truncated(offset: 0, needed: headerSize) }
        let received = UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
        let computed = bytes.withUnsafeBytes { CRC32c.packetChecksum($0) }
        guard received == computed else { throw .invalid("CRC32c mismatch") }
        var reader = ByteReader(bytes)
        let source = try reader.readUInt16()
        let destination = try reader.readUInt16()
        let tag = try reader.readUInt32()
        try reader.skip(4)
        var packet = SCTPPacket(sourcePort: source, destinationPort: destination, verificationTag: tag, chunks: [])
        while reader.remaining >= 4 {
            let type = try reader.readUInt8()
            let flags = try reader.readUInt8()
            let length = Int(try reader.readUInt16())
            guard length >= 4 else { throw .invalid("chunk length \(length) below 4") }
            let valueStart = reader.offset
            let valueEnd = valueStart + length - 4
            guard valueEnd <= bytes.count else { throw .truncated(offset: valueStart, needed: length - 4) }
            var unrecognized: [[UInt8]] = []
            packet.chunks.append(try SCTPChunk.decode(type: type, flags: flags, bytes: bytes, valueStart: valueStart,
                                                      valueEnd: valueEnd, unrecognizedParameters: &unrecognized))
            packet.unrecognizedParameters += unrecognized
            // The last chunk's padding may be left out by lenient senders.
            try reader.skip(min(length - 4 + padding(length), reader.remaining))
        }
        guard reader.isAtEnd else { throw .invalid("\(reader.remaining) stray byte(s) after the last chunk") }
        guard !packet.chunks.isEmpty else { throw .invalid("packet without chunks") }
        return packet
    }

    /// Encodes the packet with its CRC32c.
    func encode() -> [UInt8] {
        var writer = Self.startPacket(sourcePort: sourcePort, destinationPort: destinationPort,
                                      verificationTag: verificationTag, capacity: 1500)
        for chunk in chunks { chunk.encode(into: &writer) }
        return Self.finish(&writer)
    }

    static func startPacket(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32, capacity: Int) -> SCTPPacketWriter {
        var writer = SCTPPacketWriter(capacity: capacity)
        writeHeader(sourcePort: sourcePort, destinationPort: destinationPort, verificationTag: verificationTag, into: &writer)
        return writer
    }

    /// The common header with a zero checksum, for `finish` to fill in.
    static func writeHeader(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32, into writer: inout SCTPPacketWriter) {
        writer.write(sourcePort)
        writer.write(destinationPort)
        writer.write(verificationTag)
        writer.write(UInt32(0))
    }

    /// Fills in the checksum, least significant byte first as RFC 9260 Appendix B transmits it.
    static func finish(_ writer: inout SCTPPacketWriter) -> [UInt8] {
        var bytes = writer.take()
        let checksum = bytes.withUnsafeBytes { CRC32c.packetChecksum($0) }
        bytes[8] = UInt8(truncatingIfNeeded: checksum)
        bytes[9] = UInt8(truncatingIfNeeded: checksum >> 8)
        bytes[10] = UInt8(truncatingIfNeeded: checksum >> 16)
        bytes[11] = UInt8(truncatingIfNeeded: checksum >> 24)
        return bytes
    }
}
