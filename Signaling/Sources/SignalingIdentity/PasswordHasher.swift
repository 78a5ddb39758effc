import Crypto
import CryptoExtras
import Foundation
import TandemBase

/// Salted, slow password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt, stored as
/// `pbkdf2-sha256$<rounds>$<salt b64>$<hash b64>`. Verification is constant-time.
public struct PasswordHasher: Sendable {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256, also the least swift-crypto's checked API accepts.
    public static let recommendedRounds = 210_000
    public let rounds: Int

    /// Fewer rounds than recommended are for tests only.
    public init(rounds: Int = PasswordHasher.recommendedRounds) {
        self.rounds = max(1, rounds)
    }

    public func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = generator.bytes(16)
        let derived = try Self.derive(password, salt: salt, rounds: rounds)
        return "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// False for a wrong password and for a malformed stored hash.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds > 0,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])),
              let derived = try? Self.derive(password, salt: Array(salt), rounds: rounds)
        else { return false }
        return ConstantTime.equal(derived, Array(expected))
    }

    static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                    outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
