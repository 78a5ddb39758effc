import COpenSSL
import CTandemShims
import Glibc

/// A key pair and self-signed X.509 certificate for DTLS, as WebRTC endpoints use them: a fresh key, a random
/// serial, a short validity; trust comes from the fingerprint exchanged over signaling (RFC 5763 §5), not a CA.
///
/// Sendable: the OpenSSL key and certificate are never modified after creation, and OpenSSL's reference
/// counting is atomic, so several endpoints on different threads may use one certificate.
public final class DTLSCertificate: @unchecked Sendable {
    public enum KeyType: Sendable, Hashable {
        /// ECDSA on P-256, what browsers and aiortc use (aiortc offers only ECDHE-ECDSA suites).
        case ecdsaP256
        /// RSA with the given modulus size, for interoperating with peers that still present RSA certificates.
        case rsa(bits: Int)
    }

    let key: OpaquePointer  // EVP_PKEY
    let certificate: OpaquePointer  // X509
    /// SHA-256 fingerprint of the DER certificate, for `a=fingerprint` (RFC 8122 §5).
    public let fingerprint: DTLSFingerprint

    /// Generates a key and a self-signed certificate valid from one day before `validFrom` (clock-skew margin)
    /// until `validity` after it. The serial comes from `generator`; the key from OpenSSL's own random source.
    public init(
        keyType: KeyType = .ecdsaP256,
        commonName: String = "tandem",
        validity: Duration = .seconds(30 * 24 * 3600),
        validFrom unixSeconds: Int = time(nil),
        using generator: inout some RandomNumberGenerator
    ) throws(DTLSError) {
        OpenSSLErrorQueue.clear()
        let generatedKey: OpaquePointer? = switch keyType {
        case .ecdsaP256: tandem_generate_ec_p256_key()
        case let .rsa(bits): tandem_generate_rsa_key(UInt32(clamping: bits))
        }
        guard let key = generatedKey else {
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "key generation failed"))
        }
        guard let certificate = X509_new() else {
            EVP_PKEY_free(key)
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "X509_new failed"))
        }
        do {
            try Self.fill(certificate, key: key, commonName: commonName, validity: validity,
                          validFrom: unixSeconds, serial: generator.bytes(8))
            self.fingerprint = try Self.fingerprint(of: certificate, algorithm: "sha-256")
        } catch {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
        self.certificate = certificate
    }

    /// Generates with the system's random source.
    public convenience init(keyType: KeyType = .ecdsaP256, commonName: String = "tandem") throws(DTLSError) {
        var generator = SystemRandomNumberGenerator()
        try self.init(keyType: keyType, commonName: commonName, using: &generator)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    private static func fill(
        _ certificate: OpaquePointer, key: OpaquePointer, commonName: String, validity: Duration,
        validFrom unixSeconds: Int, serial: [UInt8]
    ) throws(DTLSError) {
        // A positive serial of up to 63 bits (RFC 5280 §4.1.2.2 asks for a positive integer).
        var serialNumber: UInt64 = 0
        for byte in serial { serialNumber = serialNumber << 8 | UInt64(byte) }
        serialNumber = max(1, serialNumber & 0x7FFF_FFFF_FFFF_FFFF)
        var start = time_t(unixSeconds)
        let validitySeconds = Int(validity.components.seconds)
        let name = X509_get_subject_name(certificate)
        let ok = X509_set_version(certificate, 2) == 1  // X.509 v3
            && ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serialNumber) == 1
            && X509_time_adj_ex(X509_getm_notBefore(certificate), -1, 0, &start) != nil
            && X509_time_adj_ex(X509_getm_notAfter(certificate), 0, validitySeconds, &start) != nil
            && X509_set_pubkey(certificate, key) == 1
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1
            && X509_set_issuer_name(certificate, name) == 1
            && X509_sign(certificate, key, EVP_sha256()) > 0
        guard ok else { throw .openSSL(OpenSSLErrorQueue.drain(fallback: "building the certificate failed")) }
    }

    /// The certificate's fingerprint with another RFC 8122 hash function (`sha-1`, `sha-256`, `sha-384`, `sha-512`).
    public func fingerprint(algorithm: String) throws(DTLSError) -> DTLSFingerprint {
        try Self.fingerprint(of: certificate, algorithm: algorithm.lowercased())
    }

    /// The fingerprint of `certificate` (an `X509*`) with the RFC 8122 hash function `algorithm`.
    static func fingerprint(of certificate: OpaquePointer, algorithm: String) throws(DTLSError) -> DTLSFingerprint {
        let digest: OpaquePointer? = switch algorithm {
        case "sha-1": EVP_sha1()
        case "sha-256": EVP_sha256()
        case "sha-384": EVP_sha384()
        case "sha-512": EVP_sha512()
        default: nil
        }
        guard let digest else { throw .invalidFingerprint("unsupported hash function \"\(algorithm)\"") }
        var buffer = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, digest, &buffer, &length) == 1 else {
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "X509_digest failed"))
        }
        return DTLSFingerprint(algorithm: algorithm, bytes: Array(buffer.prefix(Int(length))))
    }
}
