/// Keys for MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §9).
///
/// Passwords are used as given: OpaqueString preparation (RFC 8265) is the caller's job; ICE
/// passwords are ASCII (RFC 8445 §5.3) and TURN REST passwords are base64, so none needs it.
public enum STUNCredentials {
    /// Short-term credential key: the password bytes (RFC 8489 §9.1.1).
    public static func shortTermKey(password: String) -> [UInt8] { Array(password.utf8) }

    /// Long-term credential key (RFC 8489 §9.2.2): MD5 or SHA-256 of `username:realm:password`.
    public static func longTermKey(username: String, realm: String, password: String,
                                   algorithm: STUNPasswordAlgorithm = .md5) -> [UInt8] {
        let input = Array("\(username):\(realm):\(password)".utf8)
        return algorithm == .sha256 ? STUNCrypto.sha256(input) : STUNCrypto.md5(input)
    }

    /// USERHASH value (RFC 8489 §14.4): SHA-256 of `username:realm`.
    public static func userhash(username: String, realm: String) -> [UInt8] {
        STUNCrypto.sha256(Array("\(username):\(realm)".utf8))
    }
}
