import SRTP

/// Which side of the DTLS handshake this endpoint plays (RFC 5763 §5: `a=setup:active` is the client).
public enum DTLSRole: Sendable, Hashable {
    case client
    case server
}

/// What a connected DTLS association yields for SRTP and for the application (RFC 5764 §4.2).
/// Its text forms leave out the keying material, so that logging an event never leaks SRTP keys.
public struct DTLSConnectedInfo: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The protection profile the server selected from the client's use_srtp list.
    public var srtpProfile: SRTPProtectionProfile
    /// `EXTRACTOR-dtls_srtp` output: client key ‖ server key ‖ client salt ‖ server salt (RFC 5764 §4.2).
    public var srtpKeyingMaterial: [UInt8]
    /// The fingerprint of the certificate the peer presented, in the algorithm the caller expected.
    public var remoteFingerprint: DTLSFingerprint

    public var description: String {
        "connected(srtp: \(srtpProfile), keying material: \(srtpKeyingMaterial.count) bytes (redacted), peer: \(remoteFingerprint))"
    }

    public var debugDescription: String { description }
}

/// Output of a `DTLSEndpoint` other than datagrams and timers.
public enum DTLSEvent: Sendable, Hashable {
    /// The handshake completed and the peer's certificate matched the expected fingerprint.
    case connected(DTLSConnectedInfo)
    /// One decrypted application-data record.
    case applicationData([UInt8])
    /// The peer sent close_notify (RFC 5246 §7.2.1).
    case closed
    /// The association is unusable; no further events follow.
    case failed(DTLSError)
}

/// Why a DTLS operation failed; every case carries text a person can act on.
public enum DTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The peer's certificate does not hash to the fingerprint from signaling (RFC 8122 §5, RFC 5763 §5).
    case fingerprintMismatch(expected: DTLSFingerprint, actual: DTLSFingerprint?)
    /// No completed handshake within the handshake time limit.
    case handshakeTimeout
    /// OpenSSL reported a fatal error (its error queue, or the alert the peer sent).
    case handshakeFailed(String)
    /// A fatal error after the handshake (e.g. a bad record MAC alert).
    case connectionFailed(String)
    /// `send` before `.connected`, or after close or failure.
    case notConnected
    /// The application record would not fit in one datagram of the configured MTU.
    case recordTooLarge(size: Int, limit: Int)
    /// An `a=fingerprint` value that could not be parsed or uses an unsupported hash.
    case invalidFingerprint(String)
    /// Certificate generation or context configuration failed inside OpenSSL.
    case openSSL(String)

    public var description: String {
        switch self {
        case let .fingerprintMismatch(expected, actual):
            "peer certificate fingerprint \(actual?.sdpValue ?? "(no certificate)") does not match the expected \(expected.sdpValue) from signaling"
        case .handshakeTimeout: "DTLS handshake did not complete in time"
        case let .handshakeFailed(reason): "DTLS handshake failed: \(reason)"
        case let .connectionFailed(reason): "DTLS connection failed: \(reason)"
        case .notConnected: "DTLS association is not connected"
        case let .recordTooLarge(size, limit): "application record of \(size) bytes exceeds the \(limit)-byte limit"
        case let .invalidFingerprint(reason): "invalid fingerprint: \(reason)"
        case let .openSSL(reason): "OpenSSL: \(reason)"
        }
    }
}
