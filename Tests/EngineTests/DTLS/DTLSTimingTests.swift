import DTLS
import TandemBase
import Testing

@Suite struct DTLSRetransmissionTests {
    @Test func lostClientHelloIsRetransmittedAtTheVirtualDeadlineOnly() throws {
        let pair = try DTLSTestPair()
        pair.drop = { fromClient, index in fromClient && index == 0 }
        pair.start()
        #expect(pair.sentByClient.count == 1)
        #expect(pair.client.pollTimeout() == Instant.zero + .seconds(1))
        // Just before the deadline: nothing is resent, whatever OpenSSL's wall clock says.
        pair.client.handleTimeout(at: Instant.zero + .milliseconds(999))
        pair.client.handleDatagram([23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 3, 1, 2, 3], at: Instant.zero + .milliseconds(999))
        pair.deliver()
        #expect(pair.sentByClient.count == 1)
        pair.run(until: Instant.zero + .seconds(5))
        #expect(pair.sentByClient.count > 1)
        #expect(pair.sentByClient[1].at == Instant.zero + .seconds(1))
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
        #expect(pair.clientConnected?.srtpKeyingMaterial == pair.serverConnected?.srtpKeyingMaterial)
    }

    @Test func retransmissionTimeoutDoubles() throws {
        let pair = try DTLSTestPair()
        pair.drop = { fromClient, index in fromClient && index < 3 }
        pair.start()
        pair.run(until: Instant.zero + .seconds(20))
        let helloTimes = pair.sentByClient.prefix(4).map { ($0.at - .zero).milliseconds }
        #expect(helloTimes == [0, 1000, 3000, 7000])
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
    }

    @Test func lostServerFlightIsRecovered() throws {
        let pair = try DTLSTestPair()
        pair.drop = { fromClient, index in !fromClient && index == 0 }
        pair.start()
        #expect(pair.clientConnected == nil)
        pair.run(until: Instant.zero + .seconds(10))
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
    }

    @Test func partlyLostFlightIsCompletedAfterTheTimer() throws {
        let pair = try DTLSTestPair(mtu: 300)
        pair.drop = { fromClient, index in !fromClient && index == 1 }  // middle datagram of the server's flight
        pair.start()
        #expect(pair.sentByServer.count >= 3)
        #expect(pair.clientConnected == nil)
        #expect(pair.client.pollTimeout() == Instant.zero + .seconds(1))
        pair.run(until: Instant.zero + .seconds(10))
        #expect(pair.clientConnected != nil)
        #expect(pair.serverConnected != nil)
        #expect(pair.sentByClient[1].at == Instant.zero + .seconds(1))
    }

    @Test func lostFinalServerFlightIsResentWhenTheClientRetransmits() throws {
        let pair = try DTLSTestPair()
        pair.start()
        let finalFlight = pair.sentByServer.count - 1
        // Same handshake again with the server's last datagram lost.
        let lossy = try DTLSTestPair(clientCertificate: pair.clientCertificate, serverCertificate: pair.serverCertificate)
        lossy.drop = { fromClient, index in !fromClient && index == finalFlight }
        lossy.start()
        #expect(lossy.serverConnected != nil)
        #expect(lossy.clientConnected == nil)
        #expect(lossy.client.pollTimeout() == Instant.zero + .seconds(1))
        lossy.run(until: Instant.zero + .seconds(5))
        #expect(lossy.clientConnected != nil)
        #expect(lossy.clientConnected?.srtpKeyingMaterial == lossy.serverConnected?.srtpKeyingMaterial)
    }

    @Test func handshakeTimesOutWhenThePeerNeverAnswers() throws {
        let pair = try DTLSTestPair()
        pair.drop = { fromClient, _ in fromClient }
        pair.start()
        pair.run(until: Instant.zero + .seconds(29))
        #expect(DTLSTestPair.failure(in: pair.clientEvents) == nil)
        pair.run(until: Instant.zero + .seconds(31))
        #expect(DTLSTestPair.failure(in: pair.clientEvents) == .handshakeTimeout)
        #expect(DTLSTestPair.failure(in: pair.serverEvents) == .handshakeTimeout)
        #expect(pair.client.pollTimeout() == nil)
        // 1 + retransmissions at 1, 3, 7, 15 s (the next would be at 31 s, after the limit).
        #expect(pair.sentByClient.map { ($0.at - .zero).milliseconds } == [0, 1000, 3000, 7000, 15000])
    }
}

@Suite struct DTLSApplicationDataTests {
    @Test func applicationDataFlowsBothWays() throws {
        let pair = try DTLSTestPair()
        pair.start()
        try pair.client.send(Array("hello server".utf8))
        try pair.server.send(Array("hello client".utf8))
        try pair.server.send([])
        pair.deliver()
        #expect(DTLSTestPair.applicationData(in: pair.serverEvents) == [Array("hello server".utf8)])
        // OpenSSL writes no empty records: an empty send puts nothing on the wire.
        #expect(DTLSTestPair.applicationData(in: pair.clientEvents) == [Array("hello client".utf8)])
    }

    @Test func oneSendIsOneDatagramWithinTheMTU() throws {
        let pair = try DTLSTestPair()
        pair.start()
        let before = pair.sentByClient.count
        let limit = pair.client.maximumApplicationDataSize
        #expect(limit > 1100 && limit < 1200)
        let payload = (0..<limit).map { UInt8(truncatingIfNeeded: $0) }
        try pair.client.send(payload)
        pair.deliver()
        #expect(pair.sentByClient.count == before + 1)
        #expect(pair.sentByClient.last?.bytes.count ?? 0 <= 1200)
        #expect(DTLSTestPair.applicationData(in: pair.serverEvents) == [payload])
        #expect(throws: DTLSError.recordTooLarge(size: limit + 1, limit: limit)) { try pair.client.send(payload + [0]) }
    }

    @Test func sendBeforeConnectedThrows() throws {
        let pair = try DTLSTestPair()
        #expect(throws: DTLSError.notConnected) { try pair.client.send([1]) }
    }

    @Test func closeNotifyIsReportedAsClosed() throws {
        let pair = try DTLSTestPair()
        pair.start()
        pair.client.close()
        pair.deliver()
        #expect(pair.serverEvents.last == .closed)
        #expect(!pair.clientEvents.contains(.closed))
        #expect(throws: DTLSError.notConnected) { try pair.server.send([1]) }
        #expect(throws: DTLSError.notConnected) { try pair.client.send([1]) }
    }

    @Test func rolesMayBeSwappedBetweenCertificates() throws {
        let first = try DTLSTestPair()
        first.start()
        let swapped = try DTLSTestPair(clientCertificate: first.serverCertificate, serverCertificate: first.clientCertificate)
        swapped.start()
        #expect(swapped.clientConnected?.remoteFingerprint == first.clientCertificate.fingerprint)
        #expect(swapped.serverConnected?.remoteFingerprint == first.serverCertificate.fingerprint)
    }
}
