import RTP
import TandemBase

/// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2): PSFB FMT 15 with
/// media SSRC 0 and an application-layer FCI: "REMB", the SSRC count, the bitrate as a 6-bit
/// exponent and 18-bit mantissa, then the SSRCs it applies to.
public struct ReceiverEstimatedMaximumBitrate: Equatable, Sendable {
    /// PSFB FMT 15, application layer feedback (RFC 4585 §6.4).
    public static let format: UInt8 = 15
    static let identifier: [UInt8] = Array("REMB".utf8)

    /// Bits per second.
    public var bitrate: UInt64
    public var ssrcs: [UInt32]

    public init(bitrate: UInt64, ssrcs: [UInt32]) {
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    /// The REMB in an RTCP message; nil if the message is not a REMB, and throws if it claims to
    /// be one but is malformed.
    public static func from(_ feedback: RTCPFeedback) throws(WireError) -> ReceiverEstimatedMaximumBitrate? {
        guard feedback.kind == .payloadSpecific, feedback.format == format,
              feedback.fci.count >= 4, Array(feedback.fci.prefix(4)) == identifier else { return nil }
        var reader = ByteReader(feedback.fci, from: 4)
        let count = Int(try reader.readUInt8())
        let packed = try reader.readUInt24()
        let exponent = packed >> 18
        let mantissa = UInt64(packed & 0x3_FFFF)
        // 18 bits shifted by up to 63 overflows; such a value means "no limit" in practice.
        let bitrate = exponent > 46 ? UInt64.max : mantissa << exponent
        var ssrcs: [UInt32] = []
        for _ in 0..<count { ssrcs.append(try reader.readUInt32()) }
        return ReceiverEstimatedMaximumBitrate(bitrate: bitrate, ssrcs: ssrcs)
    }

    /// The REMB as an RTCP message; the bitrate is rounded down to what 18 bits of mantissa hold.
    public func rtcp(senderSSRC: UInt32) -> RTCPFeedback {
        var exponent: UInt32 = 0
        var mantissa = bitrate
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent += 1
        }
        var writer = ByteWriter()
        writer.write(bytes: Self.identifier)
        writer.write(UInt8(clamping: ssrcs.count))
        writer.writeUInt24(exponent << 18 | UInt32(mantissa))
        for ssrc in ssrcs.prefix(255) { writer.write(ssrc) }
        return RTCPFeedback(kind: .payloadSpecific, format: Self.format, senderSSRC: senderSSRC, mediaSSRC: 0, fci: writer.bytes)
    }
}
