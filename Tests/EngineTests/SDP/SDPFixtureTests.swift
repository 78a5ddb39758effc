import Testing
@testable import SDP

/// Key values of real descriptions captured from Chromium 156 and aiortc 1.16.0.
@Suite struct SDPFixtureTests {
    private func load(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: SDPFixtures.text(name))
    }

    private func transportWideCC(_ section: MediaDescription) -> SDPExtensionMap? {
        section.extensionMaps.first { $0.uri == "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01" }
    }

    @Test func chromiumVideoDataOffer() throws {
        let offer = try load("chromium-offer-video-data.sdp")
        #expect(offer.origin.sessionId == 6679789721340003924)
        #expect(offer.origin.sessionVersion == 2)
        #expect(offer.bundleGroups == [SDPGroup.bundle(["0", "1"])])
        #expect(offer.msidSemantic == SDPMsidSemantic(semantics: "WMS", identifiers: ["bc4587e7-5b2f-4a48-acc2-523973d81dfb"]))
        #expect(offer.hasAttribute(named: "extmap-allow-mixed"))
        try #require(offer.media.count == 2)

        let video = offer.media[0]
        #expect(video.kind == "video")
        #expect(video.port == 52311)
        #expect(video.proto == "UDP/TLS/RTP/SAVPF")
        #expect(video.formats.count == 23)
        #expect(video.connections == [SDPConnection(address: "127.0.0.1")])
        #expect(video.mid == "0")
        #expect(video.iceUfrag == "stAH")
        #expect(video.icePwd == "9h/Y2ktv1b7BSQam4nP3SawK")
        #expect(video.iceOptions == ["trickle"])
        let fingerprint = try #require(video.fingerprints.first)
        #expect(fingerprint.algorithm == "sha-256")
        #expect(fingerprint.bytes.count == 32)
        #expect(fingerprint.bytes.first == 0x46)
        #expect(fingerprint.bytes.last == 0x90)
        #expect(video.setup == .actpass)
        #expect(video.direction == .sendrecv)
        #expect(video.rtcpMux)
        #expect(video.rtcpReducedSize)
        #expect(video.rtcp == SDPRTCPAddress(port: 9, connection: SDPConnection(address: "0.0.0.0")))
        #expect(video.msids == [SDPMsid(streamId: "bc4587e7-5b2f-4a48-acc2-523973d81dfb",
                                        trackId: "06ee9b3e-8dc2-4d26-9231-88dfb4abee67")])

        let vp8 = try #require(video.codec(named: "VP8"))
        #expect(vp8.rtpMap == SDPRTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000))
        #expect(vp8.feedback.contains(SDPRTCPFeedback(payloadType: 96, type: "nack", parameter: "pli")))
        #expect(vp8.feedback.contains(SDPRTCPFeedback(payloadType: 96, type: "transport-cc")))
        #expect(vp8.feedback.count == 5)
        let rtx = try #require(video.codecs.first { $0.payloadType == 97 })
        #expect(rtx.rtpMap.encodingName == "rtx")
        #expect(rtx.parameter("apt") == "96")
        let h264 = try #require(video.codecs.first { $0.payloadType == 102 })
        #expect(h264.parameter("profile-level-id") == "42001f")
        #expect(h264.parameter("packetization-mode") == "1")

        #expect(video.extensionMaps.count == 11)
        #expect(transportWideCC(video)?.id == 4)
        #expect(video.extensionMaps.first { $0.uri == "urn:ietf:params:rtp-hdrext:sdes:mid" }?.id == 9)
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [2644547197, 1115327940])])
        #expect(video.ssrcs == [2644547197, 1115327940])
        #expect(video.ssrcAttributes.first == SDPSSRCAttribute(ssrc: 2644547197, name: "cname", value: "MPY9zaKIVwxww++W"))
        #expect(video.ssrcAttributes[1].value == "bc4587e7-5b2f-4a48-acc2-523973d81dfb 06ee9b3e-8dc2-4d26-9231-88dfb4abee67")
        #expect(video.candidates.count == 2)
        #expect(video.candidates.first == "510038473 1 udp 2122260223 127.0.0.1 52311 typ host generation 0 network-id 1 network-cost 50")
        #expect(!video.endOfCandidates)

        let data = offer.media[1]
        #expect(data.kind == "application")
        #expect(data.proto == "UDP/DTLS/SCTP")
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.payloadTypes.isEmpty)
        #expect(data.mid == "1")
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262144)
        #expect(data.candidates.count == 2)
        #expect(data.fingerprints == video.fingerprints)
    }

    @Test func chromiumVideoDataAnswer() throws {
        let answer = try load("chromium-answer-video-data.sdp")
        #expect(answer.bundleGroups.first?.mids == ["0", "1"])
        try #require(answer.media.count == 2)
        let video = answer.media[0]
        let data = answer.media[1]
        #expect(video.setup == .active)
        #expect(data.setup == .active)
        #expect(video.iceUfrag == "8xkP")
        #expect(video.icePwd == "gnMv2tKTaxrFAir9YxnQQdEZ")
        #expect(video.fingerprints.first?.bytes.count == 32)
        #expect(video.candidates.count == 1)
        #expect(data.candidates.isEmpty)
        #expect(data.port == 9)
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262144)
        #expect(video.codec(named: "vp8")?.payloadType == 96)
        #expect(video.ssrcGroups.first?.semantics == "FID")
        #expect(video.ssrcGroups.first?.ssrcs == [1680547117, 4163682159])
        #expect(video.msids.first?.streamId == "4b53032a-ff3c-4e35-8806-a691f6bea926")
        #expect(transportWideCC(video)?.id == 4)
    }

    @Test func chromiumAudioVideoOffer() throws {
        let offer = try load("chromium-offer-audio-video.sdp")
        try #require(offer.media.count == 2)
        let audio = offer.media[0]
        let video = offer.media[1]
        #expect(audio.kind == "audio")
        #expect(audio.mid == "0")
        #expect(video.mid == "1")
        #expect(offer.bundleGroups.first?.mids == ["0", "1"])
        let opus = try #require(audio.codec(named: "opus"))
        #expect(opus.rtpMap == SDPRTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(opus.parameters == "minptime=10;useinbandfec=1")
        #expect(opus.parameter("useinbandfec") == "1")
        #expect(audio.codecs.first?.payloadType == 111)
        #expect(audio.codec(named: "PCMU")?.rtpMap == SDPRTPMap(payloadType: 0, encodingName: "PCMU", clockRate: 8000))
        #expect(audio.extensionMaps.first == SDPExtensionMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"))
        #expect(transportWideCC(audio)?.id == 3)
        #expect(video.extensionMaps.first == SDPExtensionMap(id: 14, uri: "urn:ietf:params:rtp-hdrext:toffset"))
        #expect(audio.ssrcs == [1174125020])
        #expect(audio.ssrcGroups.isEmpty)
        #expect(video.ssrcGroups.first?.semantics == "FID")
        #expect(audio.candidates.count == 2)
        #expect(video.candidates.count == 2)
        #expect(video.codec(named: "VP8")?.payloadType == 96)
    }

    @Test func aiortcVideoDataOffer() throws {
        let offer = try load("aiortc-offer-video-data.sdp")
        #expect(offer.origin.sessionId == offer.origin.sessionVersion)
        #expect(offer.bundleGroups.first?.mids == ["0", "1"])
        #expect(offer.msidSemantic == SDPMsidSemantic(semantics: "WMS", identifiers: ["*"]))
        try #require(offer.media.count == 2)
        let video = offer.media[0]
        #expect(video.iceUfrag == "5P37")
        #expect(video.icePwd == "1D3KE6RbxvVOTxtonHb2lp")
        #expect(video.iceOptions.isEmpty)
        #expect(video.fingerprints.map(\.algorithm) == ["sha-256", "sha-384", "sha-512"])
        #expect(video.fingerprints.map(\.bytes.count) == [32, 48, 64])
        #expect(video.setup == .actpass)
        #expect(video.direction == .sendrecv)
        #expect(video.rtcpMux)
        #expect(!video.rtcpReducedSize)
        let vp8 = try #require(video.codec(named: "VP8"))
        #expect(vp8.payloadType == 97)
        #expect(vp8.feedback.map(\.type) == ["nack", "nack", "goog-remb"])
        #expect(video.codecs.first { $0.payloadType == 98 }?.parameter("apt") == "97")
        #expect(video.extensionMaps.map(\.id) == [1, 3])
        #expect(video.extensionMaps.first?.uri == "urn:ietf:params:rtp-hdrext:sdes:mid")
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [3700678270, 2653397501])])
        #expect(video.candidates == ["16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 47104 typ host"])
        #expect(video.endOfCandidates)
        let data = offer.media[1]
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262144)
        #expect(data.candidates.count == 1)
        #expect(data.endOfCandidates)
        #expect(data.setup == .actpass)
    }

    @Test func aiortcVideoDataAnswer() throws {
        let answer = try load("aiortc-answer-video-data.sdp")
        try #require(answer.media.count == 2)
        #expect(answer.media.allSatisfy { $0.setup == .active })
        #expect(answer.media[0].port == answer.media[1].port)
        #expect(answer.media[0].iceUfrag == "S2B4")
        #expect(answer.media[1].icePwd == "2t0lY5R7PNJ9JhDCZ8Yqm0")
        #expect(answer.media[0].fingerprints.first?.bytes.count == 32)
        #expect(answer.media[0].codec(named: "VP8")?.payloadType == 97)
        #expect(answer.media[0].ssrcGroups.first?.ssrcs == [2761553721, 3139011177])
        #expect(answer.media[1].sctpPort == 5000)
        #expect(answer.media.map(\.candidates.count) == [1, 1])
    }
}
