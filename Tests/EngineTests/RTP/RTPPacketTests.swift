import Testing
import TandemBase
@testable import RTP

/// Decodes hex written in the tests; a typo fails the test instead of crashing.
func hexBytes(_ text: String) throws -> [UInt8] {
    try #require(Hex.decode(text))
}

@Suite struct RTPPacketTests {
    @Test func parsesFixedHeaderCSRCsAndPaddingWrittenByAiortc() throws {
        // aiortc 1.16.0 RtpPacket: PT 96, marker, seq 65535, two CSRCs, 3-byte payload, 5 bytes of padding.
        let bytes = try hexBytes("a2e0ffffdeadbeef12345678aaaaaaaabbbbbbbb102030368219de05")
        let packet = try RTPPacket.parse(bytes)
        #expect(packet.marker)
        #expect(packet.payloadType == 96)
        #expect(packet.sequenceNumber == 0xFFFF)
        #expect(packet.timestamp == 0xDEAD_BEEF)
        #expect(packet.ssrc == 0x1234_5678)
        #expect(packet.csrcs == [0xAAAA_AAAA, 0xBBBB_BBBB])
        #expect(packet.extensions.isEmpty)
        #expect(packet.payload == [0x10, 0x20, 0x30])
        #expect(packet.paddingLength == 5)
        // Padding octets are written as zeros, so compare all but those.
        let written = packet.serialize()
        #expect(written.count == bytes.count)
        #expect(written.prefix(23) == bytes.prefix(23))
        #expect(written.suffix(5) == [0, 0, 0, 0, 5])
        #expect(try RTPPacket.parse(written) == packet)
    }

    @Test func roundTripsMarkerPayloadTypeAndPlainPayload() throws {
        let packet = RTPPacket(marker: false, payloadType: 127, sequenceNumber: 1, timestamp: 0, ssrc: 0xFFFF_FFFF,
                               payload: Array(0..<200))
        let bytes = packet.serialize()
        #expect(bytes.count == 212)
        #expect(packet.serializedSize == 212)
        #expect(bytes[0] == 0x80)
        #expect(bytes[1] == 0x7F)
        #expect(try RTPPacket.parse(bytes) == packet)
    }

    @Test func parsesTheOneByteExtensionExampleOfRFC8285() throws {
        // RFC 8285 §4.2 figure: id 1 (1 byte), id 2 (2 bytes), two padding bytes, id 3 (4 bytes).
        let header = try hexBytes("90 60 0001 00000002 00000003")
        let block = try hexBytes("bede 0003  10 aa  21 bb cc  00 00  33 01 02 03 04")
        let packet = try RTPPacket.parse(header + block + [0xFE])
        #expect(packet.extensions == [
            try RTPHeaderExtension(id: 1, data: [0xAA]),
            try RTPHeaderExtension(id: 2, data: [0xBB, 0xCC]),
            try RTPHeaderExtension(id: 3, data: [1, 2, 3, 4]),
        ])
        #expect(packet.extensionData(id: 2) == [0xBB, 0xCC])
        #expect(packet.payload == [0xFE])
        // Written back without the inner padding: 1+1 + 1+2 + 1+4 = 10 bytes, padded to 12.
        let written = packet.serialize()
        #expect(Array(written[12..<28]) == (try hexBytes("bede 0003 10 aa 21 bb cc 33 01 02 03 04 00 00")))
        #expect(try RTPPacket.parse(written) == packet)
    }

    @Test func parsesTheTwoByteExtensionExampleOfRFC8285() throws {
        // RFC 8285 §4.3 figure: id 1 with no data, id 2 (1 byte), one padding byte, id 3 (4 bytes).
        let header = try hexBytes("90 60 0001 00000002 00000003")
        let block = try hexBytes("1000 0003  01 00  02 01 aa  00  03 04 01 02 03 04")
        let packet = try RTPPacket.parse(header + block)
        #expect(packet.extensions == [
            try RTPHeaderExtension(id: 1, data: []),
            try RTPHeaderExtension(id: 2, data: [0xAA]),
            try RTPHeaderExtension(id: 3, data: [1, 2, 3, 4]),
        ])
        #expect(packet.payload.isEmpty)
        // An empty value does not fit the one-byte form, so the two-byte form is written again.
        #expect(try RTPPacket.parse(packet.serialize()) == packet)
        #expect(Array(packet.serialize()[12..<14]) == [0x10, 0x00])
    }

    @Test func acceptsTheApplicationBitsOfTheTwoByteProfile() throws {
        let bytes = try hexBytes("90 60 0001 00000002 00000003  100f 0001 05 01 77 00")
        #expect(try RTPPacket.parse(bytes).extensions == [try RTPHeaderExtension(id: 5, data: [0x77])])
    }

    @Test func ignoresExtensionsOfOtherProfiles() throws {
        let bytes = try hexBytes("90 60 0001 00000002 00000003  abcd 0001 01020304  99")
        let packet = try RTPPacket.parse(bytes)
        #expect(packet.extensions.isEmpty)
        #expect(packet.payload == [0x99])
    }

    @Test func stopsOneByteParsingAtIdFifteen() throws {
        let bytes = try hexBytes("90 60 0001 00000002 00000003  bede 0001 10 aa f0 00")
        #expect(try RTPPacket.parse(bytes).extensions == [try RTPHeaderExtension(id: 1, data: [0xAA])])
    }

    /// Writer choice (RFC 8285 §4.1), checked against aiortc 1.16.0's `pack_header_extensions`.
    @Test(arguments: [
        ([(UInt8(1), [UInt8(1)]), (2, [2, 3]), (14, Array(0..<16))],
         "bede 0006 1001210203ef000102030405060708090a0b0c0d0e0f0000"),
        ([(UInt8(1), [UInt8(1)]), (15, [0x0F])], "1000 0002 0101010f010f0000"),
        ([(UInt8(1), []), (3, [0xAA])], "1000 0002 01000301aa000000"),
    ] as [([(UInt8, [UInt8])], String)])
    func choosesTheOneByteFormOnlyWhenEveryElementFits(elements: [(UInt8, [UInt8])], expectedBlock: String) throws {
        let extensions = try elements.map { try RTPHeaderExtension(id: $0.0, data: $0.1) }
        let packet = RTPPacket(payloadType: 96, sequenceNumber: 7, timestamp: 9, ssrc: 11, extensions: extensions, payload: [])
        let bytes = packet.serialize()
        #expect(bytes[0] & 0x10 != 0)
        #expect(Array(bytes[12...]) == (try hexBytes(expectedBlock)))
        #expect(packet.serializedSize == bytes.count)
        #expect(try RTPPacket.parse(bytes) == packet)
    }

    @Test func refusesExtensionElementsNoFormCanCarry() {
        #expect(throws: WireError.self) { try RTPHeaderExtension(id: 0, data: [1]) }
        #expect(throws: WireError.self) { try RTPHeaderExtension(id: 1, data: Array(repeating: 0, count: 256)) }
    }

    /// Every malformed input throws rather than crashing or reading past the end.
    @Test(arguments: [
        ("short fixed header", "80 60 0001 00000002 000000"),
        ("CSRC count past end", "83 60 0001 00000002 00000003 00000004 00000005"),
        ("extension header past end", "90 60 0001 00000002 00000003 bede"),
        ("extension length past end", "90 60 0001 00000002 00000003 bede 0002 10 aa 00 00"),
        ("one-byte element past block", "90 60 0001 00000002 00000003 bede 0001 13 aa bb cc"),
        ("two-byte element past block", "90 60 0001 00000002 00000003 1000 0001 01 05 aa bb"),
        ("two-byte element without length", "90 60 0001 00000002 00000003 1000 0001 00 00 00 07"),
        ("padding larger than payload", "a0 60 0001 00000002 00000003 aa bb 04"),
        ("padding count of zero", "a0 60 0001 00000002 00000003 aa bb 00"),
        ("padding bit without payload", "a0 60 0001 00000002 00000003"),
        ("version 1", "40 60 0001 00000002 00000003"),
        ("version 3", "c0 60 0001 00000002 00000003"),
        ("empty", ""),
    ])
    func refusesMalformedPackets(name: String, hex: String) throws {
        let bytes = try hexBytes(hex)
        #expect(throws: WireError.self, "\(name)") { try RTPPacket.parse(bytes) }
    }

    @Test func readsAndRewritesFixedHeaderFieldsInPlace() throws {
        var bytes = RTPPacket(marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 0x0102_0304,
                              ssrc: 0xCAFE_BABE, payload: [9]).serialize()
        #expect(RTPFixedHeader.payloadType(bytes) == 96)
        #expect(RTPFixedHeader.marker(bytes) == true)
        #expect(RTPFixedHeader.sequenceNumber(bytes) == 0x1234)
        #expect(RTPFixedHeader.timestamp(bytes) == 0x0102_0304)
        #expect(RTPFixedHeader.ssrc(bytes) == 0xCAFE_BABE)
        #expect(RTPFixedHeader.setPayloadType(100, in: &bytes))
        #expect(RTPFixedHeader.setSequenceNumber(0xFFFE, in: &bytes))
        #expect(RTPFixedHeader.setTimestamp(77, in: &bytes))
        #expect(RTPFixedHeader.setSSRC(0x0102_0304, in: &bytes))
        let packet = try RTPPacket.parse(bytes)
        #expect(packet.marker)
        #expect(packet.payloadType == 100)
        #expect(packet.sequenceNumber == 0xFFFE)
        #expect(packet.timestamp == 77)
        #expect(packet.ssrc == 0x0102_0304)
        #expect(packet.payload == [9])

        var short: [UInt8] = [0x80, 0x60, 0, 1]
        #expect(RTPFixedHeader.sequenceNumber(short) == nil)
        #expect(!RTPFixedHeader.setSSRC(1, in: &short))
        #expect(short == [0x80, 0x60, 0, 1])
        #expect(RTPFixedHeader.ssrc([0x40, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]) == nil)
    }
}

@Suite struct DatagramKindTests {
    @Test(arguments: [
        ([UInt8(0x00), 0x01], DatagramKind.stun),
        ([0x01, 0x01], .stun),
        ([0x03], .stun),
        ([0x04], .unknown),
        ([0x0F], .unknown),
        ([0x10], .zrtp),
        ([0x13], .zrtp),
        ([0x14], .dtls),
        ([0x16, 0xFE, 0xFD], .dtls),
        ([0x3F], .dtls),
        ([0x40, 0x00], .turnChannel),
        ([0x4F], .turnChannel),
        ([0x50], .unknown),
        ([0x7F], .unknown),
        ([0x80, 0x60], .rtp),
        ([0x80, 0xE0], .rtp),       // marker set, PT 96
        ([0x80, 0xBF], .rtp),       // marker set, PT 63
        ([0x80, 0xC8], .rtcp),      // SR (200)
        ([0x81, 0xCD], .rtcp),      // RTPFB (205)
        ([0x80, 0xDF], .rtcp),      // 223, the top of the RFC 5761 §4 range
        ([0xBF, 0xC9], .rtcp),
        ([0x80], .unknown),         // too short to tell RTP from RTCP
        ([0xC0, 0xC8], .unknown),
        ([0xFF], .unknown),
        ([], .unknown),
    ])
    func classifiesByFirstBytes(bytes: [UInt8], kind: DatagramKind) {
        #expect(DatagramKind.classify(bytes) == kind)
    }
}
