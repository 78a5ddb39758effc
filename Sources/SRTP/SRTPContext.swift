import CSRTP

/// One libsrtp session for one direction: all outbound or all inbound SSRCs with one master key and salt.
/// libsrtp creates a stream per SSRC from the wildcard policy when a new SSRC first appears.
final class SRTPContext {
    enum Direction { case outbound, inbound }

    private let session: OpaquePointer  // srtp_t

    init(profile: SRTPProtectionProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: Direction,
         replayWindow: Int) throws(SRTPError) {
        try LibSRTP.ensureInitialized()
        var policy = srtp_policy_t()
        switch profile {
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        }
        policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.window_size = UInt(replayWindow)
        policy.allow_repeat_tx = 0
        policy.next = nil
        var keyAndSalt = masterKey + masterSalt  // libsrtp wants key ‖ salt and copies it
        var created: OpaquePointer?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy)
        }
        keyAndSalt.withUnsafeMutableBufferPointer { $0.initialize(repeating: 0) }
        guard status == srtp_err_status_ok, let created else {
            throw .libsrtp(status: Int32(status.rawValue), operation: "srtp_create")
        }
        session = created
    }

    deinit { srtp_dealloc(session) }

    typealias Transform = (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t

    /// Runs a libsrtp transform in place. Protecting appends up to `SRTP_MAX_TRAILER_LEN` bytes (tag, MKI):
    /// the room is reserved in the caller's buffer, so a buffer reused with spare capacity never reallocates.
    /// Unprotecting only shortens the packet and needs no room.
    func apply(_ transform: Transform, to packet: inout [UInt8], growing: Bool, operation: String) throws(SRTPError) {
        let length = packet.count
        if growing {
            packet.reserveCapacity(length + LibSRTP.maximumTrailerLength)
            packet.append(contentsOf: repeatElement(0, count: LibSRTP.maximumTrailerLength))
        }
        var resultLength = Int32(length)
        let status = packet.withUnsafeMutableBytes { transform(session, $0.baseAddress, &resultLength) }
        guard status == srtp_err_status_ok, resultLength >= 0, Int(resultLength) <= packet.count else {
            packet.removeLast(packet.count - length)
            throw SRTPError(status: status, operation: operation)
        }
        packet.removeLast(packet.count - Int(resultLength))
    }
}
