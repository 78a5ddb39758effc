import TandemBase

/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5): the certificate hash, bytes as upper-case hex pairs joined by colons.
public struct SDPFingerprint: SDPAttributeValue {
    public static let attributeName = "fingerprint"

    /// The hash function name as written in the textual name registry, e.g. "sha-256" (RFC 8122 §5).
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard words.count == 2 else { throw SDPValueError("expected '<hash-func> <fingerprint>'") }
        guard SDPScalars.isToken(words[0]) else { throw SDPValueError("bad hash function '\(words[0])'") }
        // RFC 8122 §5: fingerprint = 2UHEX *(":" 2UHEX); lower-case digits are accepted as well.
        var bytes: [UInt8] = []
        for pair in words[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.utf8.count == 2, let byte = UInt8(pair, radix: 16) else {
                throw SDPValueError("bad fingerprint byte '\(pair)'")
            }
            bytes.append(byte)
        }
        self.init(algorithm: words[0].lowercased(), bytes: bytes)
    }

    public var attributeValue: String {
        "\(algorithm) " + Hex.encode(bytes, separator: ":", uppercase: true)
    }
}

/// `a=setup` (RFC 4145 §4, JSEP use in RFC 8842 §5): which side starts the DTLS handshake.
public enum SDPSetupRole: String, SDPAttributeValue, CaseIterable {
    case active, passive, actpass, holdconn

    public static let attributeName = "setup"

    public init(attributeValue: String) throws(SDPValueError) {
        guard let role = SDPSetupRole(rawValue: String(SDPScalars.trimmed(attributeValue))) else {
            throw SDPValueError("unknown setup role '\(attributeValue)'")
        }
        self = role
    }

    public var attributeValue: String { rawValue }

    /// The role an answerer takes for this offered role: an offer carries actpass (RFC 8842 §5.2) and the answerer
    /// picks active, as JSEP recommends (RFC 8829 §5.3.1); an explicit active or passive is mirrored (RFC 8842 §5.3).
    public var answerRole: SDPSetupRole {
        switch self {
        case .actpass, .passive: .active
        case .active: .passive
        case .holdconn: .holdconn
        }
    }

    /// Whether the endpoint holding this negotiated role starts the DTLS handshake (RFC 4145 §4: active opens).
    public var isDTLSClient: Bool { self == .active }
}

/// The RFC 8866 §6.7 direction attributes, written as flags (`a=sendrecv`).
public enum SDPMediaDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction the other side sees (RFC 8829 §5.3.1: an answer reverses send and receive).
    public var reversed: SDPMediaDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .sendrecv, .inactive: self
        }
    }
}

/// ICE and DTLS attributes that may stand at the session level or in a media section.
extension SDPAttributeHolder {
    /// `a=ice-ufrag` (RFC 8839 §5.4).
    public var iceUfrag: String? {
        get { firstValue(named: "ice-ufrag") }
        set { setValue(newValue, named: "ice-ufrag") }
    }

    /// `a=ice-pwd` (RFC 8839 §5.4).
    public var icePwd: String? {
        get { firstValue(named: "ice-pwd") }
        set { setValue(newValue, named: "ice-pwd") }
    }

    /// `a=ice-options` tokens (RFC 8839 §5.6), e.g. ["trickle"] (RFC 8840 §4.1.1); empty when absent.
    public var iceOptions: [String] {
        get { values(named: "ice-options").flatMap { SDPScalars.words($0).map(String.init) } }
        set { setValue(newValue.isEmpty ? nil : newValue.joined(separator: " "), named: "ice-options") }
    }

    /// `a=fingerprint` lines (RFC 8122 §5); several hash functions may be offered at once.
    public var fingerprints: [SDPFingerprint] {
        get { typedValues(SDPFingerprint.self) }
        set { setTypedValues(newValue) }
    }

    /// `a=setup` (RFC 4145 §4).
    public var setup: SDPSetupRole? {
        get { typedValues(SDPSetupRole.self).first }
        set { setTypedValues(newValue.map { [$0] } ?? []) }
    }

    /// The direction flag (RFC 8866 §6.7), nil when none is written (then sendrecv applies, RFC 8866 §6.7.3).
    public var direction: SDPMediaDirection? {
        get { attributes.lazy.compactMap { SDPMediaDirection(rawValue: $0.name) }.first }
        set {
            let position = attributes.firstIndex { SDPMediaDirection(rawValue: $0.name) != nil } ?? attributes.endIndex
            let isDirection = { (attribute: SDPAttribute) in SDPMediaDirection(rawValue: attribute.name) != nil }
            attributes = attributes[..<position].filter { !isDirection($0) }
                + (newValue.map { [SDPAttribute($0.rawValue)] } ?? [])
                + attributes[position...].filter { !isDirection($0) }
        }
    }

    /// `a=end-of-candidates` (RFC 8840 §4.1.2): no more candidates will be trickled.
    public var endOfCandidates: Bool {
        get { hasAttribute(named: "end-of-candidates") }
        set { setFlag("end-of-candidates", newValue) }
    }
}
