/// Why a session description could not be parsed, and on which line (1-based, counting every line of the input).
public struct SDPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    public enum Reason: Equatable, Sendable {
        /// The line is not valid UTF-8 (RFC 8866 §5: text fields are UTF-8 by default).
        case invalidUTF8
        /// The line holds a control character (RFC 8866 §9: byte-string excludes NUL, CR and LF; we also refuse other C0 controls).
        case invalidCharacter(UInt8)
        /// The line is not `<type>=<value>` with a single lower-case letter type (RFC 8866 §5).
        case malformedLine
        /// RFC 8866 §5: a parser must refuse a description with a type letter it does not understand.
        case unknownLineType(Character)
        /// RFC 8866 §5: the description starts with `v=`.
        case missingVersion
        /// RFC 8866 §5.1: only version 0 exists.
        case unsupportedVersion(String)
        /// A line that may appear once appeared again.
        case duplicateLine(Character)
        /// A known line type in a section where it is not allowed (RFC 8866 §5 grammar).
        case misplacedLine(Character)
        /// A required line (`o=`, `s=`, `t=`) is absent; the line number is where it was due.
        case missingLine(Character)
        /// A structured line (`o=`, `c=`, `b=`, `t=`, `m=`) does not follow its grammar.
        case invalidField(Character, String)
        /// `a=` with nothing before the colon, or a name with characters outside RFC 8866 `token`.
        case invalidAttributeName(String)
        /// An attribute this module understands has a value that does not follow its RFC.
        case invalidAttribute(name: String, String)
    }

    public var description: String {
        "SDP line \(line): " + {
            switch reason {
            case .invalidUTF8: "not valid UTF-8"
            case .invalidCharacter(let byte): "control character 0x\(String(byte, radix: 16))"
            case .malformedLine: "not of the form <type>=<value>"
            case .unknownLineType(let type): "unknown line type '\(type)'"
            case .missingVersion: "the description must start with v="
            case .unsupportedVersion(let version): "unsupported version '\(version)'"
            case .duplicateLine(let type): "'\(type)=' may appear only once here"
            case .misplacedLine(let type): "'\(type)=' is not allowed here"
            case .missingLine(let type): "missing '\(type)=' line"
            case .invalidField(let type, let detail): "bad '\(type)=' line: \(detail)"
            case .invalidAttributeName(let name): "bad attribute name '\(name)'"
            case .invalidAttribute(let name, let detail): "bad a=\(name): \(detail)"
            }
        }()
    }
}

/// Why the value of one typed attribute or field could not be read.
public struct SDPValueError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
