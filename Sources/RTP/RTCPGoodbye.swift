import TandemBase

/// BYE: goodbye, payload type 203 (RFC 3550 §6.6).
public struct RTCPGoodbye: Equatable, Sendable {
    public static let payloadType: UInt8 = 203

    /// At most 31 sources (the SC field is 5 bits).
    public var ssrcs: [UInt32]
    /// Optional reason for leaving; at most 255 bytes of it are written.
    public var reason: String?

    public init(ssrcs: [UInt32], reason: String? = nil) {
        self.ssrcs = ssrcs
        self.reason = reason
    }

    init(count: UInt8, body: inout ByteReader) throws(WireError) {
        ssrcs = []
        ssrcs.reserveCapacity(Int(count))
        for _ in 0..<count { ssrcs.append(try body.readUInt32()) }
        reason = nil
        if !body.isAtEnd {
            let length = Int(try body.readUInt8())
            reason = String(decoding: try body.readBytes(length), as: UTF8.self)
        }
    }

    var count: UInt8 { UInt8(min(ssrcs.count, 31)) }

    func writeBody(into writer: inout ByteWriter) {
        for ssrc in ssrcs.prefix(Int(count)) { writer.write(ssrc) }
        guard let reason else { return }
        let text = Array(reason.utf8.prefix(255))
        writer.write(UInt8(text.count))
        writer.write(bytes: text)
        // RFC 3550 §6.6: pad the reason with nulls to a 32-bit boundary.
        writer.writeZeros((4 - (1 + text.count) % 4) % 4)
    }
}
