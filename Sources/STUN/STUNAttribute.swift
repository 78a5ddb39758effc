import TandemBase

/// Attribute type codes (RFC 8489 §18.3, RFC 8445 §16.1, RFC 8656 §18).
public enum STUNAttributeType {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let channelNumber: UInt16 = 0x000C
    public static let lifetime: UInt16 = 0x000D
    public static let xorPeerAddress: UInt16 = 0x0012
    public static let data: UInt16 = 0x0013
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let xorRelayedAddress: UInt16 = 0x0016
    public static let evenPort: UInt16 = 0x0018
    public static let requestedTransport: UInt16 = 0x0019
    public static let dontFragment: UInt16 = 0x001A
    public static let messageIntegritySHA256: UInt16 = 0x001C
    public static let passwordAlgorithm: UInt16 = 0x001D
    public static let userhash: UInt16 = 0x001E
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let reservationToken: UInt16 = 0x0022
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let passwordAlgorithms: UInt16 = 0x8002
    public static let software: UInt16 = 0x8022
    public static let alternateServer: UInt16 = 0x8023
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A

    /// Types 0x0000–0x7FFF are comprehension-required (RFC 8489 §14).
    public static func isComprehensionRequired(_ type: UInt16) -> Bool { type < 0x8000 }
}

/// ERROR-CODE value (RFC 8489 §14.8).
public struct STUNErrorCode: Hashable, Sendable {
    /// 300–699.
    public var code: UInt16
    public var reason: String

    public init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    public static let tryAlternate: UInt16 = 300
    public static let badRequest: UInt16 = 400
    public static let unauthorized: UInt16 = 401
    public static let forbidden: UInt16 = 403
    public static let unknownAttribute: UInt16 = 420
    public static let allocationMismatch: UInt16 = 437
    public static let staleNonce: UInt16 = 438
    public static let roleConflict: UInt16 = 487
    public static let serverError: UInt16 = 500
}

/// One entry of PASSWORD-ALGORITHM(S) (RFC 8489 §14.11–14.12, §18.5).
public struct STUNPasswordAlgorithm: Hashable, Sendable {
    public var algorithm: UInt16
    public var parameters: [UInt8]

    public init(algorithm: UInt16, parameters: [UInt8] = []) {
        self.algorithm = algorithm
        self.parameters = parameters
    }

    public static let md5 = STUNPasswordAlgorithm(algorithm: 0x0001)
    public static let sha256 = STUNPasswordAlgorithm(algorithm: 0x0002)
}

/// A decoded STUN attribute. Unknown types are kept as `.unknown` and re-encode unchanged.
public enum STUNAttribute: Hashable, Sendable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case xorPeerAddress(TransportAddress)
    case xorRelayedAddress(TransportAddress)
    case alternateServer(TransportAddress)
    case username(String)
    case userhash([UInt8])
    case messageIntegrity([UInt8])
    case messageIntegritySHA256([UInt8])
    case fingerprint(UInt32)
    case errorCode(STUNErrorCode)
    case realm(String)
    case nonce(String)
    case passwordAlgorithms([STUNPasswordAlgorithm])
    case passwordAlgorithm(STUNPasswordAlgorithm)
    case unknownAttributes([UInt16])
    case software(String)
    case priority(UInt32)
    case useCandidate
    case iceControlled(tieBreaker: UInt64)
    case iceControlling(tieBreaker: UInt64)
    case channelNumber(UInt16)
    case lifetime(seconds: UInt32)
    case data([UInt8])
    /// The IP protocol number (17 for UDP) (RFC 8656 §18.7).
    case requestedTransport(protocolNumber: UInt8)
    case dontFragment
    /// R bit: ask for the next-higher port to be reserved too (RFC 8656 §18.6).
    case evenPort(reserveNext: Bool)
    case reservationToken([UInt8])
    case unknown(type: UInt16, value: [UInt8])

    public var type: UInt16 {
        typealias T = STUNAttributeType
        switch self {
        case .mappedAddress: return T.mappedAddress
        case .xorMappedAddress: return T.xorMappedAddress
        case .xorPeerAddress: return T.xorPeerAddress
        case .xorRelayedAddress: return T.xorRelayedAddress
        case .alternateServer: return T.alternateServer
        case .username: return T.username
        case .userhash: return T.userhash
        case .messageIntegrity: return T.messageIntegrity
        case .messageIntegritySHA256: return T.messageIntegritySHA256
        case .fingerprint: return T.fingerprint
        case .errorCode: return T.errorCode
        case .realm: return T.realm
        case .nonce: return T.nonce
        case .passwordAlgorithms: return T.passwordAlgorithms
        case .passwordAlgorithm: return T.passwordAlgorithm
        case .unknownAttributes: return T.unknownAttributes
        case .software: return T.software
        case .priority: return T.priority
        case .useCandidate: return T.useCandidate
        case .iceControlled: return T.iceControlled
        case .iceControlling: return T.iceControlling
        case .channelNumber: return T.channelNumber
        case .lifetime: return T.lifetime
        case .data: return T.data
        case .requestedTransport: return T.requestedTransport
        case .dontFragment: return T.dontFragment
        case .evenPort: return T.evenPort
        case .reservationToken: return T.reservationToken
        case let .unknown(type, _): return type
        }
    }
}
