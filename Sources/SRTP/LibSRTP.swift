import CSRTP

/// libsrtp's process-wide setup. `srtp_init` registers the crypto kernel once per process; Swift runs the
/// initializer of a global `let` exactly once, atomically, on first use, so concurrent first sessions are safe.
/// Beyond that, Tandem relies on libsrtp only with contexts that are never shared between threads: each
/// `SRTPSession` belongs to one owner (design notes §2).
enum LibSRTP {
    private static let initialization: srtp_err_status_t = srtp_init()

    static func ensureInitialized() throws(SRTPError) {
        guard initialization == srtp_err_status_ok else {
            throw .libsrtp(status: Int32(initialization.rawValue), operation: "srtp_init")
        }
    }

    /// Bytes `srtp_protect` may append (authentication tag and MKI).
    static let maximumTrailerLength = Int(SRTP_MAX_TRAILER_LEN)
}
