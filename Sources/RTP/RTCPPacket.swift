import TandemBase

/// One RTCP packet of a compound packet (RFC 3550 §6).
public enum RTCPPacket: Equatable, Sendable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    /// RTPFB (205) or PSFB (206) feedback (RFC 4585 §6.1).
    case feedback(RTCPFeedback)
    /// Any other packet type; `bytes` is the whole packet as received, common header and padding
    /// included, and is written back unchanged.
    case unknown(payloadType: UInt8, bytes: [UInt8])

    static let headerSize = 4

    /// Splits and decodes a compound packet (RFC 3550 §6.1, A.2): every packet must be version 2
    /// and its length must fit; padding (P bit, last octet = count) is removed. The first packet
    /// need not be a report, since reduced-size RTCP (RFC 5506 §3.4.2) sends feedback alone.
    public static func parseCompound(_ bytes: [UInt8]) throws(WireError) -> [RTCPPacket] {
        guard !bytes.isEmpty else { throw .truncated(offset: 0, needed: headerSize) }
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= headerSize else { throw .truncated(offset: offset, needed: headerSize) }
            let first = bytes[offset]
            guard first >> 6 == 2 else { throw .invalid("RTCP version \(first >> 6), expected 2 (RFC 3550 §6.4.1)") }
            let length = ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
            guard offset + length <= bytes.count else {
                throw .invalid("RTCP length \(length) runs past the compound packet (RFC 3550 §6.4.1)")
            }
            var end = offset + length
            if first & 0x20 != 0 {
                let padding = Int(bytes[end - 1])
                guard padding > 0, padding <= length - headerSize else {
                    throw .invalid("RTCP padding count \(padding) does not fit the packet (RFC 3550 §6.4.1)")
                }
                end -= padding
            }
            packets.append(try parseOne(bytes, from: offset, to: end, packetEnd: offset + length))
            offset += length
        }
        return packets
    }

    /// Decodes the packet at `start`; `end` is where its content stops, `packetEnd` where its
    /// padding does.
    private static func parseOne(_ bytes: [UInt8], from start: Int, to end: Int, packetEnd: Int) throws(WireError) -> RTCPPacket {
        let count = bytes[start] & 0x1F
        let payloadType = bytes[start + 1]
        var body = ByteReader(bytes, from: start + headerSize, to: end)
        switch payloadType {
        case RTCPSenderReport.payloadType: return .senderReport(try RTCPSenderReport(count: count, body: &body))
        case RTCPReceiverReport.payloadType: return .receiverReport(try RTCPReceiverReport(count: count, body: &body))
        case RTCPSourceDescription.payloadType:
            return .sourceDescription(try RTCPSourceDescription(count: count, body: &body))
        case RTCPGoodbye.payloadType: return .goodbye(try RTCPGoodbye(count: count, body: &body))
        default:
            if let kind = RTCPFeedback.Kind(rawValue: payloadType) {
                return .feedback(try RTCPFeedback(kind: kind, format: count, body: &body))
            }
            return .unknown(payloadType: payloadType, bytes: Array(bytes[start..<packetEnd]))
        }
    }

    /// Encodes packets back to back into one compound packet (RFC 3550 §6.1).
    public static func serializeCompound(_ packets: [RTCPPacket]) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        for packet in packets { packet.write(into: &writer) }
        return writer.bytes
    }

    /// Encodes this packet alone.
    public func serialize() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        write(into: &writer)
        return writer.bytes
    }

    private func write(into writer: inout ByteWriter) {
        let start = writer.count
        switch self {
        case let .senderReport(report):
            writeHeader(count: report.count, payloadType: RTCPSenderReport.payloadType, into: &writer)
            report.writeBody(into: &writer)
        case let .receiverReport(report):
            writeHeader(count: report.count, payloadType: RTCPReceiverReport.payloadType, into: &writer)
            report.writeBody(into: &writer)
        case let .sourceDescription(description):
            writeHeader(count: description.count, payloadType: RTCPSourceDescription.payloadType, into: &writer)
            description.writeBody(into: &writer)
        case let .goodbye(goodbye):
            writeHeader(count: goodbye.count, payloadType: RTCPGoodbye.payloadType, into: &writer)
            goodbye.writeBody(into: &writer)
        case let .feedback(feedback):
            writeHeader(count: feedback.format & 0x1F, payloadType: feedback.kind.rawValue, into: &writer)
            feedback.writeBody(into: &writer)
        case let .unknown(_, bytes):
            writer.write(bytes: bytes)
            writer.writeZeros((4 - bytes.count % 4) % 4)
            return
        }
        // RFC 3550 §6.4.1: length in 32-bit words minus one, header included.
        writer.overwrite(UInt16((writer.count - start) / 4 - 1), at: start + 2)
    }

    private func writeHeader(count: UInt8, payloadType: UInt8, into writer: inout ByteWriter) {
        writer.write(2 << 6 | count)
        writer.write(payloadType)
        writer.write(UInt16(0))
    }
}
