import TandemBase

/// Outcome of checking MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT on received bytes.
public enum STUNCheckResult: Sendable, Equatable {
    case valid
    /// The attribute is absent (RFC 8489 §9.1.3: answer 400 to a request without integrity).
    case missing
    /// Present but wrong, or not where the RFC requires it (RFC 8489 §9.1.3: answer 401).
    case mismatch
}

extension STUNMessage {
    /// Checks the first MESSAGE-INTEGRITY (HMAC-SHA1) of a received message (RFC 8489 §14.5): the HMAC
    /// covers the bytes before the attribute, with the length field counting up to its end.
    public static func verifyMessageIntegrity(_ bytes: [UInt8], key: [UInt8]) -> STUNCheckResult {
        verify(bytes, type: STUNAttributeType.messageIntegrity, key: key) { STUNCrypto.hmacSHA1(key: $0, data: $1) }
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), which may be truncated to 16–32 bytes.
    public static func verifyMessageIntegritySHA256(_ bytes: [UInt8], key: [UInt8]) -> STUNCheckResult {
        verify(bytes, type: STUNAttributeType.messageIntegritySHA256, key: key) { STUNCrypto.hmacSHA256(key: $0, data: $1) }
    }

    /// Checks FINGERPRINT (RFC 8489 §14.7): it must be the last attribute and equal the CRC-32 of the
    /// bytes before it (length field counting it) XOR 0x5354554e.
    public static func verifyFingerprint(_ bytes: [UInt8]) -> STUNCheckResult {
        guard let layout = try? STUNLayout(bytes) else { return .mismatch }
        guard let index = layout.entries.firstIndex(where: { $0.type == STUNAttributeType.fingerprint }) else { return .missing }
        let entry = layout.entries[index]
        guard index == layout.entries.count - 1, entry.length == 4 else { return .mismatch }
        var prefix = Array(bytes[..<entry.headerOffset])
        setLength(&prefix, to: entry.headerOffset + 8 - headerLength)
        let received = bytes[entry.valueRange].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return received == CRC32.checksum(prefix) ^ fingerprintXOR ? .valid : .mismatch
    }

    private static func verify(_ bytes: [UInt8], type: UInt16, key: [UInt8],
                               mac: ([UInt8], [UInt8]) -> [UInt8]) -> STUNCheckResult {
        guard let layout = try? STUNLayout(bytes) else { return .mismatch }
        guard let entry = layout.entries.first(where: { $0.type == type }) else { return .missing }
        var prefix = Array(bytes[..<entry.headerOffset])
        setLength(&prefix, to: entry.headerOffset + 4 + entry.length - headerLength)
        let expected = mac(key, prefix)
        let received = bytes[entry.valueRange]
        guard received.count >= 16, received.count <= expected.count else { return .mismatch }
        return ConstantTime.equal(received, expected.prefix(received.count)) ? .valid : .mismatch
    }

    private static func setLength(_ bytes: inout [UInt8], to length: Int) {
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
    }
}
