import CSRTP
import SRTP

/// libsrtp2 called directly, without the `SRTP` module: the baseline `SRTPSession` is measured against.
/// One session for one direction, keyed like `SRTPSession` keys its own (same policy, same replay window).
final class DirectLibSRTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let session: OpaquePointer  // srtp_t
    /// Bytes libsrtp may append to a packet (tag and MKI); every buffer keeps this much room.
    static let trailerRoom = Int(SRTP_MAX_TRAILER_LEN)

    /// libsrtp 2.5's `srtp_init` fails when called a second time in a process, and the `SRTP` module calls
    /// it on first use; so the baseline lets the module initialize libsrtp (one throwaway session) instead.
    private static let initialized: Bool = {
        let anyKeys = [UInt8](repeating: 1, count: SRTPProtectionProfile.aeadAES128GCM.keyingMaterialLength)
        return (try? SRTPSession(profile: .aeadAES128GCM, keyingMaterial: anyKeys, role: .client)) != nil
    }()

    /// - Parameter keyAndSalt: master key ‖ master salt, as libsrtp wants them.
    init(profile: SRTPProtectionProfile, keyAndSalt: [UInt8], inbound: Bool) throws {
        guard Self.initialized else { throw Failure(description: "libsrtp could not be initialized") }
        var policy = srtp_policy_t()
        switch profile {
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        }
        policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = 1024
        policy.allow_repeat_tx = 0
        var key = keyAndSalt
        var created: OpaquePointer?
        let status = key.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else { throw Failure(description: "srtp_create failed: \(status)") }
        session = created
    }

    deinit { srtp_dealloc(session) }

    /// Writes a 12-byte RTP header (version 2, PT 96, SSRC 0x5A5A5A5A) for `sequence` at `bytes`.
    @inline(__always)
    static func writeHeader(_ bytes: UnsafeMutableRawPointer, sequence: Int) {
        let header = bytes.assumingMemoryBound(to: UInt8.self)
        header[0] = 0x80
        header[1] = 96
        header[2] = UInt8(truncatingIfNeeded: sequence >> 8)
        header[3] = UInt8(truncatingIfNeeded: sequence)
        header[4] = UInt8(truncatingIfNeeded: sequence >> 24)
        header[5] = UInt8(truncatingIfNeeded: sequence >> 16)
        header[6] = UInt8(truncatingIfNeeded: sequence >> 8)
        header[7] = UInt8(truncatingIfNeeded: sequence)
        for offset in 8..<12 { header[offset] = 0x5A }
    }
}
