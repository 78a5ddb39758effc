/// Why bytes could not be decoded as a STUN message (RFC 8489 §5, §14).
public enum STUNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the 20-byte header, or than the header's length field announces.
    case truncated(needed: Int, available: Int)
    /// The first two bits are not zero or the magic cookie is wrong: not STUN (RFC 8489 §5).
    case notSTUN
    /// The message length is not a multiple of 4 (RFC 8489 §5).
    case badMessageLength(Int)
    /// An attribute (with its padding) runs past the end of the message (RFC 8489 §14).
    case attributeOverrun(type: UInt16, offset: Int)
    /// An attribute's value has a length its type does not allow.
    case badAttributeLength(type: UInt16, length: Int)
    /// An address attribute names a family other than IPv4 (0x01) or IPv6 (0x02) (RFC 8489 §14.1).
    case badAddressFamily(UInt8)
    /// A text attribute is not valid UTF-8.
    case badText(type: UInt16)
    /// An attribute value breaks a rule of its definition.
    case invalidAttribute(type: UInt16, reason: String)

    public var description: String {
        switch self {
        case let .truncated(needed, available): "STUN message truncated: \(needed) bytes needed, \(available) available"
        case .notSTUN: "not a STUN message (leading bits or magic cookie)"
        case let .badMessageLength(length): "STUN message length \(length) is not a multiple of 4"
        case let .attributeOverrun(type, offset): "STUN attribute 0x\(String(type, radix: 16)) at offset \(offset) runs past the end"
        case let .badAttributeLength(type, length): "STUN attribute 0x\(String(type, radix: 16)) has invalid length \(length)"
        case let .badAddressFamily(family): "STUN address family 0x\(String(family, radix: 16)) is neither IPv4 nor IPv6"
        case let .badText(type): "STUN attribute 0x\(String(type, radix: 16)) is not valid UTF-8"
        case let .invalidAttribute(type, reason): "STUN attribute 0x\(String(type, radix: 16)): \(reason)"
        }
    }
}
