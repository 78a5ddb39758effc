/// `RTCSdpType` of the W3C WebRTC API (JSEP, RFC 8829 §4.1.8): the role a description plays in negotiation.
public enum SDPType: String, Codable, Hashable, Sendable, CaseIterable {
    case offer, pranswer, answer, rollback
}

/// The JSON shape of `RTCSessionDescriptionInit`, `{"type": "offer", "sdp": "v=0\r\n…"}`, as carried by the
/// echo test's `POST /offer` body and its reply. A missing `sdp` decodes as "" (the W3C dictionary default;
/// a rollback carries none).
public struct SessionDescriptionMessage: Codable, Hashable, Sendable {
    public var type: SDPType
    public var sdp: String

    public init(type: SDPType, sdp: String) {
        self.type = type
        self.sdp = sdp
    }

    public init(type: SDPType, description: SessionDescription) {
        self.init(type: type, sdp: description.serialized())
    }

    private enum CodingKeys: String, CodingKey { case type, sdp }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(SDPType.self, forKey: .type)
        sdp = try container.decodeIfPresent(String.self, forKey: .sdp) ?? ""
    }

    /// The parsed description.
    public func parsed() throws(SDPParseError) -> SessionDescription {
        try SessionDescription(parsing: sdp)
    }
}
