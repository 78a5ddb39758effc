/// One RTP payload format of a media section with everything that describes it:
/// `a=rtpmap` (RFC 8866 §6.6), `a=fmtp` (RFC 8866 §6.15) and `a=rtcp-fb` (RFC 4585 §4.2).
public struct SDPCodec: Hashable, Sendable {
    public var rtpMap: SDPRTPMap
    /// The fmtp parameters as written, nil when the format has none.
    public var parameters: String?
    /// Feedback for this payload type; a `*` line counts for every codec of the section.
    public var feedback: [SDPRTCPFeedback]

    public init(rtpMap: SDPRTPMap, parameters: String? = nil, feedback: [SDPRTCPFeedback] = []) {
        self.rtpMap = rtpMap
        self.parameters = parameters
        self.feedback = feedback
    }

    public var payloadType: UInt8 { rtpMap.payloadType }

    /// The `name=value` parameter of the fmtp line (see `SDPFormatParameters.parameter`).
    public func parameter(_ name: String) -> String? {
        parameters.flatMap { SDPFormatParameters(format: "\(payloadType)", parameters: $0).parameter(name) }
    }
}

extension MediaDescription {
    /// The codecs of the section in `m=` line order (preference order, RFC 8866 §5.14); payload types without
    /// an `a=rtpmap` are left out (static types such as 0 PCMU may omit it, RFC 8866 §6.6, but WebRTC writes it).
    public var codecs: [SDPCodec] {
        let maps = rtpMaps
        let fmtps = formatParameters
        let feedback = rtcpFeedback
        return payloadTypes.compactMap { payloadType -> SDPCodec? in
            guard let map = maps.first(where: { $0.payloadType == payloadType }) else { return nil }
            return SDPCodec(rtpMap: map,
                            parameters: fmtps.first { $0.payloadType == payloadType }?.parameters,
                            feedback: feedback.filter { $0.payloadType == payloadType || $0.payloadType == nil })
        }
    }

    /// The first codec with this encoding name (case-insensitive, RFC 8866 §6.6 names are case-insensitive).
    public func codec(named encodingName: String) -> SDPCodec? {
        codecs.first { $0.rtpMap.encodingName.lowercased() == encodingName.lowercased() }
    }

    /// Adds a codec: its payload type to the `m=` line, then `a=rtpmap`, `a=rtcp-fb` and `a=fmtp` lines at the end.
    public mutating func addCodec(_ codec: SDPCodec) {
        formats.append(String(codec.payloadType))
        append(codec.rtpMap)
        for feedback in codec.feedback { append(feedback) }
        if let parameters = codec.parameters {
            append(SDPFormatParameters(payloadType: codec.payloadType, parameters: parameters))
        }
    }
}
