import SRTP
import TandemBase
import Testing

/// An RTP packet (RFC 3550 §5.1): version 2, payload type 96.
func makeRTPPacket(sequence: UInt16, ssrc: UInt32, payload: [UInt8] = Array(repeating: 0xAB, count: 160)) -> [UInt8] {
    var writer = ByteWriter()
    writer.write(UInt8(0x80))
    writer.write(UInt8(96))
    writer.write(sequence)
    writer.write(UInt32(sequence) * 3000)
    writer.write(ssrc)
    writer.write(bytes: payload)
    return writer.bytes
}

/// A sender report without report blocks (RFC 3550 §6.4.1): 28 bytes.
func makeRTCPSenderReport(ssrc: UInt32) -> [UInt8] {
    var writer = ByteWriter()
    writer.write(UInt8(0x80))
    writer.write(UInt8(200))
    writer.write(UInt16(6))
    writer.write(ssrc)
    writer.write(UInt64(0x1234_5678_9ABC_DEF0))
    writer.write(UInt32(90000))
    writer.write(UInt32(10))
    writer.write(UInt32(1600))
    return writer.bytes
}

struct SRTPPair {
    let client: SRTPSession
    let server: SRTPSession

    init(profile: SRTPProtectionProfile, seed: UInt64 = 5) throws {
        var generator = SeededGenerator(seed: seed)
        let material = generator.bytes(profile.keyingMaterialLength)
        client = try SRTPSession(profile: profile, keyingMaterial: material, role: .client)
        server = try SRTPSession(profile: profile, keyingMaterial: material, role: .server)
    }
}

@Suite struct SRTPSessionTests {
    @Test(arguments: SRTPProtectionProfile.allCases)
    func rtpRoundTripsBothWays(profile: SRTPProtectionProfile) throws {
        let pair = try SRTPPair(profile: profile)
        for sequence in UInt16(1)...20 {
            let packet = makeRTPPacket(sequence: sequence, ssrc: 0x1111)
            let protected = try pair.client.protectRTP(packet)
            #expect(protected.count == packet.count + (profile == .aeadAES128GCM ? 16 : 10))
            #expect(protected[12...] != packet[12...])
            #expect(try pair.server.unprotectRTP(protected) == packet)

            let reply = makeRTPPacket(sequence: sequence, ssrc: 0x2222, payload: [UInt8](repeating: UInt8(sequence), count: 1000))
            #expect(try pair.client.unprotectRTP(pair.server.protectRTP(reply)) == reply)
        }
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func rtcpRoundTripsBothWays(profile: SRTPProtectionProfile) throws {
        let pair = try SRTPPair(profile: profile)
        for _ in 0..<3 {
            let report = makeRTCPSenderReport(ssrc: 0x1111)
            let protected = try pair.client.protectRTCP(report)
            #expect(protected.count > report.count)
            #expect(try pair.server.unprotectRTCP(protected) == report)
            let answer = makeRTCPSenderReport(ssrc: 0x2222)
            #expect(try pair.client.unprotectRTCP(pair.server.protectRTCP(answer)) == answer)
        }
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func replayedPacketsAreRefused(profile: SRTPProtectionProfile) throws {
        let pair = try SRTPPair(profile: profile)
        let protected = try pair.client.protectRTP(makeRTPPacket(sequence: 7, ssrc: 1))
        _ = try pair.server.unprotectRTP(protected)
        #expect(throws: SRTPError.replayed) { try pair.server.unprotectRTP(protected) }
        let report = try pair.client.protectRTCP(makeRTCPSenderReport(ssrc: 1))
        _ = try pair.server.unprotectRTCP(report)
        #expect(throws: SRTPError.replayed) { try pair.server.unprotectRTCP(report) }
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func tamperedPacketsFailAuthentication(profile: SRTPProtectionProfile) throws {
        let pair = try SRTPPair(profile: profile)
        var protected = try pair.client.protectRTP(makeRTPPacket(sequence: 1, ssrc: 1))
        protected[20] ^= 0x40
        #expect(throws: SRTPError.authenticationFailed) { try pair.server.unprotectRTP(protected) }
        var report = try pair.client.protectRTCP(makeRTCPSenderReport(ssrc: 1))
        report[10] ^= 0x01
        #expect(throws: SRTPError.authenticationFailed) { try pair.server.unprotectRTCP(report) }
        // Keys from other keying material do not authenticate either.
        let stranger = try SRTPPair(profile: profile, seed: 6)
        let foreign = try stranger.client.protectRTP(makeRTPPacket(sequence: 2, ssrc: 1))
        #expect(throws: SRTPError.authenticationFailed) { try pair.server.unprotectRTP(foreign) }
        // The untampered packet still passes afterwards.
        let fine = try pair.client.protectRTP(makeRTPPacket(sequence: 3, ssrc: 1))
        #expect(try pair.server.unprotectRTP(fine) == makeRTPPacket(sequence: 3, ssrc: 1))
    }

    @Test func aNewSSRCGetsItsOwnStream() throws {
        let pair = try SRTPPair(profile: .aeadAES128GCM)
        for ssrc: UInt32 in [10, 20, 30] {
            let packet = makeRTPPacket(sequence: 100, ssrc: ssrc)
            #expect(try pair.server.unprotectRTP(pair.client.protectRTP(packet)) == packet)
        }
    }

    @Test func garbageIsRefusedWithoutCrashing() throws {
        let pair = try SRTPPair(profile: .aes128CMHMACSHA1_80)
        var generator = SeededGenerator(seed: 11)
        let inputs: [[UInt8]] = [[], [0x80], Array(repeating: 0x80, count: 11), [0x40] + Array(repeating: 0, count: 40)]
            + (0..<200).map { n in [0x80 | UInt8(n % 64)] + generator.bytes(n * 13 % 1500) }
        for input in inputs {
            #expect(throws: SRTPError.self) { try pair.server.unprotectRTP(input) }
            #expect(throws: SRTPError.self) { try pair.server.unprotectRTCP(input) }
        }
        #expect(throws: SRTPError.malformedPacket("RTP packet of 3 bytes is shorter than its 12-byte header")) {
            try pair.client.protectRTP([0x80, 0, 0])
        }
    }

    @Test func keyingMaterialLengthIsChecked() {
        #expect(throws: SRTPError.invalidKeyingMaterial(expected: 56, actual: 60)) {
            try SRTPSession(profile: .aeadAES128GCM, keyingMaterial: [UInt8](repeating: 1, count: 60), role: .client)
        }
        #expect(SRTPProtectionProfile(dtlsProfileID: 0x0007) == .aeadAES128GCM)
        #expect(SRTPProtectionProfile(dtlsProfileID: 0x0001) == .aes128CMHMACSHA1_80)
        #expect(SRTPProtectionProfile(dtlsProfileID: 0x0002) == nil)
        #expect(SRTPProtectionProfile.aes128CMHMACSHA1_80.keyingMaterialLength == 60)
    }
}
