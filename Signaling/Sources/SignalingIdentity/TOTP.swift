import Crypto
import Foundation
import TandemBase

/// Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1, 30-second steps.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let digits: Int
    public let stepSeconds: Int64

    public init(secret: [UInt8], digits: Int = 6, stepSeconds: Int64 = 30) {
        self.secret = secret
        self.digits = digits
        self.stepSeconds = stepSeconds
    }

    /// From the Base32 text authenticator apps show (RFC 4648 §6); nil if it is not Base32.
    public init?(base32Secret: String, digits: Int = 6) {
        guard let bytes = Base32.decode(base32Secret) else { return nil }
        self.init(secret: bytes, digits: digits)
    }

    /// RFC 4226 §5.3: HMAC of the big-endian counter, dynamic truncation, modulo 10^digits.
    public func code(counter: UInt64) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// RFC 6238 §4.2: T = floor(unix time / step).
    public func code(at unixSeconds: Int64) -> String {
        code(counter: UInt64(max(0, unixSeconds) / stepSeconds))
    }

    /// The time step (T, RFC 6238 §4.2) whose code `candidate` is, among the current step and one either side for
    /// clock drift (RFC 6238 §5.2), compared in constant time per code; nil if none. A verifier remembers the last
    /// step it accepted and accepts only later ones: RFC 6238 §5.2 forbids accepting the same one-time password twice.
    public func matchingStep(_ candidate: String, at unixSeconds: Int64) -> Int64? {
        var matched: Int64?
        for drift in [-stepSeconds, 0, stepSeconds] {
            let time = max(0, unixSeconds + drift)
            if ConstantTime.equal(Array(code(at: time).utf8), Array(candidate.utf8)) { matched = time / stepSeconds }
        }
        return matched
    }
}

/// RFC 4648 §6 Base32, as used for TOTP secrets.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    public static func encode(_ bytes: [UInt8]) -> String {
        var output = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return output
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.uppercased() where character != "=" && character != " " {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return output
    }
}
