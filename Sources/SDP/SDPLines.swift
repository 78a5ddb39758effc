/// One `<type>=<value>` line with its 1-based position in the input.
struct SDPLine {
    let number: Int
    let type: Character
    let value: String
}

enum SDPLines {
    /// Splits the input into typed lines. Lines end in CRLF or a bare LF (RFC 8866 §5 asks for CRLF and
    /// recommends accepting LF); empty lines are skipped.
    static func split(_ bytes: [UInt8]) throws(SDPParseError) -> [SDPLine] {
        var lines: [SDPLine] = []
        var number = 0
        for var raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            if raw.last == 0x0D { raw = raw.dropLast() }
            if raw.isEmpty { continue }
            lines.append(try line(raw, number: number))
        }
        return lines
    }

    private static func line(_ raw: ArraySlice<UInt8>, number: Int) throws(SDPParseError) -> SDPLine {
        // RFC 8866 §9: byte-string excludes NUL, CR and LF; other C0 controls (tab aside) and DEL have no place either.
        if let control = raw.first(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            throw SDPParseError(line: number, reason: .invalidCharacter(control))
        }
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw SDPParseError(line: number, reason: .invalidUTF8)
        }
        // RFC 8866 §5: `<type>=<value>`, type is exactly one case-significant character, no spaces around "=".
        let bytes = Array(raw)
        guard bytes.count >= 2, bytes[1] == UInt8(ascii: "="), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else {
            throw SDPParseError(line: number, reason: .malformedLine)
        }
        return SDPLine(number: number, type: Character(Unicode.Scalar(bytes[0])), value: String(text.dropFirst(2)))
    }
}
