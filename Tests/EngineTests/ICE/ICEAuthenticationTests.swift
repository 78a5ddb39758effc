import Testing
import TandemBase
import STUN
@testable import ICE

/// Requests that fail authentication or parsing (RFC 8489 §9.1.3, RFC 8445 §7.3).
@Suite struct ICEAuthenticationTests {
    let attacker = TransportAddress("127.0.0.1:7777")!
    let socket = ICETestSetup.addressB
    let transactionID: [UInt8] = Array(100..<112)

    func makeAgent() -> ICEAgent {
        let agent = ICETestSetup.agent(.controlled, seed: 2)
        agent.addLocalSocket(socket, at: .zero)
        while agent.pollEvent() != nil {}
        return agent
    }

    func request(_ attributes: [STUNAttribute], key: [UInt8]?, fingerprint: Bool = true) -> [UInt8] {
        STUNMessage(method: .binding, messageClass: .request, transactionID: transactionID, attributes: attributes)
            .encode(integrityKey: key, fingerprint: fingerprint)
    }

    func checkAttributes(for agent: ICEAgent, ufrag: String? = nil) -> [STUNAttribute] {
        [.username("\(ufrag ?? agent.localCredentials.ufrag):peer"), .priority(1_862_270_975), .iceControlling(tieBreaker: 1)]
    }

    func key(_ agent: ICEAgent) -> [UInt8] { STUNCredentials.shortTermKey(password: agent.localCredentials.pwd) }

    /// Delivers `bytes` and returns the single response (nil if none).
    func exchange(_ agent: ICEAgent, _ bytes: [UInt8]) throws -> (consumed: Bool, response: STUNMessage?, raw: [UInt8]?) {
        let consumed = agent.handleDatagram(bytes, from: attacker, to: socket, at: .zero + .milliseconds(1))
        guard let transmit = agent.pollTransmit() else { return (consumed, nil, nil) }
        #expect(agent.pollTransmit() == nil)
        #expect(transmit.from == socket && transmit.to == attacker)
        return (consumed, try STUNMessage.decode(transmit.bytes), transmit.bytes)
    }

    func expectSilent(_ agent: ICEAgent, _ bytes: [UInt8], consumed: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try exchange(agent, bytes)
        #expect(result.consumed == consumed, sourceLocation: sourceLocation)
        #expect(result.response == nil, sourceLocation: sourceLocation)
    }

    @Test func aValidCheckIsAnsweredBeforeRemoteCredentialsArrive() throws {
        let agent = makeAgent()
        let (consumed, response, raw) = try exchange(agent, request(checkAttributes(for: agent), key: key(agent)))
        #expect(consumed)
        let message = try #require(response)
        #expect(message.messageClass == .successResponse)
        #expect(message.transactionID == transactionID)
        #expect(message.xorMappedAddress == attacker)
        #expect(STUNMessage.verifyMessageIntegrity(try #require(raw), key: key(agent)) == .valid)
        #expect(STUNMessage.verifyFingerprint(try #require(raw)) == .valid)
        // Remembered as a peer-reflexive candidate for when checks can start (RFC 8838).
        #expect(agent.remoteCandidates.map(\.address) == [attacker])
        #expect(agent.remoteCandidates.first?.type == .prflx)
    }

    @Test func anOutOfRangePriorityIsAcceptedWithoutOverflow() throws {
        let agent = makeAgent()
        agent.setRemoteCredentials(ufrag: "peer", pwd: "peerpasswordpeerpassword")
        var attributes = checkAttributes(for: agent)
        attributes[1] = .priority(UInt32.max)
        let (_, response, _) = try exchange(agent, request(attributes, key: key(agent)))
        #expect(response?.messageClass == .successResponse)
        agent.handleTimeout(at: .zero + .milliseconds(2))
        #expect(agent.pollTransmit()?.to == attacker)  // the triggered check
    }

    @Test func wrongPasswordGets401WithoutIntegrity() throws {
        let agent = makeAgent()
        let (consumed, response, raw) = try exchange(agent, request(checkAttributes(for: agent), key: Array("wrong".utf8)))
        #expect(consumed)
        #expect(response?.messageClass == .errorResponse)
        #expect(response?.errorCode?.code == 401)
        #expect(STUNMessage.verifyMessageIntegrity(try #require(raw), key: key(agent)) == .missing)
        #expect(STUNMessage.verifyFingerprint(try #require(raw)) == .valid)
        #expect(agent.remoteCandidates.isEmpty)
        #expect(agent.connectionState == .new)
    }

    @Test func wrongUfragGets401() throws {
        let agent = makeAgent()
        let (_, response, _) = try exchange(agent, request(checkAttributes(for: agent, ufrag: "nobody"), key: key(agent)))
        #expect(response?.errorCode?.code == 401)
        #expect(agent.remoteCandidates.isEmpty)
    }

    @Test func missingIntegrityOrUsernameGets400() throws {
        let agent = makeAgent()
        let noIntegrity = try exchange(agent, request(checkAttributes(for: agent), key: nil))
        #expect(noIntegrity.response?.errorCode?.code == 400)
        let noUsername = try exchange(agent, request([.priority(1)], key: key(agent)))
        #expect(noUsername.response?.errorCode?.code == 400)
        #expect(agent.remoteCandidates.isEmpty)
    }

    @Test func missingPriorityGets400WithIntegrity() throws {
        let agent = makeAgent()
        let (_, response, raw) = try exchange(agent, request([.username("\(agent.localCredentials.ufrag):peer")], key: key(agent)))
        #expect(response?.errorCode?.code == 400)
        #expect(STUNMessage.verifyMessageIntegrity(try #require(raw), key: key(agent)) == .valid)
    }

    @Test func unknownComprehensionRequiredAttributeGets420() throws {
        let agent = makeAgent()
        let attributes = checkAttributes(for: agent) + [.unknown(type: 0x7777, value: [1]), .unknown(type: 0xC0FE, value: [])]
        let (_, response, _) = try exchange(agent, request(attributes, key: key(agent)))
        #expect(response?.errorCode?.code == 420)
        #expect(response?.attribute(ofType: STUNAttributeType.unknownAttributes) == .unknownAttributes([0x7777]))
    }

    @Test func malformedAndForeignDatagramsAreDroppedSilently() throws {
        let agent = makeAgent()
        var badFingerprint = request(checkAttributes(for: agent), key: key(agent))
        badFingerprint[badFingerprint.count - 1] ^= 0xFF
        try expectSilent(agent, badFingerprint, consumed: true)
        let valid = request(checkAttributes(for: agent), key: key(agent))
        var badLength = valid
        badLength[3] = 0xFF
        try expectSilent(agent, badLength, consumed: true)
        try expectSilent(agent, Array(valid.prefix(40)), consumed: true)
        // DTLS and RTP are not STUN (RFC 7983): left to the caller.
        try expectSilent(agent, [22, 254, 253] + [UInt8](repeating: 0, count: 30), consumed: false)
        try expectSilent(agent, [0x80, 0x60] + [UInt8](repeating: 0, count: 30), consumed: false)
        // A socket the agent was never told about.
        #expect(!agent.handleDatagram(valid, from: attacker, to: TransportAddress("127.0.0.1:1")!, at: .zero))
        #expect(agent.remoteCandidates.isEmpty)
    }

    @Test func forgedResponsesDoNotValidateAPair() throws {
        let network = TestNetwork()
        network.delivers = false
        let (a, b) = ICETestSetup.connectedPair(network: network)
        network.run(for: .milliseconds(10))
        let check = try #require(network.sent.first { $0.packet.from == ICETestSetup.addressA })
        let request = try STUNMessage.decode(check.packet.bytes)
        // A success response from the right address, keyed with the wrong password.
        let forged = STUNMessage(method: .binding, messageClass: .successResponse, transactionID: request.transactionID,
                                 attributes: [.xorMappedAddress(ICETestSetup.addressA)])
            .encode(integrityKey: Array("guess".utf8), fingerprint: true)
        #expect(a.agent.handleDatagram(forged, from: ICETestSetup.addressB, to: ICETestSetup.addressA, at: network.now))
        #expect(a.agent.selectedPair == nil)
        #expect(a.agent.connectionState == .checking)
        // Unauthenticated 487 does not flip the role either.
        let conflict = STUNMessage(method: .binding, messageClass: .errorResponse, transactionID: request.transactionID,
                                   attributes: [.errorCode(STUNErrorCode(code: 487, reason: "Role Conflict"))])
            .encode(fingerprint: true)
        #expect(a.agent.handleDatagram(conflict, from: ICETestSetup.addressB, to: ICETestSetup.addressA, at: network.now))
        #expect(a.agent.role == .controlling)
        _ = b
    }
}
