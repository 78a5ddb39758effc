import Testing
@testable import SDP

/// Session-level ICE and DTLS values act as defaults for media sections that lack them.
@Suite struct SDPEffectiveTransportTests {
    static let text = """
        v=0
        o=- 1 1 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=ice-lite
        a=ice-ufrag:sess
        a=ice-pwd:sessionpasswordsessionpw
        a=ice-options:trickle
        a=fingerprint:sha-256 11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11
        a=setup:passive
        m=video 9 UDP/TLS/RTP/SAVPF 96
        a=mid:0
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        a=mid:1
        a=ice-ufrag:med1
        a=ice-pwd:mediapasswordmediapassw
        a=setup:active
        m=audio 9 UDP/TLS/RTP/SAVPF 111
        a=mid:2
        a=ice-ufrag:only
        a=fingerprint:sha-256 22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22

        """

    @Test func sectionWithoutValuesInheritsSessionLevel() throws {
        let description = try SessionDescription(parsing: Self.text)
        let effective = description.effectiveTransport(for: try #require(description.media(withMid: "0")))
        #expect(effective == SDPTransportParameters(
            iceUfrag: "sess", icePwd: "sessionpasswordsessionpw", iceOptions: ["trickle"], iceLite: true,
            fingerprints: [SDPFingerprint(algorithm: "sha-256", bytes: Array(repeating: 0x11, count: 32))],
            setup: .passive))
        #expect(effective.supportsTrickle)
    }

    @Test func sectionValuesOverrideSessionLevel() throws {
        let description = try SessionDescription(parsing: Self.text)
        let effective = description.effectiveTransport(for: try #require(description.media(withMid: "1")))
        #expect(effective.iceUfrag == "med1")
        #expect(effective.icePwd == "mediapasswordmediapassw")
        #expect(effective.setup == .active)
        #expect(effective.fingerprints.first?.bytes == Array(repeating: 0x11, count: 32))
        #expect(effective.iceLite)
    }

    /// ICE credentials come as a pair: a section with only a ufrag does not borrow the session's password.
    @Test func credentialsAreNotMixedAcrossLevels() throws {
        let description = try SessionDescription(parsing: Self.text)
        let effective = description.effectiveTransport(for: try #require(description.media(withMid: "2")))
        #expect(effective.iceUfrag == "only")
        #expect(effective.icePwd == nil)
        #expect(effective.fingerprints.first?.bytes == Array(repeating: 0x22, count: 32))
        #expect(effective.setup == .passive)
    }

    @Test func fixtureWithMediaLevelValuesUsesThem() throws {
        let offer = try SessionDescription(parsing: SDPFixtures.text("chromium-offer-video-data.sdp"))
        #expect(offer.iceUfrag == nil)
        let effective = offer.effectiveTransport(for: offer.media[1])
        #expect(effective.iceUfrag == "stAH")
        #expect(effective.setup == .actpass)
        #expect(effective.fingerprints.first?.bytes.count == 32)
        #expect(!effective.iceLite)
    }
}
