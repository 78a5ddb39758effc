import Testing
import TandemBase
import STUN
@testable import ICE

/// The controlled agent's side of nomination (RFC 8445 §7.3.1.5), driven by hand.
@Suite struct ICENominationTests {
    let peer = TransportAddress("127.0.0.1:7000")!
    let socket = ICETestSetup.addressB
    let peerCredentials = ICECredentials(ufrag: "peer", pwd: "peerpasswordpeerpassword")

    @Test func aNominationBeforeOurOwnCheckSucceedsIsHonouredWhenItDoes() throws {
        let agent = ICETestSetup.agent(.controlled, seed: 3)
        agent.setRemoteCredentials(ufrag: peerCredentials.ufrag, pwd: peerCredentials.pwd)
        agent.addLocalSocket(socket, at: .zero)
        let ourKey = STUNCredentials.shortTermKey(password: agent.localCredentials.pwd)
        let peerKey = STUNCredentials.shortTermKey(password: peerCredentials.pwd)

        // The controlling peer checks with USE-CANDIDATE straight away (as aggressive agents do).
        let nomination = STUNMessage(method: .binding, messageClass: .request, transactionID: Array(1...12), attributes: [
            .username("\(agent.localCredentials.ufrag):peer"), .priority(1_862_270_975),
            .iceControlling(tieBreaker: 1), .useCandidate,
        ]).encode(integrityKey: ourKey, fingerprint: true)
        #expect(agent.handleDatagram(nomination, from: peer, to: socket, at: .zero + .milliseconds(1)))
        #expect(try STUNMessage.decode(try #require(agent.pollTransmit()).bytes).messageClass == .successResponse)
        #expect(agent.selectedPair == nil)  // nothing valid yet: our own check has not succeeded

        // The triggered check goes out at the next Ta tick, without USE-CANDIDATE.
        agent.handleTimeout(at: try #require(agent.pollTimeout()))
        let check = try #require(agent.pollTransmit())
        #expect(check.from == socket && check.to == peer)
        let request = try STUNMessage.decode(check.bytes)
        #expect(!request.hasUseCandidate)
        #expect(request.iceControlled != nil)
        #expect(STUNMessage.verifyMessageIntegrity(check.bytes, key: peerKey) == .valid)

        // Its success makes the pair valid and, remembered from the request, nominated.
        let success = STUNMessage(method: .binding, messageClass: .successResponse, transactionID: request.transactionID,
                                  attributes: [.xorMappedAddress(socket)]).encode(integrityKey: peerKey, fingerprint: true)
        #expect(agent.handleDatagram(success, from: peer, to: socket, at: .zero + .milliseconds(60)))
        #expect(agent.selectedPair?.remote.address == peer)
        #expect(agent.connectionState == .completed)
        var states: [ICEConnectionState] = []
        while let event = agent.pollEvent() { if case let .stateChanged(state) = event { states.append(state) } }
        #expect(states == [.checking, .connected, .completed])
    }

    @Test func aResponseFromAnotherAddressFailsThePair() throws {
        let agent = ICETestSetup.agent(.controlling, seed: 4)
        agent.setRemoteCredentials(ufrag: peerCredentials.ufrag, pwd: peerCredentials.pwd)
        agent.addLocalSocket(socket, at: .zero)
        agent.addRemoteCandidate(ICECandidate(foundation: "1", priority: 2_130_706_431, address: peer, type: .host))
        agent.handleTimeout(at: .zero)
        let check = try #require(agent.pollTransmit())
        let request = try STUNMessage.decode(check.bytes)
        let peerKey = STUNCredentials.shortTermKey(password: peerCredentials.pwd)
        let success = STUNMessage(method: .binding, messageClass: .successResponse, transactionID: request.transactionID,
                                  attributes: [.xorMappedAddress(socket)]).encode(integrityKey: peerKey, fingerprint: true)
        // RFC 8445 §7.2.5.2.1: the source is not where the request went.
        #expect(agent.handleDatagram(success, from: peer.withPort(7001), to: socket, at: .zero + .milliseconds(10)))
        #expect(agent.selectedPair == nil)
        #expect(agent.pairs.first?.state == .failed)
    }
}
