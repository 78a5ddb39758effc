/// The class of a STUN message (RFC 8489 §5): the C1/C0 bits of the message type.
public enum STUNClass: UInt8, Sendable, CaseIterable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11
}

/// A STUN method: 12 bits (RFC 8489 §5, §18.2; TURN methods from RFC 8656 §17).
public struct STUNMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let binding = STUNMethod(rawValue: 0x001)
    public static let allocate = STUNMethod(rawValue: 0x003)
    public static let refresh = STUNMethod(rawValue: 0x004)
    public static let send = STUNMethod(rawValue: 0x006)
    public static let data = STUNMethod(rawValue: 0x007)
    public static let createPermission = STUNMethod(rawValue: 0x008)
    public static let channelBind = STUNMethod(rawValue: 0x009)

    public var description: String {
        switch self {
        case .binding: "Binding"
        case .allocate: "Allocate"
        case .refresh: "Refresh"
        case .send: "Send"
        case .data: "Data"
        case .createPermission: "CreatePermission"
        case .channelBind: "ChannelBind"
        default: "Method(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// Packing of method and class into the 14-bit message type field (RFC 8489 §5, figure 3):
/// M11..M7 C1 M6..M4 C0 M3..M0.
enum STUNMessageType {
    static func encode(method: STUNMethod, messageClass: STUNClass) -> UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0b01) << 4) | ((c & 0b10) << 7)
    }

    static func decode(_ type: UInt16) -> (STUNMethod, STUNClass) {
        let m = (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80)
        let c = ((type >> 4) & 0b01) | ((type >> 7) & 0b10)
        // Two bits can only hold the four defined classes.
        let messageClass = STUNClass(rawValue: UInt8(c)) ?? .request
        return (STUNMethod(rawValue: m), messageClass)
    }
}
