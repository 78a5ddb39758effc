/// One media section (RFC 8866 §5.14): the `m=` line and the `i=`, `c=`, `b=`, `k=` and `a=` lines under it.
public struct MediaDescription: SDPAttributeHolder, Hashable, Sendable {
    /// `audio`, `video`, `application`, … (RFC 8866 §5.14).
    public var kind: String
    public var port: UInt16
    /// The `/<number of ports>` suffix of the port, when written.
    public var numberOfPorts: UInt16?
    /// E.g. `UDP/TLS/RTP/SAVPF` (RFC 5764 §8) or `UDP/DTLS/SCTP` (RFC 8841 §4).
    public var proto: String
    /// RTP payload types as text, or e.g. `webrtc-datachannel` (RFC 8841 §4).
    public var formats: [String]
    /// `i=` (RFC 8866 §5.4).
    public var title: String?
    /// `c=` lines (RFC 8866 §5.7); a media section may list several.
    public var connections: [SDPConnection]
    public var bandwidths: [SDPBandwidth]
    /// `k=` (RFC 8866 §5.12, obsolete), kept as text.
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]

    public init(kind: String, port: UInt16, numberOfPorts: UInt16? = nil, proto: String, formats: [String],
                title: String? = nil, connections: [SDPConnection] = [], bandwidths: [SDPBandwidth] = [],
                encryptionKey: String? = nil, attributes: [SDPAttribute] = []) {
        self.kind = kind
        self.port = port
        self.numberOfPorts = numberOfPorts
        self.proto = proto
        self.formats = formats
        self.title = title
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// The formats that are RTP payload types (RFC 8866 §5.14: for RTP profiles, fmt lists payload type numbers).
    public var payloadTypes: [UInt8] {
        formats.compactMap { try? readPayloadType($0) }
    }

    /// A port of 0 rejects or disables the section (RFC 8866 §5.14, RFC 8829 §5.3.1), except in a section
    /// marked `a=bundle-only`, which has port 0 while it shares the bundle's transport (RFC 9143 §6).
    public var isRejected: Bool { port == 0 && !hasAttribute(named: "bundle-only") }
}

/// Media-level attributes.
extension MediaDescription {
    /// `a=mid` (RFC 5888 §4).
    public var mid: String? {
        get { firstValue(named: "mid") }
        set { setValue(newValue, named: "mid") }
    }

    /// `a=msid` lines (RFC 8830 §2).
    public var msids: [SDPMsid] {
        get { typedValues(SDPMsid.self) }
        set { setTypedValues(newValue) }
    }

    /// `a=candidate` values, raw (RFC 8839 §5.1); the ICE module parses them.
    public var candidates: [String] {
        get { values(named: "candidate") }
        set { replaceAttributes(named: "candidate", with: newValue.map { SDPAttribute("candidate", $0) }) }
    }

    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    public var rtcpMux: Bool {
        get { hasAttribute(named: "rtcp-mux") }
        set { setFlag("rtcp-mux", newValue) }
    }

    /// `a=rtcp-rsize` (RFC 5506 §5).
    public var rtcpReducedSize: Bool {
        get { hasAttribute(named: "rtcp-rsize") }
        set { setFlag("rtcp-rsize", newValue) }
    }

    /// `a=rtcp` (RFC 3605 §2.1).
    public var rtcp: SDPRTCPAddress? {
        get { typedValues(SDPRTCPAddress.self).first }
        set { setTypedValues(newValue.map { [$0] } ?? []) }
    }

    public var rtpMaps: [SDPRTPMap] {
        get { typedValues(SDPRTPMap.self) }
        set { setTypedValues(newValue) }
    }

    public var formatParameters: [SDPFormatParameters] {
        get { typedValues(SDPFormatParameters.self) }
        set { setTypedValues(newValue) }
    }

    public var rtcpFeedback: [SDPRTCPFeedback] {
        get { typedValues(SDPRTCPFeedback.self) }
        set { setTypedValues(newValue) }
    }

    /// `a=ssrc` lines (RFC 5576 §4.1).
    public var ssrcAttributes: [SDPSSRCAttribute] {
        get { typedValues(SDPSSRCAttribute.self) }
        set { setTypedValues(newValue) }
    }

    /// `a=ssrc-group` lines (RFC 5576 §4.2).
    public var ssrcGroups: [SDPSSRCGroup] {
        get { typedValues(SDPSSRCGroup.self) }
        set { setTypedValues(newValue) }
    }

    /// The distinct SSRCs named by `a=ssrc` lines, in order of first appearance.
    public var ssrcs: [UInt32] {
        var seen: Set<UInt32> = []
        return ssrcAttributes.map(\.ssrc).filter { seen.insert($0).inserted }
    }

    /// `a=sctp-port` (RFC 8841 §5).
    public var sctpPort: UInt16? {
        get { firstValue(named: "sctp-port").flatMap { SDPScalars.decimal($0) } }
        set { setValue(newValue.map(String.init), named: "sctp-port") }
    }

    /// `a=max-message-size` (RFC 8841 §6); 0 means no limit; absent means 64 KiB (RFC 8841 §6.1).
    public var maxMessageSize: UInt64? {
        get { firstValue(named: "max-message-size").flatMap { SDPScalars.decimal($0) } }
        set { setValue(newValue.map(String.init), named: "max-message-size") }
    }
}
