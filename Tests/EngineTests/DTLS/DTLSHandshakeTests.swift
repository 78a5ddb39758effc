import DTLS
import SRTP
import TandemBase
import Testing

@Suite struct DTLSHandshakeTests {
    @Test func handshakeCompletesAndBothSidesAgreeOnKeys() throws {
        let pair = try DTLSTestPair()
        pair.start()
        let client = try #require(pair.clientConnected)
        let server = try #require(pair.serverConnected)
        #expect(client.srtpProfile == .aeadAES128GCM)
        #expect(server.srtpProfile == .aeadAES128GCM)
        #expect(client.srtpKeyingMaterial.count == 56)
        #expect(client.srtpKeyingMaterial == server.srtpKeyingMaterial)
        #expect(client.remoteFingerprint == pair.serverCertificate.fingerprint)
        #expect(server.remoteFingerprint == pair.clientCertificate.fingerprint)
        #expect(pair.client.pollTimeout() == nil)
        #expect(pair.server.pollTimeout() == nil)
    }

    @Test(arguments: [SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80])
    func negotiatesTheOnlyProfileOneSideOffers(profile: SRTPProtectionProfile) throws {
        let pair = try DTLSTestPair(serverProfiles: [profile])
        pair.start()
        let client = try #require(pair.clientConnected)
        let server = try #require(pair.serverConnected)
        #expect(client.srtpProfile == profile)
        #expect(server.srtpProfile == profile)
        #expect(client.srtpKeyingMaterial.count == profile.keyingMaterialLength)
        #expect(client.srtpKeyingMaterial == server.srtpKeyingMaterial)
    }

    @Test(arguments: [1200, 576, 300])
    func everyDatagramFitsTheMTU(mtu: Int) throws {
        let pair = try DTLSTestPair(
            clientCertificate: DTLSCertificate(keyType: .rsa(bits: 2048)),
            serverCertificate: DTLSCertificate(keyType: .rsa(bits: 2048)), mtu: mtu)
        pair.start()
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
        let all = pair.sentByClient + pair.sentByServer
        #expect(all.allSatisfy { $0.bytes.count <= mtu })
        #expect(all.contains { $0.bytes.count > mtu / 2 })  // records were packed, not sent one per datagram
    }

    @Test func eventTextLeavesOutTheKeyingMaterial() throws {
        let pair = try DTLSTestPair()
        pair.start()
        let info = try #require(pair.clientConnected)
        let text = String(describing: DTLSEvent.connected(info)) + String(reflecting: info)
        #expect(text.contains("redacted"))
        #expect(!text.contains(String(describing: info.srtpKeyingMaterial[0...3]).dropFirst().dropLast()))
    }

    @Test func acceptsARemoteRSACertificate() throws {
        let pair = try DTLSTestPair(serverCertificate: DTLSCertificate(keyType: .rsa(bits: 2048)))
        pair.start()
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
    }

    @Test func tamperedFingerprintFailsTheCheckingSide() throws {
        var generator = SeededGenerator(seed: 1)
        let serverCertificate = try DTLSCertificate(using: &generator)
        var wrong = serverCertificate.fingerprint
        wrong.bytes[0] ^= 0x01
        let pair = try DTLSTestPair(serverCertificate: serverCertificate, clientExpects: wrong)
        pair.start()
        #expect(pair.clientConnected == nil)
        let error = try #require(DTLSTestPair.failure(in: pair.clientEvents))
        guard case let .fingerprintMismatch(expected, actual) = error else {
            Issue.record("expected a fingerprint mismatch, got \(error)")
            return
        }
        #expect(expected == wrong)
        #expect(actual == serverCertificate.fingerprint)
        #expect(error.description.contains("does not match"))
        // The server learns through the alert and does not connect either.
        #expect(pair.serverConnected == nil)
        #expect(DTLSTestPair.failure(in: pair.serverEvents) != nil)
    }

    @Test func serverRejectsAClientWithTheWrongCertificate() throws {
        var generator = SeededGenerator(seed: 2)
        let impostor = try DTLSCertificate(using: &generator)
        let pair = try DTLSTestPair(serverExpects: impostor.fingerprint)
        pair.start()
        #expect(pair.serverConnected == nil)
        let error = try #require(DTLSTestPair.failure(in: pair.serverEvents))
        guard case .fingerprintMismatch = error else {
            Issue.record("expected a fingerprint mismatch, got \(error)")
            return
        }
        #expect(pair.clientConnected == nil)
    }

    @Test func garbageDatagramsAreDroppedAndTheHandshakeStillCompletes() throws {
        let pair = try DTLSTestPair()
        var generator = SeededGenerator(seed: 99)
        let garbage: [[UInt8]] = [[], [22], [22, 0xFE, 0xFD], [23, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 5, 0xFF, 0xFF]]
            + (0..<50).map { n in [20 + UInt8(n % 44)] + generator.bytes(n * 7 % 1300) }
        for datagram in garbage {
            pair.server.handleDatagram(datagram, at: pair.now)
            pair.client.handleDatagram(datagram, at: pair.now)
        }
        pair.collectEvents()
        #expect(pair.serverEvents.isEmpty)
        pair.client.start(at: pair.now)
        pair.deliver()
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
        for datagram in garbage {
            pair.server.handleDatagram(datagram, at: pair.now)
            pair.client.handleDatagram(datagram, at: pair.now)
        }
        pair.collectEvents()
        try pair.client.send([1, 2, 3])
        pair.deliver()
        #expect(DTLSTestPair.applicationData(in: pair.serverEvents) == [[1, 2, 3]])
    }

    @Test func fingerprintTextRoundTrips() throws {
        var generator = SeededGenerator(seed: 3)
        let certificate = try DTLSCertificate(using: &generator)
        let text = certificate.fingerprint.sdpValue
        #expect(text.hasPrefix("sha-256 "))
        #expect(text.count == "sha-256 ".count + 32 * 3 - 1)
        #expect(try DTLSFingerprint(parsing: text) == certificate.fingerprint)
        #expect(try DTLSFingerprint(parsing: text.lowercased()) == certificate.fingerprint)
        let sha1 = try DTLSFingerprint(parsing: "SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB")
        #expect(sha1.algorithm == "sha-1")
        #expect(sha1.bytes.count == 20)
        #expect(throws: DTLSError.self) { try DTLSFingerprint(parsing: "md5 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B") }
        #expect(throws: DTLSError.self) { try DTLSFingerprint(parsing: "sha-256 4A:AD") }
        #expect(throws: DTLSError.self) { try DTLSFingerprint(parsing: "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:ZZ") }
        #expect(throws: DTLSError.self) { try DTLSFingerprint(parsing: "") }
    }
}

@Suite struct DTLSFingerprintAlgorithmTests {
    @Test(arguments: ["sha-1", "sha-384", "sha-512"])
    func remoteFingerprintMayUseAnotherHash(algorithm: String) throws {
        var generator = SeededGenerator(seed: 4)
        let serverCertificate = try DTLSCertificate(using: &generator)
        let expected = try serverCertificate.fingerprint(algorithm: algorithm)
        #expect(try DTLSFingerprint(parsing: expected.sdpValue) == expected)
        let pair = try DTLSTestPair(serverCertificate: serverCertificate, clientExpects: expected)
        pair.start()
        #expect(pair.clientConnected?.remoteFingerprint == expected)
        #expect(pair.serverConnected != nil)
    }
}

@Suite struct DTLSMalformedInputTests {
    /// A record that parses (handshake, epoch 0) holding a ClientHello that claims 13 bytes of nonsense.
    static let bogusClientHello: [UInt8] = [22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25,
                                            1, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 13] + Array(repeating: 0x41, count: 13)

    @Test func malformedClientHelloFailsAFreshServerWithADecodeErrorAlert() throws {
        let pair = try DTLSTestPair()
        pair.server.handleDatagram(Self.bogusClientHello, at: .zero)
        pair.collectEvents()
        guard case let .handshakeFailed(reason)? = DTLSTestPair.failure(in: pair.serverEvents) else {
            Issue.record("expected a handshake failure, got \(pair.serverEvents)")
            return
        }
        #expect(reason.contains("length too short"))
        let alert = try #require(pair.server.pollTransmit())
        #expect(alert.first == 21)  // alert record (RFC 5246 §6.2.1)
        #expect(alert.last == 50)  // decode_error (RFC 5246 §7.2)
    }

    @Test func unauthenticatedRecordsAfterTheHandshakeAreDropped() throws {
        let pair = try DTLSTestPair()
        pair.start()
        let forgedFatalAlert: [UInt8] = [21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40]
        let forgedEpochOneData: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 40] + Array(repeating: 7, count: 40)
        for datagram in [Self.bogusClientHello, forgedFatalAlert, forgedEpochOneData] {
            pair.server.handleDatagram(datagram, at: pair.now)
            pair.client.handleDatagram(datagram, at: pair.now)
        }
        pair.collectEvents()
        #expect(DTLSTestPair.failure(in: pair.clientEvents) == nil)
        #expect(DTLSTestPair.failure(in: pair.serverEvents) == nil)
        try pair.server.send([9])
        pair.deliver()
        #expect(DTLSTestPair.applicationData(in: pair.clientEvents) == [[9]])
    }
}
