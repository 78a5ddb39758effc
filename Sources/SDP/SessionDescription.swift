/// A whole session description (RFC 8866 §5): session-level fields and attributes, then media sections.
/// A pure value: parse with `init(parsing:)`, write with `serialized()`.
public struct SessionDescription: SDPAttributeHolder, Hashable, Sendable {
    public var origin: SDPOrigin
    /// `s=`; JSEP writes "-" (RFC 8829 §5.2.1).
    public var sessionName: String
    /// `i=` (RFC 8866 §5.4).
    public var information: String?
    /// `u=` (RFC 8866 §5.5).
    public var uri: String?
    /// `e=` lines (RFC 8866 §5.6).
    public var emails: [String]
    /// `p=` lines (RFC 8866 §5.6).
    public var phones: [String]
    /// Session-level `c=` (RFC 8866 §5.7).
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    /// `t=` lines with their `r=` lines; at least one is required to write a valid description (RFC 8866 §5.9).
    public var timings: [SDPTiming]
    /// `z=` (RFC 8866 §5.11), kept as text.
    public var timeZones: String?
    /// `k=` (RFC 8866 §5.12, obsolete), kept as text.
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(origin: SDPOrigin, sessionName: String = "-", information: String? = nil, uri: String? = nil,
                emails: [String] = [], phones: [String] = [], connection: SDPConnection? = nil,
                bandwidths: [SDPBandwidth] = [], timings: [SDPTiming] = [SDPTiming()], timeZones: String? = nil,
                encryptionKey: String? = nil, attributes: [SDPAttribute] = [], media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }

    /// The media section with this `a=mid`, if any.
    public func media(withMid mid: String) -> MediaDescription? {
        media.first { $0.mid == mid }
    }
}

/// Session-level attributes.
extension SessionDescription {
    /// `a=group` lines (RFC 5888 §5).
    public var groups: [SDPGroup] {
        get { typedValues(SDPGroup.self) }
        set { setTypedValues(newValue) }
    }

    /// The `a=group:BUNDLE` groups (RFC 9143 §7.1); JSEP offers one group listing every bundled mid.
    public var bundleGroups: [SDPGroup] {
        groups.filter { $0.semantics == SDPGroup.bundleSemantics }
    }

    /// The BUNDLE group that lists this mid, if any (RFC 9143 §7.1).
    public func bundleGroup(containing mid: String) -> SDPGroup? {
        bundleGroups.first { $0.mids.contains(mid) }
    }

    /// `a=msid-semantic`.
    public var msidSemantic: SDPMsidSemantic? {
        get { typedValues(SDPMsidSemantic.self).first }
        set { setTypedValues(newValue.map { [$0] } ?? []) }
    }

    /// `a=ice-lite` (RFC 8839 §5.3): a session-level flag.
    public var iceLite: Bool {
        get { hasAttribute(named: "ice-lite") }
        set { setFlag("ice-lite", newValue) }
    }
}
