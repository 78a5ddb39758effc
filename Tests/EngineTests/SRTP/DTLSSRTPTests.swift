import DTLS
import SRTP
import Testing

@Suite struct DTLSSRTPTests {
    @Test(arguments: SRTPProtectionProfile.allCases)
    func keysFromTheHandshakeDriveInteroperableSessions(profile: SRTPProtectionProfile) throws {
        let handshake = try DTLSTestPair(clientProfiles: [profile])
        handshake.start()
        let clientInfo = try #require(handshake.clientConnected)
        let serverInfo = try #require(handshake.serverConnected)
        let client = try SRTPSession(profile: clientInfo.srtpProfile, keyingMaterial: clientInfo.srtpKeyingMaterial, role: .client)
        let server = try SRTPSession(profile: serverInfo.srtpProfile, keyingMaterial: serverInfo.srtpKeyingMaterial, role: .server)
        #expect(client.profile == profile)
        let video = makeRTPPacket(sequence: 42, ssrc: 0xCAFE)
        #expect(try server.unprotectRTP(client.protectRTP(video)) == video)
        let audio = makeRTPPacket(sequence: 9, ssrc: 0xBEEF, payload: [1, 2, 3])
        #expect(try client.unprotectRTP(server.protectRTP(audio)) == audio)
        let report = makeRTCPSenderReport(ssrc: 0xCAFE)
        #expect(try server.unprotectRTCP(client.protectRTCP(report)) == report)
        // Same role on both sides means the wrong key: nothing authenticates.
        let confused = try SRTPSession(profile: profile, keyingMaterial: clientInfo.srtpKeyingMaterial, role: .client)
        #expect(throws: SRTPError.authenticationFailed) { try confused.unprotectRTP(client.protectRTP(makeRTPPacket(sequence: 43, ssrc: 0xCAFE))) }
    }
}
