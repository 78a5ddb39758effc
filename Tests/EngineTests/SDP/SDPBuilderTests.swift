import Testing
@testable import SDP

/// Offers generated with the typed setters come out as the exact text a JSEP offerer writes (RFC 8829 §5.2.1).
@Suite struct SDPBuilderTests {
    static let fingerprint = SDPFingerprint(algorithm: "sha-256", bytes: Array(0..<32))

    static func videoAndDataOffer() -> SessionDescription {
        var offer = SessionDescription(origin: SDPOrigin(sessionId: 4611731400430051336, sessionVersion: 2))
        offer.groups = [.bundle(["0", "1"])]
        offer.msidSemantic = SDPMsidSemantic(semantics: "WMS", identifiers: ["screen-stream"])

        var video = MediaDescription(kind: "video", port: 9, proto: "UDP/TLS/RTP/SAVPF", formats: [],
                                     connections: [SDPConnection()])
        video.rtcp = SDPRTCPAddress(port: 9, connection: SDPConnection())
        video.iceUfrag = "Xk3d"
        video.icePwd = "n7PgFVdbGQ9Hc2eQmXrZ1b4t"
        video.iceOptions = ["trickle"]
        video.fingerprints = [fingerprint]
        video.setup = .actpass
        video.mid = "0"
        video.extensionMaps = [
            SDPExtensionMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:sdes:mid"),
            SDPExtensionMap(id: 3, uri: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
        ]
        video.direction = .sendonly
        video.msids = [SDPMsid(streamId: "screen-stream", trackId: "screen-track")]
        video.rtcpMux = true
        video.rtcpReducedSize = true
        video.addCodec(SDPCodec(
            rtpMap: SDPRTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000),
            feedback: [
                SDPRTCPFeedback(payloadType: 96, type: "nack"),
                SDPRTCPFeedback(payloadType: 96, type: "nack", parameter: "pli"),
                SDPRTCPFeedback(payloadType: 96, type: "transport-cc"),
            ]))
        video.ssrcAttributes = [
            SDPSSRCAttribute(ssrc: 1_234_567, name: "cname", value: "tandem"),
            SDPSSRCAttribute(ssrc: 1_234_567, name: "msid", value: "screen-stream screen-track"),
        ]

        var data = MediaDescription(kind: "application", port: 9, proto: "UDP/DTLS/SCTP",
                                    formats: ["webrtc-datachannel"], connections: [SDPConnection()])
        data.iceUfrag = video.iceUfrag
        data.icePwd = video.icePwd
        data.iceOptions = ["trickle"]
        data.fingerprints = [fingerprint]
        data.setup = .actpass
        data.mid = "1"
        data.sctpPort = 5000
        data.maxMessageSize = 262144

        offer.media = [video, data]
        return offer
    }

    static let expectedText = """
        v=0\r
        o=- 4611731400430051336 2 IN IP4 127.0.0.1\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE 0 1\r
        a=msid-semantic:WMS screen-stream\r
        m=video 9 UDP/TLS/RTP/SAVPF 96\r
        c=IN IP4 0.0.0.0\r
        a=rtcp:9 IN IP4 0.0.0.0\r
        a=ice-ufrag:Xk3d\r
        a=ice-pwd:n7PgFVdbGQ9Hc2eQmXrZ1b4t\r
        a=ice-options:trickle\r
        a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r
        a=setup:actpass\r
        a=mid:0\r
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r
        a=sendonly\r
        a=msid:screen-stream screen-track\r
        a=rtcp-mux\r
        a=rtcp-rsize\r
        a=rtpmap:96 VP8/90000\r
        a=rtcp-fb:96 nack\r
        a=rtcp-fb:96 nack pli\r
        a=rtcp-fb:96 transport-cc\r
        a=ssrc:1234567 cname:tandem\r
        a=ssrc:1234567 msid:screen-stream screen-track\r
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r
        c=IN IP4 0.0.0.0\r
        a=ice-ufrag:Xk3d\r
        a=ice-pwd:n7PgFVdbGQ9Hc2eQmXrZ1b4t\r
        a=ice-options:trickle\r
        a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r
        a=setup:actpass\r
        a=mid:1\r
        a=sctp-port:5000\r
        a=max-message-size:262144\r

        """

    @Test func generatedOfferMatchesExpectedText() throws {
        let offer = Self.videoAndDataOffer()
        #expect(offer.serialized() == Self.expectedText)
        #expect(try SessionDescription(parsing: Self.expectedText) == offer)
    }

    @Test func settersReplaceInPlaceAndKeepLineOrder() throws {
        var video = Self.videoAndDataOffer().media[0]
        func lineKinds(_ section: MediaDescription) -> [String] {
            section.attributes.map { SDPMediaDirection(rawValue: $0.name) != nil ? "direction" : $0.name }
        }
        let namesBefore = lineKinds(video)
        video.setup = .active
        video.direction = .recvonly
        video.iceUfrag = "Yy7z"
        video.fingerprints = [SDPFingerprint(algorithm: "sha-256", bytes: Array(repeating: 0xAB, count: 32))]
        #expect(lineKinds(video) == namesBefore)
        #expect(video.setup == .active)
        #expect(video.direction == .recvonly)
        #expect(video.iceUfrag == "Yy7z")
        #expect(video.fingerprints.first?.bytes == Array(repeating: 0xAB, count: 32))

        video.rtcpReducedSize = false
        video.setup = nil
        video.direction = nil
        #expect(!video.hasAttribute(named: "rtcp-rsize"))
        #expect(!video.hasAttribute(named: "setup"))
        #expect(video.direction == nil)
        #expect(video.attributes.count == namesBefore.count - 3)
    }

    @Test func candidatesAndEndOfCandidatesAreAppendedAndCleared() {
        var data = Self.videoAndDataOffer().media[1]
        data.candidates = ["1 1 udp 2130706431 127.0.0.1 5000 typ host"]
        data.endOfCandidates = true
        #expect(data.attributes.suffix(2) == [
            SDPAttribute("candidate", "1 1 udp 2130706431 127.0.0.1 5000 typ host"), SDPAttribute("end-of-candidates"),
        ])
        data.candidates.append("2 1 udp 2130706430 ::1 5001 typ host")
        #expect(data.candidates.count == 2)
        #expect(data.attributes.last == SDPAttribute("end-of-candidates"))
        data.candidates = []
        data.endOfCandidates = false
        #expect(!data.hasAttribute(named: "candidate"))
        #expect(!data.endOfCandidates)
    }
}
