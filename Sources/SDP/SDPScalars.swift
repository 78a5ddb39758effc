/// Small lexical helpers shared by the field and attribute readers (RFC 8866 §9 grammar).
enum SDPScalars {
    /// A decimal number made of ASCII digits only (no sign, no spaces); nil when empty, not digits, or too large for `T`.
    static func decimal<T: FixedWidthInteger & UnsignedInteger>(_ text: some StringProtocol, as type: T.Type = T.self) -> T? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return T(text, radix: 10)
    }

    /// Like `decimal`, but throws a readable error naming the field.
    static func requireDecimal<T: FixedWidthInteger & UnsignedInteger>(
        _ text: some StringProtocol, _ field: String, as type: T.Type = T.self
    ) throws(SDPValueError) -> T {
        guard let value = decimal(text, as: T.self) else {
            throw SDPValueError("\(field) '\(text)' is not a decimal number in 0...\(T.max)")
        }
        return value
    }

    /// Space-separated words; runs of spaces count as one separator, leading and trailing spaces are ignored.
    static func words(_ text: some StringProtocol) -> [Substring] {
        Substring(text).split(separator: " ", omittingEmptySubsequences: true)
    }

    /// The text without leading and trailing spaces.
    static func trimmed(_ text: some StringProtocol) -> Substring {
        let text = Substring(text)
        let start = text.firstIndex { $0 != " " } ?? text.endIndex
        let end = text[start...].lastIndex { $0 != " " }.map { text.index(after: $0) } ?? start
        return text[start..<end]
    }

    /// RFC 8866 §9 `token-char`: visible ASCII except the separators `"(),/:;<=>?@[\]`, and no space.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: true
        default: false
        }
    }

    /// Splits `text` at the first occurrence of `separator`.
    static func splitOnce(_ text: some StringProtocol, at separator: Character) -> (Substring, Substring?) {
        let text = Substring(text)
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<index], text[text.index(after: index)...])
    }
}
