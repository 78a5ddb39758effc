import Testing
import TandemBase
import STUN
@testable import ICE

@Suite struct ICEGatheringTests {
    let privateA = TransportAddress("10.0.0.1:5000")!
    let publicA = TransportAddress("203.0.113.1:6000")!
    let server = TransportAddress("198.51.100.10:3478")!

    @Test func gathersAServerReflexiveCandidateFromAFakeStunServer() throws {
        let network = TestNetwork()
        network.nat = [privateA: publicA]
        network.stunServers = [server]
        let agent = ICETestSetup.agent(.controlling, seed: 1, configuration: ICEConfiguration(stunServers: [server]))
        let a = network.add("A", agent, sockets: [privateA])
        #expect(network.run(for: .seconds(1)) { a.events.contains { $0.event == .gatheringComplete } })
        let candidates = a.localCandidates
        #expect(candidates.map(\.type) == [.host, .srflx])
        let srflx = try #require(candidates.last)
        #expect(srflx.address == publicA)
        #expect(srflx.relatedAddress == privateA)
        #expect(srflx.base == privateA)
        #expect(srflx.priority == ICECandidate.priority(type: .srflx, localPreference: 65535))
        #expect(srflx.foundation == ICECandidate.foundation(type: .srflx, baseIP: privateA.ip, serverIP: server.ip))
        #expect(srflx.foundation != candidates[0].foundation)
        // One round trip: 2 × 10 ms.
        #expect(a.events.first { $0.event == .gatheringComplete }?.at == Instant.zero + .milliseconds(20))
    }

    @Test func anUnansweredServerEndsGatheringAfterItsTimeout() {
        let network = TestNetwork()
        let silent = TransportAddress("198.51.100.11:3478")!
        network.stunServers = [server]
        let configuration = ICEConfiguration(stunServers: [server, silent, TransportAddress("[2001:db8::1]:3478")!])
        let agent = ICETestSetup.agent(.controlling, seed: 1, configuration: configuration)
        let a = network.add("A", agent, sockets: [ICETestSetup.addressA])
        network.run(for: .seconds(10))
        // The answering server maps to the host address itself: a redundant candidate, dropped (RFC 8445 §5.1.3).
        #expect(a.localCandidates.map(\.type) == [.host])
        #expect(a.events.filter { $0.event == .gatheringComplete }.map(\.at) == [Instant.zero + .seconds(5)])
        // Requests went to both IPv4 servers, none to the IPv6 one; the silent one got retransmissions.
        let toSilent = network.sent.filter { $0.packet.to == silent }.map { ($0.at - Instant.zero).milliseconds }
        #expect(toSilent == [0, 500, 1500, 3500])
        #expect(!network.sent.contains { !$0.packet.to.ip.isIPv4 })
    }
}
