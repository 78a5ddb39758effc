import CSRTP

/// libsrtp's process-wide setup. `srtp_init` registers the crypto kernel once per process; Swift runs the
/// initializer of a global `let` exactly once, atomically, on first use, so concurrent first sessions are safe.
/// Beyond that, Tandem relies on libsrtp only with contexts that are never shared between threads: each
/// `SRTPSession` belongs to one owner (design notes §2).
enum LibSRTP {
    private static let initialization: srtp_err_status_t = {
        let status = srtp_init()
        if status == srtp_err_status_ok { keepCryptoBackendLoaded() }
        return status
    }()

    static func ensureInitialized() throws(SRTPError) {
        guard initialization == srtp_err_status_ok else {
            throw .libsrtp(status: Int32(initialization.rawValue), operation: "srtp_init")
        }
    }

    /// Debian's libsrtp2 is built against NSS, which shuts down when the last cipher context is freed and
    /// starts again (loading its libraries, 1.2–1.8 ms here) for the next session: one session per cipher
    /// suite stays alive for the life of the process so that sessions are created in about 50 µs.
    private static func keepCryptoBackendLoaded() {
        for policySetter in [srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_rtp_default] {
            var policy = srtp_policy_t()
            policySetter(&policy.rtp)
            policySetter(&policy.rtcp)
            policy.ssrc.type = ssrc_any_outbound
            var key = [UInt8](repeating: 0, count: 30)
            var session: OpaquePointer?
            _ = key.withUnsafeMutableBufferPointer { buffer in
                policy.key = buffer.baseAddress
                return srtp_create(&session, &policy)
            }
            // Deliberately never deallocated: it lives as long as the process.
        }
    }

    /// Bytes `srtp_protect` may append (authentication tag and MKI).
    static let maximumTrailerLength = Int(SRTP_MAX_TRAILER_LEN)
}
