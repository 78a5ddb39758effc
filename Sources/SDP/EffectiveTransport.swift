/// The ICE and DTLS parameters that apply to one media section once session-level defaults are taken into account.
public struct SDPTransportParameters: Hashable, Sendable {
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var iceLite: Bool
    public var fingerprints: [SDPFingerprint]
    public var setup: SDPSetupRole?

    public init(iceUfrag: String? = nil, icePwd: String? = nil, iceOptions: [String] = [], iceLite: Bool = false,
                fingerprints: [SDPFingerprint] = [], setup: SDPSetupRole? = nil) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.iceOptions = iceOptions
        self.iceLite = iceLite
        self.fingerprints = fingerprints
        self.setup = setup
    }

    /// Whether the peer accepts trickled candidates (`a=ice-options:trickle`, RFC 8840 §4.1.1).
    public var supportsTrickle: Bool { iceOptions.contains("trickle") }
}

extension SessionDescription {
    /// A media-level value wins over the session-level one: ICE credentials and options (RFC 8839 §5.4, §5.6),
    /// fingerprints (RFC 8122 §5), setup (RFC 4145 §4); `ice-lite` exists only at the session level (RFC 8839 §5.3).
    /// The credentials are taken as a pair, so a section never mixes its ufrag with the session's password.
    public func effectiveTransport(for section: MediaDescription) -> SDPTransportParameters {
        let credentialsSource: any SDPAttributeHolder = section.iceUfrag != nil || section.icePwd != nil ? section : self
        let sectionFingerprints = section.fingerprints
        let sectionOptions = section.iceOptions
        return SDPTransportParameters(
            iceUfrag: credentialsSource.iceUfrag,
            icePwd: credentialsSource.icePwd,
            iceOptions: sectionOptions.isEmpty ? iceOptions : sectionOptions,
            iceLite: iceLite,
            fingerprints: sectionFingerprints.isEmpty ? fingerprints : sectionFingerprints,
            setup: section.setup ?? setup)
    }
}
