import COpenSSL
import CTandemShims
import SRTP

/// The `SSL_CTX` endpoints are made from: DTLS 1.2 only, ECDHE with AEAD (CBC as fallback) suites, P-256 and
/// X25519, the certificate, use_srtp (RFC 5764 §4.1.1) and a peer-certificate request (RFC 5763 §5).
///
/// Building it costs 0.15–0.3 ms, so a Peer builds it once, when it is created, rather than on the
/// connection's critical path. OpenSSL reference-counts it and locks it internally, so endpoints may
/// be made from it on any thread; each `SSL` made from it keeps it alive.
public final class DTLSContext: @unchecked Sendable {
    let context: OpaquePointer  // SSL_CTX

    public init(certificate: DTLSCertificate, srtpProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]) throws(DTLSError) {
        OpenSSLErrorQueue.clear()
        context = try Self.make(certificate: certificate, srtpProfiles: srtpProfiles)
    }

    deinit { SSL_CTX_free(context) }

    static let cipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
    ].joined(separator: ":")

    /// A configured context (the caller frees it with `SSL_CTX_free`).
    private static func make(certificate: DTLSCertificate, srtpProfiles: [SRTPProtectionProfile]) throws(DTLSError) -> OpaquePointer {
        guard !srtpProfiles.isEmpty else { throw .openSSL("at least one SRTP protection profile is needed") }
        guard let context = SSL_CTX_new(DTLS_method()) else {
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "SSL_CTX_new failed"))
        }
        let profiles = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        let ok = tandem_ssl_ctx_set_min_proto_version(context, DTLS1_2_VERSION) == 1
            && tandem_ssl_ctx_set_max_proto_version(context, DTLS1_2_VERSION) == 1
            && SSL_CTX_set_cipher_list(context, cipherList) == 1
            && tandem_ssl_ctx_set1_groups_list(context, "X25519:P-256") == 1
            && SSL_CTX_use_certificate(context, certificate.certificate) == 1
            && SSL_CTX_use_PrivateKey(context, certificate.key) == 1
            && SSL_CTX_check_private_key(context) == 1
            && SSL_CTX_set_tlsext_use_srtp(context, profiles) == 0  // 0 means success here
        guard ok else {
            SSL_CTX_free(context)
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "configuring the DTLS context failed"))
        }
        // The link MTU is set explicitly; never ask the (non-existent) socket. No renegotiation, no tickets.
        SSL_CTX_set_options(context, tandem_ssl_op_no_query_mtu() | tandem_ssl_op_no_renegotiation() | tandem_ssl_op_no_ticket())
        // Request the peer's certificate on both sides and fail without one. Its fingerprint is the whole check
        // (`verifyPeerCertificate`, in place of OpenSSL's chain building: a self-signed certificate has no chain).
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        SSL_CTX_set_cert_verify_callback(context, verifyPeerCertificate, nil)
        return context
    }
}
