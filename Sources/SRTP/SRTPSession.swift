import CSRTP

/// SRTP and SRTCP protection for one DTLS-SRTP association (RFC 5764), over libsrtp2.
///
/// Single owner, not thread-safe (libsrtp contexts are never shared between threads).
public final class SRTPSession {
    /// The local DTLS role, which decides which half of the keying material protects what we send.
    public enum Role: Sendable, Hashable {
        case client
        case server
    }

    public let profile: SRTPProtectionProfile
    private let outbound: SRTPContext
    private let inbound: SRTPContext

    /// - Parameters:
    ///   - keyingMaterial: `EXTRACTOR-dtls_srtp` output, laid out client_write_key ‖ server_write_key ‖
    ///     client_write_salt ‖ server_write_salt (RFC 5764 §4.2).
    ///   - role: the local DTLS role; the client sends with the client key and salt.
    ///   - replayWindow: SRTP replay window in packets (RFC 3711 §3.3.2); 1024 suits video bursts.
    public init(profile: SRTPProtectionProfile, keyingMaterial: [UInt8], role: Role, replayWindow: Int = 1024) throws(SRTPError) {
        guard keyingMaterial.count == profile.keyingMaterialLength else {
            throw .invalidKeyingMaterial(expected: profile.keyingMaterialLength, actual: keyingMaterial.count)
        }
        let keyLength = profile.masterKeyLength
        let saltLength = profile.masterSaltLength
        let clientKey = Array(keyingMaterial[0..<keyLength])
        let serverKey = Array(keyingMaterial[keyLength..<2 * keyLength])
        let clientSalt = Array(keyingMaterial[2 * keyLength..<2 * keyLength + saltLength])
        let serverSalt = Array(keyingMaterial[2 * keyLength + saltLength..<2 * (keyLength + saltLength)])
        let (sendKey, sendSalt, receiveKey, receiveSalt) = role == .client
            ? (clientKey, clientSalt, serverKey, serverSalt)
            : (serverKey, serverSalt, clientKey, clientSalt)
        self.profile = profile
        outbound = try SRTPContext(profile: profile, masterKey: sendKey, masterSalt: sendSalt,
                                   direction: .outbound, replayWindow: replayWindow)
        inbound = try SRTPContext(profile: profile, masterKey: receiveKey, masterSalt: receiveSalt,
                                  direction: .inbound, replayWindow: replayWindow)
    }

    /// Encrypts and authenticates an RTP packet (RFC 3711 §3.3, RFC 7714 §8).
    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var buffer = Self.copyWithTrailerRoom(packet)
        try protectRTP(&buffer)
        return buffer
    }

    /// In-place form of `protectRTP(_:)`: a buffer reused with `maximumTrailerLength` spare capacity
    /// is protected without any allocation.
    public func protectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        try Self.checkRTP(packet)
        try outbound.apply(srtp_protect, to: &packet, growing: true, operation: "srtp_protect")
    }

    /// Verifies and decrypts an SRTP packet; refuses replays and failed tags.
    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var buffer = packet
        try unprotectRTP(&buffer)
        return buffer
    }

    public func unprotectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        try Self.checkRTP(packet)
        try inbound.apply(srtp_unprotect, to: &packet, growing: false, operation: "srtp_unprotect")
    }

    /// Encrypts and authenticates an RTCP compound packet (RFC 3711 §3.4).
    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var buffer = Self.copyWithTrailerRoom(packet)
        try protectRTCP(&buffer)
        return buffer
    }

    public func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try Self.checkRTCP(packet)
        try outbound.apply(srtp_protect_rtcp, to: &packet, growing: true, operation: "srtp_protect_rtcp")
    }

    /// Verifies and decrypts an SRTCP packet.
    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var buffer = packet
        try unprotectRTCP(&buffer)
        return buffer
    }

    public func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try Self.checkRTCP(packet)
        try inbound.apply(srtp_unprotect_rtcp, to: &packet, growing: false, operation: "srtp_unprotect_rtcp")
    }

    /// Bytes protecting may add to a packet (authentication tag and MKI): spare capacity to reserve.
    public static let maximumTrailerLength = LibSRTP.maximumTrailerLength

    /// One allocation of exactly the size protecting can need, and one copy.
    private static func copyWithTrailerRoom(_ packet: [UInt8]) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(packet.count + maximumTrailerLength)
        buffer.append(contentsOf: packet)
        return buffer
    }

    /// RTP fixed header: 12 bytes, version 2 (RFC 3550 §5.1).
    private static func checkRTP(_ packet: [UInt8]) throws(SRTPError) {
        guard packet.count >= 12 else { throw .malformedPacket("RTP packet of \(packet.count) bytes is shorter than its 12-byte header") }
        guard packet[0] >> 6 == 2 else { throw .malformedPacket("RTP version \(packet[0] >> 6), expected 2") }
    }

    /// RTCP header and sender SSRC: 8 bytes, version 2 (RFC 3550 §6.4).
    private static func checkRTCP(_ packet: [UInt8]) throws(SRTPError) {
        guard packet.count >= 8 else { throw .malformedPacket("RTCP packet of \(packet.count) bytes is shorter than 8 bytes") }
        guard packet[0] >> 6 == 2 else { throw .malformedPacket("RTCP version \(packet[0] >> 6), expected 2") }
    }
}
