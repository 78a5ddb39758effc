import DTLS
import SDP
import TandemBase

/// Transport parameters of the remote side, read from the bundled m= section (RFC 9143 §7.3.1).
struct RemoteTransport {
    var ufrag: String
    var password: String
    var fingerprint: DTLSFingerprint
    var setup: SDPSetupRole
    var candidates: [String]
    var endOfCandidates: Bool
}

/// Builds and reads session descriptions (JSEP, RFC 8829) for a max-bundle, rtcp-mux-only Peer.
enum Negotiation {
    static let mediaProto = "UDP/TLS/RTP/SAVPF"
    /// Data channels: SCTP over DTLS over UDP (RFC 8841 §4).
    static let dataProto = "UDP/DTLS/SCTP"
    static let dataFormat = "webrtc-datachannel"
    /// The SCTP port both sides use in WebRTC (RFC 8841 §5; the value is conventional).
    static let sctpPort: UInt16 = 5000

    struct LocalParameters {
        var sessionID: UInt64
        var version: UInt64
        var ufrag: String
        var password: String
        var fingerprint: DTLSFingerprint
        var setup: SDPSetupRole
        /// The largest data-channel message this side accepts (`a=max-message-size`, RFC 8841 §6).
        var maxMessageSize: Int
    }

    /// A description with every section bundled on one transport; `candidates` go in the first
    /// accepted section (the BUNDLE tag, RFC 9143 §7.1.1), followed by end-of-candidates when complete.
    static func describe(_ sections: [MediaSection], local: LocalParameters, candidates: [String] = [], gatheringComplete: Bool = false) -> SessionDescription {
        var description = SessionDescription(origin: SDPOrigin(sessionId: local.sessionID, sessionVersion: local.version))
        description.timings = [SDPTiming(start: 0, stop: 0)]
        let bundled = sections.filter { !$0.rejected }.map(\.mid)
        if !bundled.isEmpty { description.append(SDPGroup.bundle(bundled)) }
        description.append(SDPMsidSemantic(semantics: "WMS", identifiers: ["*"]))

        var candidatesPlaced = false
        for section in sections {
            if section.rejected {
                // RFC 8829 §5.3.1: a rejected section keeps its kind, proto and formats, port 0, and its mid.
                var media = MediaDescription(kind: section.kind.rawValue, port: 0, proto: section.rejectedProto ?? mediaProto,
                                             formats: section.rejectedFormats.isEmpty ? ["0"] : section.rejectedFormats)
                media.connections = [SDPConnection()]
                media.append(SDPAttribute("mid", section.mid))
                description.media.append(media)
                continue
            }
            let isData = section.kind == .application
            var media = MediaDescription(kind: section.kind.rawValue, port: 9, proto: isData ? dataProto : mediaProto,
                                         formats: isData ? [dataFormat] : [])  // addCodec fills RTP formats
            media.connections = [SDPConnection()]
            if !isData { media.append(SDPAttribute("rtcp", "9 IN IP4 0.0.0.0")) }
            media.append(SDPAttribute("ice-ufrag", local.ufrag))
            media.append(SDPAttribute("ice-pwd", local.password))
            media.append(SDPAttribute("ice-options", "trickle"))
            media.append(SDPAttribute("fingerprint", local.fingerprint.sdpValue))
            media.append(local.setup)
            media.append(SDPAttribute("mid", section.mid))
            if isData {
                media.sctpPort = sctpPort
                media.maxMessageSize = UInt64(local.maxMessageSize)
                placeCandidates(&media, candidates, gatheringComplete, placed: &candidatesPlaced)
                description.media.append(media)
                continue
            }
            for (id, uri) in [(section.midExtensionID, SupportedCodecs.midExtensionURI),
                              (section.transportCCExtensionID, SupportedCodecs.transportCCExtensionURI),
                              (section.absSendTimeExtensionID, SupportedCodecs.absSendTimeExtensionURI)] {
                if let id { media.append(SDPExtensionMap(id: id, uri: uri)) }
            }
            media.append(SDPAttribute(section.direction.rawValue))
            if section.sends { media.append(SDPMsid(streamId: section.streamID, trackId: section.trackID)) }
            media.append(SDPAttribute("rtcp-mux"))
            media.append(SDPAttribute("rtcp-rsize"))
            for codec in section.codecs { media.addCodec(codec) }
            if section.sends {
                // RFC 5576 §4.2, RFC 4588 §8.6: the retransmission SSRC is tied to the media SSRC by FID.
                let ssrcs = section.rtxPayloadType == nil ? [section.localSSRC] : [section.localSSRC, section.localRTXSSRC]
                if ssrcs.count == 2 { media.append(SDPSSRCGroup(semantics: "FID", ssrcs: ssrcs)) }
                for ssrc in ssrcs {
                    media.append(SDPSSRCAttribute(ssrc: ssrc, name: "cname", value: section.cname))
                    media.append(SDPSSRCAttribute(ssrc: ssrc, name: "msid", value: "\(section.streamID) \(section.trackID)"))
                }
            }
            placeCandidates(&media, candidates, gatheringComplete, placed: &candidatesPlaced)
            description.media.append(media)
        }
        return description
    }

    /// Candidates go once, in the first accepted section (the BUNDLE tag).
    private static func placeCandidates(_ media: inout MediaDescription, _ candidates: [String], _ gatheringComplete: Bool, placed: inout Bool) {
        guard !placed else { return }
        placed = true
        for candidate in candidates { media.append(SDPAttribute("candidate", String(candidate.trimmingPrefix("candidate:")))) }
        if gatheringComplete { media.append(SDPAttribute("end-of-candidates")) }
    }

    /// A data-channel section this engine can carry: SCTP over DTLS with the webrtc-datachannel format
    /// (RFC 8841 §4); the older `DTLS/SCTP 5000` form (draft-ietf-mmusic-sctp-sdp-05) is refused.
    static func isDataChannelSection(_ media: MediaDescription) -> Bool {
        media.kind == MediaKind.application.rawValue && media.proto.hasSuffix("DTLS/SCTP") && media.formats == [dataFormat]
    }

    /// The sections of an answer to `offer`: supported media accepted with the offerer's payload types,
    /// anything else rejected (RFC 8829 §5.3.1). Every accepted section joins one BUNDLE group.
    static func answerSections(to offer: SessionDescription, random: inout some RandomNumberGenerator) throws(PeerError) -> [MediaSection] {
        guard !offer.media.isEmpty else { throw .invalidDescription("the offer has no m= section") }
        var sections: [MediaSection] = []
        for (index, media) in offer.media.enumerated() {
            let mid = media.mid ?? String(index)
            let kind = MediaKind(rawValue: media.kind)
            let codecs = kind.map { SupportedCodecs.accept(media.codecs, kind: $0) } ?? []
            var section = MediaSection(mid: mid, kind: kind ?? .application, direction: (media.direction ?? .sendrecv).reversed,
                                       codecs: codecs, random: &random)
            if isDataChannelSection(media) && !media.isRejected && !sections.contains(where: { $0.kind == .application && !$0.rejected }) {
                section.remoteSCTPPort = media.sctpPort ?? sctpPort
                section.remoteMaxMessageSize = media.maxMessageSize
            } else if media.isRejected || codecs.isEmpty || !media.proto.contains("SAVPF") {
                section.rejected = true
                section.rejectedProto = media.proto
                section.rejectedFormats = media.formats
            } else {
                section.adopt(remote: media)
            }
            sections.append(section)
        }
        return sections
    }

    /// Updates locally offered sections from the remote answer (payload types, extensions, SSRCs, rejection).
    static func apply(answer: SessionDescription, to sections: inout [MediaSection]) throws(PeerError) {
        for index in sections.indices {
            guard let media = answer.media(withMid: sections[index].mid) else {
                throw .invalidDescription("the answer has no m= section for mid \(sections[index].mid)")
            }
            if media.isRejected {
                sections[index].rejected = true
                continue
            }
            if sections[index].kind == .application {
                guard isDataChannelSection(media) else { throw .invalidDescription("the answer's mid \(sections[index].mid) is not an SCTP data-channel section (RFC 8841 §4)") }
                sections[index].remoteSCTPPort = media.sctpPort ?? sctpPort
                sections[index].remoteMaxMessageSize = media.maxMessageSize
                continue
            }
            let accepted = SupportedCodecs.accept(media.codecs, kind: sections[index].kind)
            guard !accepted.isEmpty else { throw .invalidDescription("the answer accepts no codec we offered in mid \(sections[index].mid)") }
            guard accepted.contains(where: { !$0.isRTX }) else { throw .invalidDescription("the answer accepts only RTX in mid \(sections[index].mid)") }
            sections[index].codecs = accepted
            sections[index].adopt(remote: media)
            if let direction = media.direction { sections[index].direction = direction.reversed }
        }
    }

    /// A later offer must keep the negotiated sections: this engine renegotiates only to restart ICE.
    static func checkUnchangedMedia(_ offer: SessionDescription, sections: [MediaSection]) throws(PeerError) {
        let offered = offer.media.map { $0.mid ?? "" }
        guard offered == sections.map(\.mid) else {
            throw .invalidDescription("renegotiation may restart ICE but not change media sections (offered mids \(offered))")
        }
    }

    /// ICE credentials, DTLS fingerprint and setup role, and candidates from the first bundled section.
    static func remoteTransport(_ description: SessionDescription) throws(PeerError) -> RemoteTransport {
        let bundleTag = description.bundleGroups.first?.mids.first
        guard let media = bundleTag.flatMap(description.media(withMid:)) ?? description.media.first(where: { !$0.isRejected }) else {
            throw .invalidDescription("no accepted m= section")
        }
        let transport = description.effectiveTransport(for: media)
        guard let ufrag = transport.iceUfrag, let password = transport.icePwd else {
            throw .invalidDescription("missing a=ice-ufrag or a=ice-pwd (RFC 8839 §5.4)")
        }
        guard let fingerprint = transport.fingerprints.first(where: { $0.algorithm.lowercased() == "sha-256" }) ?? transport.fingerprints.first else {
            throw .invalidDescription("missing a=fingerprint (RFC 8842 §5)")
        }
        return RemoteTransport(
            ufrag: ufrag, password: password,
            fingerprint: DTLSFingerprint(algorithm: fingerprint.algorithm.lowercased(), bytes: fingerprint.bytes),
            setup: transport.setup ?? .actpass,
            candidates: media.candidates, endOfCandidates: media.endOfCandidates)
    }
}
