import DTLS
import PeerConnection
import SDP
import TandemBase
import Testing

/// JSEP answers (RFC 8829 §5.3.1) to offers captured from Chromium 156 and aiortc 1.16.0.
@Suite struct AnswerToCapturedOffersTests {
    @Test(arguments: [
        ("chromium-offer-video-data.sdp", UInt8(96), UInt8(97)),
        ("aiortc-offer-video-data.sdp", UInt8(97), UInt8(98)),
    ])
    func answersVideoAndDataChannels(fixture: String, vp8PayloadType: UInt8, rtxPayloadType: UInt8) throws {
        let offer = try SessionDescription(parsing: SDPFixtures.text(fixture))
        let peer = try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SeededGenerator(seed: 3))
        try peer.setRemoteDescription(offer, type: .offer, at: .zero)
        let answer = try SessionDescription(parsing: try peer.createAnswer().serialized())

        #expect(answer.media.map(\.mid) == offer.media.map(\.mid), "one answer section per offered section, same order")
        let video = try #require(answer.media.first { $0.kind == "video" })
        #expect(!video.isRejected)
        #expect(video.codecs.map(\.payloadType) == [vp8PayloadType, rtxPayloadType], "VP8 and its RTX kept with the offerer's payload types")
        #expect(video.codec(named: "rtx")?.parameter("apt") == String(vp8PayloadType), "RTX for VP8 (RFC 4588 §8.6)")
        #expect(video.codec(named: "VP8")?.feedback.contains { $0.type == "nack" && $0.parameter == "pli" } == true)
        // Our send SSRC and its retransmission SSRC, tied by FID (RFC 5576 §4.2).
        let fid = try #require(video.ssrcGroups.first { $0.semantics == "FID" })
        #expect(fid.ssrcs.count == 2 && Set(fid.ssrcs) == Set(video.ssrcs))
        // Header extensions are kept with the offerer's ids when we support them (RFC 8285 §6).
        let offeredVideo = try #require(offer.media.first { $0.kind == "video" })
        for uri in ["urn:ietf:params:rtp-hdrext:sdes:mid", "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"] {
            #expect(video.extensionMaps.first { $0.uri == uri }?.id == offeredVideo.extensionMaps.first { $0.uri == uri }?.id, "\(uri)")
        }
        #expect(video.extensionMaps.allSatisfy { map in offeredVideo.extensionMaps.contains { $0.uri == map.uri && $0.id == map.id } })
        #expect(video.rtcpMux)
        #expect(video.setup == .active, "the answerer is the DTLS client (RFC 8842 §5.3)")
        #expect(video.fingerprints.first?.bytes.count == 32)
        #expect(video.direction == .sendrecv)
        #expect(!video.ssrcs.isEmpty)

        // The data-channel section is accepted: SCTP over DTLS, port 5000, our message limit (RFC 8841).
        let application = try #require(answer.media.first { $0.kind == "application" })
        #expect(!application.isRejected)
        #expect(application.proto == "UDP/DTLS/SCTP")
        #expect(application.formats == ["webrtc-datachannel"])
        #expect(application.sctpPort == 5000)
        #expect(application.maxMessageSize == 262_144)
        #expect(application.setup == .active)
        #expect(answer.bundleGroups.first?.mids == [video.mid, application.mid].compactMap { $0 })
    }

    @Test func rejectsTheLegacyDataChannelFormat() throws {
        // draft-ietf-mmusic-sctp-sdp-05 (`DTLS/SCTP 5000` + a=sctpmap) predates RFC 8841: refused with port 0.
        var offer = try SessionDescription(parsing: SDPFixtures.text("chromium-offer-video-data.sdp"))
        let index = try #require(offer.media.firstIndex { $0.kind == "application" })
        offer.media[index].proto = "DTLS/SCTP"
        offer.media[index].formats = ["5000"]
        let peer = try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SeededGenerator(seed: 3))
        try peer.setRemoteDescription(offer, type: .offer, at: .zero)
        let answer = try peer.createAnswer()
        #expect(answer.media[index].isRejected)
        #expect(answer.media[index].proto == "DTLS/SCTP")
    }

    @Test func answersAudioAndVideo() throws {
        let offer = try SessionDescription(parsing: SDPFixtures.text("chromium-offer-audio-video.sdp"))
        let peer = try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SeededGenerator(seed: 4))
        try peer.setRemoteDescription(offer, type: .offer, at: .zero)
        let answer = try peer.createAnswer()
        let audio = try #require(answer.media.first { $0.kind == "audio" })
        #expect(audio.codecs.map { $0.rtpMap.encodingName.lowercased() } == ["opus"])
        #expect(answer.bundleGroups.first?.mids.count == 2)
    }

    @Test func refusesAnAnswerThatSaysActpass() throws {
        let offerer = try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SeededGenerator(seed: 5))
        _ = try offerer.addTransceiver(.video)
        let offer = try offerer.createOffer()
        try offerer.setLocalDescription(offer, type: .offer, at: .zero)
        let answerer = try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SeededGenerator(seed: 6))
        try answerer.setRemoteDescription(offer, type: .offer, at: .zero)
        var answer = try answerer.createAnswer()
        answer.media[0].setTypedValues([SDPSetupRole.actpass])
        #expect(throws: PeerError.self) { try offerer.setRemoteDescription(answer, type: .answer, at: .zero) }
    }
}
