import DTLS
import NetworkSimulation
import PeerConnection
import RTP
import SDP
import SRTP
import TandemBase
import Testing

@Suite struct PeerVirtualTimeTests {
    @Test func connectsOnAPerfectNetwork() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let connectedAt = try #require(pair.firstTime(.offerer, state: .connected))
        #expect(connectedAt < Instant.zero + .milliseconds(100))
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func connectsAtTwentyPercentLoss(seed: UInt64) throws {
        let pair = try PeerPair(impairments: LinkImpairments(delay: .milliseconds(20), loss: 0.2), seed: seed)
        try pair.negotiate()
        #expect(pair.run(for: .seconds(30)) { pair.bothConnected })
        #expect(pair.network.counters.lost > 0)
    }

    @Test func connectsThroughReorderingDuplicationAndAnMTULimit() throws {
        let impairments = LinkImpairments(delay: .milliseconds(10), jitter: .milliseconds(30), loss: 0.05, duplication: 0.2, mtu: 1200)
        let pair = try PeerPair(impairments: impairments, seed: 11)
        try pair.negotiate()
        #expect(pair.run(for: .seconds(30)) { pair.bothConnected })
        #expect(pair.network.counters.duplicated > 0)
        #expect(pair.network.counters.oversized == 0, "every datagram fits the 1200-byte MTU")
        #expect(pair.sent.allSatisfy { $0.bytes.count <= 1200 })
    }

    @Test(arguments: [DTLSRole.client, .server])
    func bothDTLSRolesCarryMediaBothWays(answererRole: DTLSRole) throws {
        let pair = try PeerPair(answererDTLSRole: answererRole)
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        #expect(pair.answerer.stats(at: pair.now).dtlsRole == (answererRole == .client ? "client" : "server"))
        #expect(pair.offerer.stats(at: pair.now).dtlsRole == (answererRole == .client ? "server" : "client"))
        try sendPackets(pair, from: .offerer, count: 20)
        try sendPackets(pair, from: .answerer, count: 20)
        pair.run(for: .milliseconds(100))
        #expect(pair.rtpReceived(by: .answerer).count == 20)
        #expect(pair.rtpReceived(by: .offerer).count == 20)
    }

    @Test(arguments: [SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80])
    func eachSRTPProfileIsNegotiatedAndWorks(profile: SRTPProtectionProfile) throws {
        let pair = try PeerPair(offererProfiles: [profile])
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        #expect(pair.offerer.stats(at: pair.now).srtpProfile == profile.description)
        try sendPackets(pair, from: .offerer, count: 5)
        pair.run(for: .milliseconds(50))
        #expect(pair.rtpReceived(by: .answerer).count == 5)
    }

    @Test func replayedSRTPIsRefused() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let before = pair.sent.count
        try sendPackets(pair, from: .offerer, count: 3)
        pair.run(for: .milliseconds(50))
        let media = pair.sent[before...].filter { $0.side == .offerer && DatagramKind.classify($0.bytes) == .rtp }
        #expect(media.count == 3)
        let failuresBefore = pair.answerer.stats(at: pair.now).srtpFailures
        for datagram in media {
            pair.answerer.handleDatagram(datagram.bytes, from: pair.offererAddress, to: pair.answererAddress, at: pair.now)
        }
        pair.pump()
        #expect(pair.rtpReceived(by: .answerer).count == 3, "replays must not be delivered")
        #expect(pair.answerer.stats(at: pair.now).srtpFailures == failuresBefore + 3)
    }

    @Test func dtlsRecoversFromLostHandshakeFlights() throws {
        let pair = try PeerPair(impairments: LinkImpairments(delay: .milliseconds(5)))
        try pair.negotiate()
        // Let ICE connect, then lose everything for 1.5 s: DTLS must retransmit on the Peer's clock.
        #expect(pair.run(for: .seconds(5)) { pair.offerer.stats(at: pair.now).selectedPair != nil })
        pair.network.impairments.loss = 1
        pair.run(for: .milliseconds(1500))
        #expect(!pair.bothConnected)
        pair.network.impairments.loss = 0
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let dtlsDatagrams = pair.sent.filter { DatagramKind.classify($0.bytes) == .dtls }.count
        #expect(dtlsDatagrams > 4, "the lost flights were sent again")
    }

    @Test func consentLossMovesToDisconnectedThenFailed() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let cut = pair.now
        pair.network.blockedAddresses = [pair.answererAddress]
        #expect(pair.run(for: .seconds(20)) { pair.offerer.connectionState == .disconnected })
        #expect(pair.run(for: .seconds(40)) { pair.offerer.connectionState == .failed })
        let failedAt = try #require(pair.firstTime(.offerer, state: .failed))
        // RFC 7675 §5.1: consent expires 30 s after the last authenticated response.
        #expect(failedAt - cut <= .seconds(31))
        #expect(failedAt - cut >= .seconds(25))
        #expect(pair.failures(.offerer).contains { $0.contains("ICE failed") })
    }

    @Test(arguments: [PeerPair.Side.offerer, .answerer])
    func iceRestartRecoversAfterThePathWasLost(initiator: PeerPair.Side) throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let oldUfrag = try #require(pair.offerer.localDescription?.1.media.first?.iceUfrag)
        pair.network.blockedAddresses = [pair.answererAddress]
        #expect(pair.run(for: .seconds(40)) { pair.offerer.connectionState == .failed && pair.answerer.connectionState == .failed })
        pair.network.blockedAddresses = []
        pair.run(for: .seconds(5))
        #expect(pair.offerer.connectionState == .failed, "a failed connection stays failed until ICE restarts")
        try pair.restartICE(from: initiator)
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let newUfrag = try #require(pair.offerer.localDescription?.1.media.first?.iceUfrag)
        #expect(newUfrag != oldUfrag)
        let version = { (peer: Peer) in peer.localDescription?.1.origin.sessionVersion }
        #expect(version(pair.offerer) == 2 && version(pair.answerer) == 2, "RFC 8829 §5.2.2: the restart's descriptions increment o=")
        let delivered = pair.rtpReceived(by: .answerer).count
        try sendPackets(pair, from: .offerer, count: 4)
        pair.run(for: .milliseconds(50))
        #expect(pair.rtpReceived(by: .answerer).count == delivered + 4, "media flows on the restarted path with the same DTLS/SRTP session")
    }

    @Test func renegotiationThatChangesMediaIsRefused() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        var offer = try pair.offerer.createOffer(iceRestart: true)
        offer.media.append(offer.media[0])
        offer.media[1].setValue("extra", named: "mid")
        #expect(throws: PeerError.self) {
            try pair.answerer.setRemoteDescription(offer, type: .offer, at: pair.now)
        }
    }

    @Test func tamperedFingerprintFailsTheConnection() throws {
        let pair = try PeerPair()
        pair.tamperAnswer = { answer in
            for index in answer.media.indices {
                var fingerprints = answer.media[index].fingerprints
                guard !fingerprints.isEmpty else { continue }
                fingerprints[0].bytes[0] ^= 0xff
                answer.media[index].setTypedValues(fingerprints)
            }
        }
        try pair.negotiate()
        #expect(pair.run(for: .seconds(40)) { pair.offerer.connectionState == .failed })
        #expect(pair.offerer.connectionState == .failed)
        #expect(pair.failures(.offerer).contains { $0.lowercased().contains("fingerprint") })
        #expect(pair.rtpReceived(by: .offerer).isEmpty)
    }

    @Test func closingSaysGoodbyeAndTheOtherSideCloses() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        pair.offerer.close(at: pair.now)
        #expect(pair.run(for: .seconds(1)) { pair.answerer.connectionState == .closed })
        #expect(pair.answerer.stats(at: pair.now).goodbyesReceived == 1, "RTCP BYE arrived before close_notify")
        #expect(pair.offerer.pollTimeout() == nil && pair.answerer.pollTimeout() == nil, "no timer runs after closing")
    }

    @Test func malformedDatagramsAreDroppedWithoutHarm() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        var random = SeededGenerator(seed: 99)
        for length in 0..<300 {
            var bytes = random.bytes(length % 80)
            if !bytes.isEmpty { bytes[0] = [0x00, 0x01, 0x16, 0x17, 0x80, 0x90, 0xC8, 0x40][length % 8] }
            pair.answerer.handleDatagram(bytes, from: pair.offererAddress, to: pair.answererAddress, at: pair.now)
        }
        pair.pump()
        #expect(pair.answerer.connectionState == .connected)
        try sendPackets(pair, from: .offerer, count: 2)
        pair.run(for: .milliseconds(50))
        #expect(pair.rtpReceived(by: .answerer).count == 2)
    }

    @Test func rtcpReportsGiveARoundTripTime() throws {
        let pair = try PeerPair(impairments: LinkImpairments(delay: .milliseconds(25)))
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        for _ in 0..<10 {
            try sendPackets(pair, from: .offerer, count: 1)
            pair.run(for: .milliseconds(500))
        }
        let rtt = try #require(pair.offerer.stats(at: pair.now).roundTripTime)
        #expect(abs(rtt.milliseconds - 50) < 2, "RTT \(rtt) from SR/RR over a 25 ms one-way path")
    }

    /// Raw RTP on the pair's audio section (video goes through the send stream: `PeerVideoTests`).
    private func sendPackets(_ pair: PeerPair, from side: PeerPair.Side, count: Int) throws {
        let peer = pair.peer(side)
        let payloadType = try peer.payloadType(for: "opus", mid: pair.mid)
        // Sequence numbers continue across calls: SRTP refuses to protect one twice (RFC 3711 §3.3.2).
        let first = peer.stats(at: pair.now).rtpPacketsSent
        for index in first..<first + count {
            let packet = RTPPacket(marker: true, payloadType: payloadType, sequenceNumber: UInt16(truncatingIfNeeded: index + 1),
                                   timestamp: UInt32(index * 3000), ssrc: 0, payload: Array(repeating: UInt8(index), count: 900))
            try peer.sendRTP(packet, mid: pair.mid, at: pair.now)
        }
        pair.pump()
    }
}
