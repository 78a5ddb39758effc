/// One `a=` line (RFC 8866 §5.13): `a=<name>` (a flag) or `a=<name>:<value>`.
/// The value is kept exactly as written after the first colon, so attributes this module does not know survive a round trip.
public struct SDPAttribute: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// The text after `a=`.
    public var description: String {
        guard let value else { return name }
        return "\(name):\(value)"
    }
}

/// A typed view of one attribute's value, e.g. `a=rtpmap:96 VP8/90000` as `SDPRTPMap`.
public protocol SDPAttributeValue: Hashable, Sendable {
    /// The attribute name this type reads and writes.
    static var attributeName: String { get }
    /// Reads the text after `a=<name>:`; throws when it does not follow the attribute's RFC.
    init(attributeValue: String) throws(SDPValueError)
    /// The text after `a=<name>:`.
    var attributeValue: String { get }
}

extension SDPAttributeValue {
    /// This value as a generic attribute line.
    public var attribute: SDPAttribute { SDPAttribute(Self.attributeName, attributeValue) }
}
