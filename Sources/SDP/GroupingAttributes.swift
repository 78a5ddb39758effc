/// `a=group:<semantics> <mid>...` (RFC 5888 §5), e.g. `BUNDLE` (RFC 9143 §7.1).
public struct SDPGroup: SDPAttributeValue {
    public static let attributeName = "group"
    public static let bundleSemantics = "BUNDLE"

    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public static func bundle(_ mids: [String]) -> SDPGroup { SDPGroup(semantics: bundleSemantics, mids: mids) }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard let semantics = words.first, SDPScalars.isToken(semantics) else { throw SDPValueError("missing semantics") }
        for mid in words.dropFirst() where !SDPScalars.isToken(mid) { throw SDPValueError("bad identification tag '\(mid)'") }
        self.init(semantics: String(semantics), mids: words.dropFirst().map(String.init))
    }

    public var attributeValue: String { ([semantics] + mids).joined(separator: " ") }
}

/// `a=msid-semantic:<semantics> <identifier>...` as browsers still write it (e.g. `WMS *`); the value may start
/// with a space (Chromium writes `a=msid-semantic: WMS …`).
public struct SDPMsidSemantic: SDPAttributeValue {
    public static let attributeName = "msid-semantic"

    public var semantics: String
    public var identifiers: [String]

    public init(semantics: String = "WMS", identifiers: [String] = []) {
        self.semantics = semantics
        self.identifiers = identifiers
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard let semantics = words.first, SDPScalars.isToken(semantics) else { throw SDPValueError("missing semantics") }
        self.init(semantics: String(semantics), identifiers: words.dropFirst().map(String.init))
    }

    public var attributeValue: String { ([semantics] + identifiers).joined(separator: " ") }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2): the media stream a track belongs to.
public struct SDPMsid: SDPAttributeValue {
    public static let attributeName = "msid"

    public var streamId: String
    public var trackId: String?

    public init(streamId: String, trackId: String? = nil) {
        self.streamId = streamId
        self.trackId = trackId
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard words.count == 1 || words.count == 2, words.allSatisfy({ SDPScalars.isToken($0) }) else {
            throw SDPValueError("expected '<stream id> [<track id>]' made of token characters")
        }
        self.init(streamId: String(words[0]), trackId: words.count == 2 ? String(words[1]) : nil)
    }

    public var attributeValue: String { streamId + (trackId.map { " " + $0 } ?? "") }
}
