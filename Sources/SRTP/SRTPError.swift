import CSRTP

/// Why an SRTP or SRTCP packet was refused, or a session could not be built.
public enum SRTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The packet's index was seen before or lies behind the replay window (RFC 3711 §3.3.2).
    case replayed
    /// The authentication tag did not verify: tampered, or keyed differently (RFC 3711 §3.4, RFC 7714 §9).
    case authenticationFailed
    /// Not an RTP/RTCP packet libsrtp can process (too short, wrong version, bad lengths).
    case malformedPacket(String)
    /// The keying material does not have the length the profile needs (RFC 5764 §4.2).
    case invalidKeyingMaterial(expected: Int, actual: Int)
    /// Any other libsrtp status.
    case libsrtp(status: Int32, operation: String)

    public var description: String {
        switch self {
        case .replayed: "SRTP packet replayed or too old for the replay window"
        case .authenticationFailed: "SRTP authentication failed"
        case let .malformedPacket(reason): "malformed SRTP packet: \(reason)"
        case let .invalidKeyingMaterial(expected, actual): "SRTP keying material of \(actual) bytes, expected \(expected)"
        case let .libsrtp(status, operation): "libsrtp \(operation) failed with status \(status)"
        }
    }

    /// Maps a libsrtp status of a protect/unprotect call.
    init(status: srtp_err_status_t, operation: String) {
        switch status {
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: self = .replayed
        case srtp_err_status_auth_fail: self = .authenticationFailed
        case srtp_err_status_bad_param, srtp_err_status_parse_err:
            self = .malformedPacket("libsrtp \(operation) refused its layout (status \(status.rawValue))")
        default: self = .libsrtp(status: Int32(status.rawValue), operation: operation)
        }
    }
}
