import Testing
import TandemBase
import STUN
@testable import ICE

@Suite struct ICEConsentAndRestartTests {
    @Test func consentKeepsAHealthyPairAlive() {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        let start = network.now
        network.run(for: .seconds(60))
        #expect(a.agent.connectionState == .completed)
        #expect(b.agent.connectionState == .completed)
        // RFC 7675 §5.1: one consent request every 4–6 s from each side.
        let consentFromA = network.sent.filter {
            $0.at > start && $0.packet.from == ICETestSetup.addressA
                && (try? STUNMessage.decode($0.packet.bytes))?.messageClass == .request
        }
        #expect((10...15).contains(consentFromA.count))
        for (earlier, later) in zip(consentFromA, consentFromA.dropFirst()) {
            #expect(later.at - earlier.at >= .seconds(4) && later.at - earlier.at <= .seconds(6))
        }
    }

    @Test func consentLossLeadsToDisconnectedThenFailed() throws {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        network.run(for: .seconds(7))
        let cut = network.now
        network.delivers = false
        network.run(for: .seconds(40))
        for node in [a, b] {
            let lastResponse = try #require(node.lastSuccessResponseAt)
            let disconnected = try #require(node.firstTime(of: .disconnected, after: cut))
            let failed = try #require(node.firstTime(of: .failed, after: cut))
            // Defaults: disconnected 8 s and failed (consent expiry, RFC 7675 §5.1) 30 s after the last response.
            #expect(disconnected == lastResponse + .seconds(8))
            #expect(failed == lastResponse + .seconds(30))
            #expect(node.agent.transmit([1]) == nil)  // RFC 7675 §5.1: stop sending
        }
        // No consent request leaves after consent expired.
        let lastFailure = [a, b].compactMap { $0.firstTime(of: .failed, after: cut) }.max()!
        #expect(!network.sent.contains { $0.at > lastFailure })
    }

    @Test func disconnectedRecoversWhenResponsesReturn() throws {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        network.delivers = false
        #expect(network.run(for: .seconds(15)) { a.agent.connectionState == .disconnected })
        network.delivers = true
        #expect(network.run(for: .seconds(10)) { ICETestSetup.bothCompleted(a, b) })
        #expect(a.agent.transmit([1]) != nil)
    }

    @Test func restartMovesToANewPathWhileDataKeepsFlowing() throws {
        // A has two sockets; the path through the first one dies, an ICE restart finds the second.
        let network = TestNetwork()
        let firstA = ICETestSetup.addressA
        let secondA = TransportAddress("127.0.0.3:5002")!
        let agentA = ICETestSetup.agent(.controlling, seed: 1)
        let agentB = ICETestSetup.agent(.controlled, seed: 2)
        ICETestSetup.exchangeCredentials(agentA, agentB)
        var secondPathUp = false
        network.drops = { !secondPathUp && ($0.from == secondA || $0.to == secondA) }
        let a = network.add("A", agentA, sockets: [firstA, secondA])
        let b = network.add("B", agentB, sockets: [ICETestSetup.addressB])
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        #expect(a.agent.selectedPair?.local.address == firstA)

        // The first path fails and the second comes up.
        secondPathUp = true
        network.drops = { $0.from == firstA || $0.to == firstA }
        #expect(network.run(for: .seconds(15)) { a.agent.connectionState == .disconnected })
        let restartAt = network.now
        var random = SeededGenerator(seed: 99)
        a.agent.restart(localCredentials: ICECredentials.random(using: &random), at: network.now)
        b.agent.restart(localCredentials: ICECredentials.random(using: &random), at: network.now)
        ICETestSetup.exchangeCredentials(a.agent, b.agent)
        // Until a new pair is selected, data still goes on the old one.
        #expect(a.agent.transmit([5])?.from == firstA)
        #expect(network.run(for: .seconds(3)) { ICETestSetup.bothCompleted(a, b) })
        #expect(a.agent.selectedPair?.local.address == secondA)
        #expect(a.agent.transmit([5])?.from == secondA)
        #expect(a.events.contains { $0.at >= restartAt && $0.event == .gatheringComplete })
        let reselections = a.events.filter {
            if case .selectedPairChanged = $0.event { $0.at >= restartAt } else { false }
        }
        #expect(reselections.count == 1)
    }

    @Test func restartOnAHealthyPathKeepsConnected() throws {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        let restartAt = network.now
        var random = SeededGenerator(seed: 5)
        a.agent.restart(localCredentials: ICECredentials.random(using: &random), at: network.now)
        b.agent.restart(localCredentials: ICECredentials.random(using: &random), at: network.now)
        ICETestSetup.exchangeCredentials(a.agent, b.agent)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        // State never left connected/completed during the restart.
        let statesAfter = a.events.filter { $0.at >= restartAt }.compactMap {
            if case let .stateChanged(state) = $0.event { state } else { nil }
        }
        #expect(statesAfter.allSatisfy { $0 == .connected || $0 == .completed })
        // Checks of the new generation use the new ufrags.
        let lastRequest = try #require(network.sent.last { (try? STUNMessage.decode($0.packet.bytes))?.messageClass == .request })
        let username = try STUNMessage.decode(lastRequest.packet.bytes).username
        let receiver = lastRequest.packet.to == ICETestSetup.addressA ? a.agent : b.agent
        let sender = receiver === a.agent ? b.agent : a.agent
        #expect(username == "\(receiver.localCredentials.ufrag):\(sender.localCredentials.ufrag)")
    }

    @Test func closeStopsEverything() {
        let network = TestNetwork()
        let (a, b) = ICETestSetup.connectedPair(network: network)
        #expect(network.run(for: .seconds(2)) { ICETestSetup.bothCompleted(a, b) })
        a.agent.close()
        network.collect()
        #expect(a.states.last == .closed)
        #expect(a.agent.pollTimeout() == nil)
        #expect(a.agent.transmit([1]) == nil)
        #expect(!a.agent.handleDatagram(network.sent.last!.packet.bytes, from: ICETestSetup.addressB,
                                         to: ICETestSetup.addressA, at: network.now))
    }
}
