import PeerConnection
import RTP
import SDP
import TandemBase
import TandemRuntime
import NIOPosix
import Testing

/// Two runtime PeerConnections over real UDP sockets on 127.0.0.1 (design notes §6.3).
@Suite struct LoopbackTests {
    @Test(.timeLimit(.minutes(1))) func connectsAndCarriesRTPBothWays() async throws {
        var options = PeerConnection.Options()
        options.interfaces = .addresses([.loopbackV4])
        let offerer = try await PeerConnection.create(options: options)
        let answerer = try await PeerConnection.create(options: options)
        let mid = try await offerer.addTransceiver(.audio)
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await offerer.gatheringComplete()
        let offer = try #require(try await offerer.localDescription())
        try await answerer.setRemoteDescription(offer)
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await answerer.gatheringComplete()
        try await offerer.setRemoteDescription(try #require(try await answerer.localDescription()))
        try await offerer.connected()
        try await answerer.connected()

        let payloadType = try await offerer.payloadType(for: "opus", mid: mid)
        let packet = RTPPacket(marker: true, payloadType: payloadType, sequenceNumber: 1, timestamp: 90_000, ssrc: 0, payload: Array(repeating: 0x5a, count: 1000))
        offerer.send(packet, mid: mid)
        var iterator = answerer.incomingRTP.makeAsyncIterator()
        let received = try #require(await iterator.next())
        #expect(received.packet.payload == packet.payload)
        #expect(received.packet.sequenceNumber == 1)
        answerer.send(received.packet, mid: received.mid)
        var back = offerer.incomingRTP.makeAsyncIterator()
        #expect(await back.next()?.packet.payload == packet.payload)

        let stats = try await offerer.stats()
        #expect(stats.selectedPair?.local.ip == .loopbackV4)
        #expect(stats.rtpPacketsSent == 1 && stats.rtpPacketsReceived == 1)
        await offerer.close()
        // The close_notify reaches the other side, which reports closed (RFC 5246 §7.2.1).
        var states = answerer.connectionStates.makeAsyncIterator()
        while let state = await states.next(), state != .closed {}
        #expect(try await answerer.stats().connectionState == .closed)
        await answerer.close()
    }

    @Test(.timeLimit(.minutes(1))) func connectsOverIPv6Loopback() async throws {
        var options = PeerConnection.Options()
        let ipv6Loopback = try #require(IPAddress("::1"))
        options.interfaces = .addresses([ipv6Loopback])
        let offerer = try await PeerConnection.create(options: options)
        let answerer = try await PeerConnection.create(options: options)
        _ = try await offerer.addTransceiver(.video)
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await offerer.gatheringComplete()
        try await answerer.setRemoteDescription(try #require(try await offerer.localDescription()))
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await answerer.gatheringComplete()
        let answer = try #require(try await answerer.localDescription())
        #expect(answer.sdp.contains(" ::1 "), "the answer carries an IPv6 host candidate")
        try await offerer.setRemoteDescription(answer)
        try await offerer.connected()
        #expect(try await offerer.stats().selectedPair?.remote.ip == ipv6Loopback)
        await offerer.close()
        await answerer.close()
    }

    /// The implicit description (W3C webrtc-pc §4.4.1.5): an offer in `stable`, an answer with a remote offer
    /// pending. On host sockets alone gathering completes in the same turn, so the description returned is
    /// already complete; `gatheringComplete()` returns that same description.
    @Test(.timeLimit(.minutes(1))) func connectsWithImplicitDescriptions() async throws {
        var options = PeerConnection.Options()
        options.interfaces = .addresses([.loopbackV4])
        let offerer = try await PeerConnection.create(options: options)
        let answerer = try await PeerConnection.create(options: options)
        _ = try await offerer.addTransceiver(.video)
        let offer = try await offerer.setLocalDescription()
        #expect(offer.type == .offer)
        #expect(offer.sdp.contains("typ host") && offer.sdp.contains("a=end-of-candidates"))
        #expect(try await offerer.gatheringComplete() == offer)
        #expect(try await offerer.localDescription() == offer)
        await #expect(throws: PeerError.self, "an offer is pending: nothing implicit to set") {
            try await offerer.setLocalDescription()
        }

        try await answerer.setRemoteDescription(offer)
        let answer = try await answerer.setLocalDescription()
        #expect(answer.type == .answer)
        #expect(try await answerer.gatheringComplete() == answer)
        try await offerer.setRemoteDescription(answer)
        try await offerer.connected()
        try await answerer.connected()
        // Published as connected: returns at once, whatever the timeout.
        try await offerer.connected(timeout: .zero)
        await offerer.close()
        await answerer.close()
    }

    @Test(.timeLimit(.minutes(1))) func connectedGivesUpAfterItsTimeout() async throws {
        var options = PeerConnection.Options()
        options.interfaces = .addresses([.loopbackV4])
        let peer = try await PeerConnection.create(options: options)
        _ = try await peer.addTransceiver(.audio)
        try await peer.setLocalDescription()
        await #expect(throws: PeerConnectionTimeout.self) { try await peer.connected(timeout: .milliseconds(20)) }
        await peer.close()
    }

    /// A caller on the Peers' own loop (executor preference) takes the direct path: no hand-off per call.
    @Test(.timeLimit(.minutes(1))) func connectsFromATaskOnThePeersLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopTaskExecutor(group.next())
        var options = PeerConnection.Options()
        options.interfaces = .addresses([.loopbackV4])
        let offerer = try await PeerConnection.create(options: options, group: group)
        let answerer = try await PeerConnection.create(options: options, group: group)
        let onLoop = try await withTaskExecutorPreference(executor) {
            let mid = try await offerer.addTransceiver(.audio)
            try await offerer.setLocalDescription(try await offerer.createOffer())
            try await offerer.gatheringComplete()
            try await answerer.setRemoteDescription(try #require(try await offerer.localDescription()))
            try await answerer.setLocalDescription(try await answerer.createAnswer())
            try await answerer.gatheringComplete()
            try await offerer.setRemoteDescription(try #require(try await answerer.localDescription()))
            try await offerer.connected()
            try await answerer.connected()
            let payloadType = try await offerer.payloadType(for: "opus", mid: mid)
            offerer.send(RTPPacket(payloadType: payloadType, sequenceNumber: 7, timestamp: 0, ssrc: 0, payload: [1, 2, 3]), mid: mid)
            var incoming = answerer.incomingRTP.makeAsyncIterator()
            #expect(await incoming.next()?.packet.payload == [1, 2, 3])
            return group.next().inEventLoop
        }
        #expect(onLoop, "the task ran on the Peers' loop")
        await offerer.close()
        await answerer.close()
        try await group.shutdownGracefully()
    }
}
