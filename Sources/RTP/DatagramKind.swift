/// What a datagram on a bundled 5-tuple carries, told from its first bytes (RFC 7983 §7).
public enum DatagramKind: Equatable, Sendable {
    case stun, zrtp, dtls, turnChannel, rtp, rtcp, unknown

    /// RFC 7983 §7: STUN 0–3, ZRTP 16–19, DTLS 20–63, TURN channel 64–79, RTP/RTCP 128–191;
    /// RTCP when the second octet (marker + payload type) is 192–223 (RFC 5761 §4).
    public static func classify(_ datagram: [UInt8]) -> DatagramKind {
        guard let first = datagram.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannel
        case 128...191:
            guard datagram.count >= 2 else { return .unknown }
            return (192...223).contains(datagram[1]) ? .rtcp : .rtp
        default: return .unknown
        }
    }
}
