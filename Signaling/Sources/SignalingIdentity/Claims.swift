import Foundation
import JWTKit

/// A JWT payload read without assumptions about which claims an identity provider sends: every top-level claim
/// is kept as a string, a list of strings or a number. Times are checked by `TokenValidator` against an injected clock,
/// so `verify(using:)` checks nothing here.
public struct FlexibleClaims: JWTPayload, Equatable {
    public enum Value: Codable, Sendable, Equatable {
        case string(String)
        case strings([String])
        case number(Double)
        case bool(Bool)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .string(text) }
            else if let list = try? container.decode([String].self) { self = .strings(list) }
            else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
            else { self = .number(try container.decode(Double.self)) }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .strings(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public var values: [String: Value]

    public init(_ values: [String: Value]) {
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var values: [String: Value] = [:]
        for key in container.allKeys {
            // Claims of other shapes (objects, mixed lists) are ignored rather than failing the token.
            if let value = try? container.decode(Value.self, forKey: key) { values[key.stringValue] = value }
        }
        self.values = values
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in values { try container.encode(value, forKey: Key(stringValue: key)) }
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    public func string(_ name: String) -> String? {
        if case .string(let value) = values[name] { return value }
        return nil
    }

    /// A claim that may be one string or a list of strings (e.g. `aud`, RFC 7519 §4.1.3).
    public func strings(_ name: String) -> [String] {
        switch values[name] {
        case .string(let value): [value]
        case .strings(let value): value
        default: []
        }
    }

    public func number(_ name: String) -> Double? {
        if case .number(let value) = values[name] { return value }
        return nil
    }
}
