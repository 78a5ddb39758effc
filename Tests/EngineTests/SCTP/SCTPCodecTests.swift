import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPCRC32cTests {
    @Test func tableAndInstructionPathsAgree() {
        var random = SeededGenerator(seed: 9)
        for length in [0, 1, 7, 8, 9, 31, 32, 33, 1_200, 65_536] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            var table: UInt32 = 0xFFFF_FFFF
            bytes.withUnsafeBytes { CRC32c.tableUpdate(&table, $0) }
            #expect(~table == CRC32c.checksum(bytes), "length \(length)")
        }
        var vector: UInt32 = 0xFFFF_FFFF
        [UInt8](repeating: 0xFF, count: 32).withUnsafeBytes { CRC32c.tableUpdate(&vector, $0) }
        #expect(~vector == 0x62A8_AB43)  // RFC 3720 B.4
    }

    /// RFC 3720 Appendix B.4; the RFC lists the CRC bytes in transmission order (least significant first).
    @Test func rfc3720Vectors() {
        #expect(CRC32c.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32c.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32c.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32c.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        let iscsiRead = Hex.decode("""
            01c00000 00000000 00000000 00000000 14000000 00000400 00000014 00000018
            28000000 00000000 02000000 00000000
            """)!
        #expect(CRC32c.checksum(iscsiRead) == 0xD996_3A56)
        #expect(CRC32c.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func everyLengthMatchesBitwiseReference() {
        var random = SeededGenerator(seed: 7)
        let bytes = random.bytes(67)
        for length in 0...bytes.count {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes[0..<length] {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            #expect(CRC32c.checksum(bytes[0..<length]) == ~crc, "length \(length)")
        }
    }

    @Test func packetChecksumIsLittleEndianInTheHeader() throws {
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: 0x1234_5678, chunks: [.cookieAck]).encode()
        var zeroed = packet
        zeroed.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        let crc = CRC32c.checksum(zeroed)
        #expect(Array(packet[8..<12]) == [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
    }
}

@Suite struct SCTPCodecTests {
    static let payload: [UInt8] = Array(0..<37)

    static let everyChunk: [SCTPChunk] = [
        .data(SCTPDataChunk(tsn: 0xFFFF_FFFE, streamID: 3, ssn: 9, ppid: 51, unordered: true, beginning: true,
                            ending: false, immediate: true, payload: payload[...])),
        .initiation(SCTPInitChunk(initiateTag: 0xDEAD_BEEF, advertisedReceiverWindow: 1 << 22, outboundStreams: 1024,
                                  inboundStreams: 65535, initialTSN: 77,
                                  parameters: [.forwardTSNSupported, .supportedExtensions([130, 192])])),
        .initiationAck(SCTPInitChunk(initiateTag: 1, advertisedReceiverWindow: 2, outboundStreams: 3, inboundStreams: 4,
                                     initialTSN: 5, parameters: [.stateCookie([1, 2, 3, 4, 5]), .unrecognizedParameter([0x80, 9, 0, 4])])),
        .sack(SCTPSackChunk(cumulativeTSN: 100, advertisedReceiverWindow: 5000, gapBlocks: [(2, 3), (5, 9)], duplicateTSNs: [99, 98])),
        .heartbeat(info: [0, 1, 0, 8, 1, 2, 3, 4]),
        .heartbeatAck(info: [0, 1, 0, 7, 1, 2, 3, 0]),
        .abort(reflectedTag: true, causes: [.userInitiatedAbort("bye"), .protocolViolation("x")]),
        .shutdown(cumulativeTSN: 123),
        .shutdownAck,
        .error(causes: [SCTPErrorCause(code: SCTPCauseCode.staleCookie, info: [0, 0, 0, 1])]),
        .cookieEcho(cookie: [9, 8, 7]),
        .cookieAck,
        .shutdownComplete(reflectedTag: true),
        .forwardTSN(SCTPForwardTSNChunk(newCumulativeTSN: 55, skipped: [.init(streamID: 1, ssn: 2), .init(streamID: 7, ssn: 65535)])),
        .reconfig([.outgoingReset(requestSequence: 10, responseSequence: 9, senderLastTSN: 8, streams: [1, 2, 3])]),
        .reconfig([.response(responseSequence: 10, result: SCTPReconfigResult.successPerformed),
                   .incomingReset(requestSequence: 4, streams: [])]),
        .unknown(type: 0x7F, flags: 0xA5, value: [1, 2, 3, 4, 5]),
        .data(SCTPDataChunk(tsn: 7, streamID: 2, ssn: 0, ppid: 53, unordered: false, beginning: true, ending: false,
                            payload: payload[...], interleaved: true, messageID: 0xABCD_0001, fragmentSequence: 0)),
        .data(SCTPDataChunk(tsn: 8, streamID: 2, ssn: 0, ppid: 0, unordered: true, beginning: false, ending: true,
                            payload: payload[3...], interleaved: true, messageID: 9, fragmentSequence: 4)),
        .forwardTSN(SCTPForwardTSNChunk(newCumulativeTSN: 99, skipped: [.init(streamID: 1, unordered: true, messageID: 5),
                                                                        .init(streamID: 3, messageID: 0xFFFF_FFFF)],
                                        interleaved: true)),
    ]

    @Test(arguments: everyChunk)
    func chunkRoundTrip(chunk: SCTPChunk) throws {
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5001, verificationTag: 42, chunks: [chunk])
        let bytes = packet.encode()
        #expect(bytes.count % 4 == 0)
        #expect(try SCTPPacket.decode(bytes) == packet)
    }

    @Test func bundledChunksRoundTrip() throws {
        let packet = SCTPPacket(sourcePort: 1, destinationPort: 2, verificationTag: 3, chunks: Self.everyChunk)
        #expect(try SCTPPacket.decode(packet.encode()) == packet)
    }

    @Test func unknownInitParametersFollowTheirUpperBits() throws {
        // 0x8005 (10: skip), 0xC007 (11: skip and report), 0x4001 (01: stop and report), then one never reached.
        var writer = SCTPPacketWriter(capacity: 64)
        SCTPParameter.writeTLV(type: 0x8005, value: [1], into: &writer)
        SCTPParameter.writeTLV(type: 0xC007, value: [2, 2], into: &writer)
        SCTPParameter.forwardTSNSupported.encode(into: &writer)
        SCTPParameter.writeTLV(type: 0x4001, value: [3, 3, 3], into: &writer)
        SCTPParameter.supportedExtensions([130]).encode(into: &writer)
        var reader = ByteReader(writer.bytes)
        let (parameters, unrecognized) = try SCTPParameter.decodeList(&reader)
        #expect(parameters == [.forwardTSNSupported])
        #expect(unrecognized == [[0xC0, 0x07, 0, 6, 2, 2], [0x40, 0x01, 0, 7, 3, 3, 3]])
    }

    @Test func badChecksumIsRejected() {
        var bytes = SCTPPacket(sourcePort: 1, destinationPort: 2, verificationTag: 3, chunks: [.cookieAck]).encode()
        bytes[12] ^= 0x40
        #expect(throws: WireError.invalid("CRC32c mismatch")) { try SCTPPacket.decode(bytes) }
    }

    @Test func malformedPacketsThrowAndNeverTrap() {
        let good = SCTPPacket(sourcePort: 1, destinationPort: 2, verificationTag: 3, chunks: Self.everyChunk).encode()
        // Every truncation, and every single-byte corruption with the checksum recomputed.
        for length in 0..<good.count where length % 4 != 0 || length < 16 {
            _ = try? SCTPPacket.decode(Self.withChecksum(Array(good[0..<length])))
        }
        for index in 12..<good.count {
            var bytes = good
            bytes[index] ^= 0xFF
            _ = try? SCTPPacket.decode(Self.withChecksum(bytes))
        }
        // A chunk length below 4, one past the end, and a SACK announcing more blocks than it has.
        #expect(throws: WireError.self) { try SCTPPacket.decode(Self.withChecksum(Self.header + [11, 0, 0, 2])) }
        #expect(throws: WireError.self) { try SCTPPacket.decode(Self.withChecksum(Self.header + [11, 0, 0, 12])) }
        #expect(throws: WireError.self) {
            try SCTPPacket.decode(Self.withChecksum(Self.header + [3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 9, 0, 0]))
        }
        #expect(throws: WireError.self) { try SCTPPacket.decode(Self.withChecksum(Self.header)) }
        #expect(throws: WireError.self) { try SCTPPacket.decode([1, 2, 3]) }
    }

    static let header: [UInt8] = [0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0]

    static func withChecksum(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 12 else { return bytes }
        var out = bytes
        let crc = out.withUnsafeBytes { CRC32c.packetChecksum($0) }
        for k in 0..<4 { out[8 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        return out
    }
}
