/// The SRTP protection profiles Tandem negotiates through DTLS-SRTP (RFC 5764 §4.1.2).
public enum SRTPProtectionProfile: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// AEAD_AES_128_GCM (RFC 7714 §14.2), the preferred profile.
    case aeadAES128GCM
    /// AES128_CM_HMAC_SHA1_80 (RFC 5764 §4.1.2), the mandatory-to-implement fallback.
    case aes128CMHMACSHA1_80

    /// The two-byte SRTPProtectionProfile value in the use_srtp extension.
    public var dtlsProfileID: UInt16 {
        switch self {
        case .aeadAES128GCM: 0x0007  // RFC 7714 §14.2
        case .aes128CMHMACSHA1_80: 0x0001  // RFC 5764 §4.1.2
        }
    }

    /// The profile with this use_srtp value, or nil for one Tandem does not offer.
    public init?(dtlsProfileID: UInt16) {
        guard let profile = Self.allCases.first(where: { $0.dtlsProfileID == dtlsProfileID }) else { return nil }
        self = profile
    }

    /// The name OpenSSL's `SSL_CTX_set_tlsext_use_srtp` understands.
    public var openSSLName: String {
        switch self {
        case .aeadAES128GCM: "SRTP_AEAD_AES_128_GCM"
        case .aes128CMHMACSHA1_80: "SRTP_AES128_CM_SHA1_80"
        }
    }

    /// Master key length in bytes (RFC 7714 §14.2, RFC 5764 §4.1.2).
    public var masterKeyLength: Int { 16 }

    /// Master salt length in bytes: 96 bits for AEAD (RFC 7714 §14.2), 112 bits for AES-CM (RFC 3711 §8.2).
    public var masterSaltLength: Int {
        switch self {
        case .aeadAES128GCM: 12
        case .aes128CMHMACSHA1_80: 14
        }
    }

    /// Bytes of `EXTRACTOR-dtls_srtp` keying material: a key and a salt for each direction (RFC 5764 §4.2).
    public var keyingMaterialLength: Int { 2 * (masterKeyLength + masterSaltLength) }

    public var description: String { openSSLName }
}
