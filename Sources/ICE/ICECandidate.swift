import TandemBase

/// Candidate types and their recommended type preferences (RFC 8445 §4, §5.1.2.2).
public enum ICECandidateType: String, Sendable, CaseIterable {
    case host
    case srflx
    case prflx
    case relay

    /// RFC 8445 §5.1.2.2: host 126, peer-reflexive 110, server-reflexive 100, relayed 0.
    public var typePreference: UInt32 {
        switch self {
        case .host: 126
        case .prflx: 110
        case .srflx: 100
        case .relay: 0
        }
    }
}

/// A name-value pair after the mandatory fields of a candidate line (RFC 8839 §5.1 `extension-att-name`).
public struct ICECandidateExtension: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An ICE candidate (RFC 8445 §5.1) as signalled in SDP (RFC 8839 §5.1).
public struct ICECandidate: Hashable, Sendable {
    public var foundation: String
    /// Always 1 here: RTP and RTCP are multiplexed on one component (RFC 8843, RFC 5761).
    public var component: UInt16
    /// Lower-case transport name; the agent only pairs `udp`.
    public var transport: String
    public var priority: UInt32
    public var address: TransportAddress
    public var type: ICECandidateType
    public var relatedAddress: TransportAddress?
    /// For local candidates: the base (RFC 8445 §5.1.1), i.e. the local socket address checks and
    /// data are sent from. For a host candidate it is its own address. A relayed candidate (added
    /// by the TURN layer) is its own base on the relay but is reached through the local socket
    /// named here. `nil` for remote candidates, whose base is unknown.
    public var base: TransportAddress?
    /// Extension attributes in their order (RFC 8839 §5.1), e.g. `generation 0 ufrag abcd`.
    public var extensions: [ICECandidateExtension]

    public init(foundation: String, component: UInt16 = 1, transport: String = "udp", priority: UInt32,
                address: TransportAddress, type: ICECandidateType, relatedAddress: TransportAddress? = nil,
                base: TransportAddress? = nil, extensions: [ICECandidateExtension] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.type = type
        self.relatedAddress = relatedAddress
        self.base = base
        self.extensions = extensions
    }

    /// The `ufrag` extension attribute (RFC 8838 §15.1), naming the ICE generation it belongs to.
    public var ufrag: String? { extensions.first { $0.name == "ufrag" }?.value }

    /// The `generation` extension attribute that browsers send.
    public var generation: UInt32? { extensions.first { $0.name == "generation" }.flatMap { UInt32($0.value) } }

    /// RFC 8445 §5.1.2.1: 2^24 × type preference + 2^8 × local preference + (256 − component ID).
    public static func priority(type: ICECandidateType, localPreference: UInt16, component: UInt16 = 1) -> UInt32 {
        type.typePreference << 24 | UInt32(localPreference) << 8 | (256 - UInt32(min(component, 256)))
    }

    /// RFC 8445 §5.1.1.3: candidates share a foundation when they have the same type, base IP
    /// address, STUN/TURN server IP address and transport. The value is a hash of exactly those
    /// fields, printed as decimal digits (valid `ice-char`s, RFC 8839 §5.1).
    public static func foundation(type: ICECandidateType, baseIP: IPAddress, serverIP: IPAddress?, transport: String = "udp") -> String {
        var hash: UInt32 = 0x811C_9DC5  // FNV-1a, 32 bits
        let key = "\(type.rawValue)|\(baseIP)|\(serverIP.map { "\($0)" } ?? "")|\(transport)"
        for byte in key.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return String(hash)
    }
}
