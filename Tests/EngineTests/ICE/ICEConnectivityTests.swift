import Testing
import TandemBase
import STUN
@testable import ICE

@Suite struct ICEConnectivityTests {
    @Test func connectsOnLoopbackAndCompletesOnBothEnds() throws {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        let done = network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) }
        #expect(done)
        #expect(a.states == [.checking, .connected, .completed])
        #expect(b.states == [.checking, .connected, .completed])
        let pairA = try #require(a.agent.selectedPair)
        let pairB = try #require(b.agent.selectedPair)
        #expect(pairA.local.address == ICETestSetup.addressA && pairA.remote.address == ICETestSetup.addressB)
        #expect(pairB.local.address == ICETestSetup.addressB && pairB.remote.address == ICETestSetup.addressA)
        #expect(a.events.contains { $0.event == .gatheringComplete })
        // Data goes on the selected pair, from the right socket.
        #expect(a.agent.transmit([1, 2, 3]) == ICETransmit(bytes: [1, 2, 3], from: ICETestSetup.addressA, to: ICETestSetup.addressB))
        // Connectivity comes within a few round trips.
        #expect(try #require(a.firstTime(of: .connected)) < Instant.zero + .milliseconds(200))
    }

    @Test func everyCheckIsAuthenticatedAndFingerprinted() throws {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        let requests = network.sent.filter { (try? STUNMessage.decode($0.packet.bytes))?.messageClass == .request }
        #expect(!requests.isEmpty)
        for (_, packet) in requests {
            let message = try STUNMessage.decode(packet.bytes)
            let fromA = packet.from == ICETestSetup.addressA
            let receiver = fromA ? b.agent : a.agent
            let sender = fromA ? a.agent : b.agent
            // RFC 8445 §7.2.2: USERNAME "receiver:sender", integrity with the receiver's password.
            #expect(message.username == "\(receiver.localCredentials.ufrag):\(sender.localCredentials.ufrag)")
            let key = STUNCredentials.shortTermKey(password: receiver.localCredentials.pwd)
            #expect(STUNMessage.verifyMessageIntegrity(packet.bytes, key: key) == .valid)
            #expect(STUNMessage.verifyFingerprint(packet.bytes) == .valid)
            #expect(message.priority == ICECandidate.priority(type: .prflx, localPreference: 65535))
            #expect((message.iceControlling != nil) != (message.iceControlled != nil))
        }
        // Only the controlling agent nominates (RFC 8445 §8.1.1).
        let nominations = requests.filter { (try? STUNMessage.decode($0.packet.bytes))?.hasUseCandidate == true }
        #expect(!nominations.isEmpty)
        #expect(nominations.allSatisfy { $0.packet.from == ICETestSetup.addressA })
    }

    @Test func connectsWithTwentyPercentLoss() {
        for seed in [UInt64(1), 2, 3] {
            let network = TestNetwork()
            network.lossRate = 0.2
            network.random = SeededGenerator(seed: seed)
            let (a, b) = ICETestSetup.connectedPair(network: network)
            #expect(network.run(for: .seconds(20)) { ICETestSetup.bothCompleted(a, b) }, "seed \(seed)")
            #expect(a.agent.selectedPair?.remote.address == ICETestSetup.addressB)
            #expect(b.agent.selectedPair?.remote.address == ICETestSetup.addressA)
            #expect(network.randomlyLost > 0, "seed \(seed) lost nothing")
        }
    }

    @Test(arguments: [ICERole.controlling, .controlled])
    func roleConflictIsRepaired(_ role: ICERole) {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network, roleA: role, roleB: role, tieBreakerA: 10, tieBreakerB: 20)
        #expect(network.run(for: .seconds(3)) { ICETestSetup.bothCompleted(a, b) })
        // RFC 8445 §7.3.1.1: the larger tie-breaker controls.
        #expect(a.agent.role == .controlled)
        #expect(b.agent.role == .controlling)
        #expect(a.agent.selectedPair?.remote.address == ICETestSetup.addressB)
        if role == .controlling {
            // B, controlling with the larger tie-breaker, answered A's checks with 487.
            let conflicts = network.sent.filter { (try? STUNMessage.decode($0.packet.bytes))?.errorCode?.code == 487 }
            #expect(!conflicts.isEmpty)
        }
    }

    @Test func learnsPeerReflexiveRemoteCandidates() throws {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        b.signalsCandidates = false  // A never hears of B's candidates
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        let pair = try #require(a.agent.selectedPair)
        #expect(pair.remote.type == .prflx)
        #expect(pair.remote.address == ICETestSetup.addressB)
        // RFC 8445 §7.3.1.3: priority from the request's PRIORITY.
        #expect(pair.remote.priority == ICECandidate.priority(type: .prflx, localPreference: 65535))
    }

    @Test func learnsPeerReflexiveCandidatesThroughANAT() throws {
        // A sits behind a one-to-one NAT; its host address is unreachable from B.
        let network = TestNetwork()
        let privateA = TransportAddress("10.0.0.1:5000")!
        let publicA = TransportAddress("203.0.113.1:6000")!
        network.nat = [privateA: publicA]
        let agentA = ICETestSetup.agent(.controlling, seed: 1)
        let agentB = ICETestSetup.agent(.controlled, seed: 2)
        ICETestSetup.exchangeCredentials(agentA, agentB)
        let a = network.add("A", agentA, sockets: [privateA])
        let b = network.add("B", agentB, sockets: [ICETestSetup.addressB.withIP("198.51.100.1")])
        #expect(network.run(for: .seconds(3)) { ICETestSetup.bothCompleted(a, b) })
        let pairA = try #require(a.agent.selectedPair)
        // RFC 8445 §7.2.5.3.1: A learns its public address as a local peer-reflexive candidate.
        #expect(pairA.local.type == .prflx)
        #expect(pairA.local.address == publicA)
        #expect(pairA.local.base == privateA)
        #expect(a.agent.transmit([7])?.from == privateA)
        let pairB = try #require(b.agent.selectedPair)
        #expect(pairB.remote.type == .prflx)
        #expect(pairB.remote.address == publicA)
        // Local peer-reflexive candidates are not signalled.
        #expect(!a.localCandidates.contains { $0.type == .prflx })
    }

    @Test func trickledCandidatesJoinChecksInProgress() throws {
        let network = TestNetwork()
        let unreachableB = TransportAddress("127.0.0.2:6001")!  // another IP, hence another foundation
        network.drops = { $0.to == unreachableB || $0.from == unreachableB }
        let agentA = ICETestSetup.agent(.controlling, seed: 1)
        let agentB = ICETestSetup.agent(.controlled, seed: 2)
        ICETestSetup.exchangeCredentials(agentA, agentB)
        let a = network.add("A", agentA, sockets: [ICETestSetup.addressA])
        a.signalsCandidates = false
        let b = network.add("B", agentB, sockets: [ICETestSetup.addressB, unreachableB])
        b.signalsCandidates = false
        network.collect()
        let candidatesB = b.localCandidates
        // First only B's unreachable candidate reaches A: checks start and go nowhere.
        a.agent.addRemoteCandidate(try #require(candidatesB.first { $0.address == unreachableB }))
        network.run(for: .milliseconds(300))
        #expect(a.agent.connectionState == .checking)
        #expect(b.agent.connectionState == .new)
        // Then the reachable one trickles in, and later the rest and end-of-candidates.
        a.agent.addRemoteCandidate(try #require(candidatesB.first { $0.address == ICETestSetup.addressB }))
        #expect(network.run(for: .seconds(1)) { a.agent.connectionState == .connected || a.agent.connectionState == .completed })
        for candidate in a.localCandidates { b.agent.addRemoteCandidate(candidate) }
        a.agent.remoteCandidatesComplete(at: network.now)
        b.agent.remoteCandidatesComplete(at: network.now)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        let pair = try #require(a.agent.selectedPair)
        #expect(pair.remote.address == ICETestSetup.addressB)
        #expect(pair.remote.type == .host)
    }

    @Test func failsWhenEveryPairFailsAfterEndOfCandidates() {
        let network = TestNetwork()
        network.delivers = false
        let agentA = ICETestSetup.agent(.controlling, seed: 1)
        let agentB = ICETestSetup.agent(.controlled, seed: 2)
        ICETestSetup.exchangeCredentials(agentA, agentB)
        let a = network.add("A", agentA, sockets: [ICETestSetup.addressA])
        network.add("B", agentB, sockets: [ICETestSetup.addressB])
        network.run(for: .seconds(60))
        // RFC 8489 §6.2.1 with RTO 500 ms: sent at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; the pair fails
        // 16 × RTO later (39.5 s) and ICE after the 2 s failure grace.
        let sends = network.sent.filter { $0.packet.from == ICETestSetup.addressA }.map { ($0.at - Instant.zero).milliseconds }
        #expect(sends == [0, 500, 1500, 3500, 7500, 15500, 31500])
        #expect(a.firstTime(of: .failed) == Instant.zero + .milliseconds(41500))
        #expect(a.states == [.checking, .failed])
    }

    @Test func aPeerCheckWithinTheFailureGraceRevivesTheSession() throws {
        let network = TestNetwork()
        let unreachableB = TransportAddress("127.0.0.2:6001")!
        network.drops = { $0.to == unreachableB }
        let agentA = ICETestSetup.agent(.controlling, seed: 1)
        let agentB = ICETestSetup.agent(.controlled, seed: 2)
        ICETestSetup.exchangeCredentials(agentA, agentB)
        let a = network.add("A", agentA, sockets: [ICETestSetup.addressA])
        let b = network.add("B", agentB, sockets: [ICETestSetup.addressB])
        a.signalsCandidates = false
        b.signalsCandidates = false
        agentA.addRemoteCandidate(ICECandidate(foundation: "9", priority: 1, address: unreachableB, type: .host))
        agentA.remoteCandidatesComplete(at: network.now)
        // A's only pair fails at 39.5 s; B learns A's candidate one second later.
        network.run(for: .milliseconds(40500))
        #expect(a.agent.connectionState == .checking)
        for candidate in a.localCandidates { agentB.addRemoteCandidate(candidate) }
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        #expect(!a.states.contains(.failed))
        #expect(try #require(a.agent.selectedPair).remote.type == .prflx)
    }

    @Test func checksArePacedAtTa() {
        let network = TestNetwork()
        network.delivers = false
        let agentA = ICETestSetup.agent(.controlling, seed: 1)
        let agentB = ICETestSetup.agent(.controlled, seed: 2)
        ICETestSetup.exchangeCredentials(agentA, agentB)
        let a = network.add("A", agentA, sockets: [ICETestSetup.addressA])
        a.signalsCandidates = false
        for port in UInt16(7000)..<7005 {
            let address = ICETestSetup.addressB.withPort(port)
            agentA.addRemoteCandidate(ICECandidate(foundation: "\(port)", priority: 2_000_000_000 + UInt32(port),
                                                   address: address, type: .host))
        }
        network.run(for: .milliseconds(400))
        // Five first transmissions, one per Ta (50 ms), highest priority first (RFC 8445 §6.1.4.2).
        var firstSends: [(Instant, UInt16)] = []
        for (at, packet) in network.sent where !firstSends.contains(where: { $0.1 == packet.to.port }) {
            firstSends.append((at, packet.to.port))
        }
        #expect(firstSends.map(\.1) == [7004, 7003, 7002, 7001, 7000])
        for (earlier, later) in zip(firstSends, firstSends.dropFirst()) {
            #expect(later.0 - earlier.0 == .milliseconds(50))
        }
    }
}

extension TransportAddress {
    func withPort(_ port: UInt16) -> TransportAddress { TransportAddress(ip: ip, port: port) }
    func withIP(_ text: String) -> TransportAddress { TransportAddress(ip: IPAddress(text)!, port: port) }
}
