import PeerConnection
import RTP
import SDP
import TandemBase
import TandemRuntime
import Testing

/// Two runtime PeerConnections over real UDP sockets on 127.0.0.1 (design notes §6.3).
@Suite struct LoopbackTests {
    @Test func connectsAndCarriesRTPBothWays() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let offerer = try await PeerConnection.create()
        let answerer = try await PeerConnection.create()
        let created = clock.now
        let mid = try await offerer.addTransceiver(.video)
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await offerer.gatheringComplete()
        let gathered = clock.now
        let offer = try #require(try await offerer.localDescription())
        try await answerer.setRemoteDescription(offer)
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await answerer.gatheringComplete()
        let answered = clock.now
        try await offerer.setRemoteDescription(try #require(try await answerer.localDescription()))
        try await offerer.connected()
        try await answerer.connected()
        let connected = clock.now
        print("create \(created - start), gather \(gathered - created), answer \(answered - gathered), connect \(connected - answered)")

        let payloadType = try await offerer.payloadType(for: "VP8", mid: mid)
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
        await answerer.close()
    }
}
