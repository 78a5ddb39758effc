import Testing
import TandemBase
@testable import RTP

@Suite struct RTCPPacketTests {
    static let reportBlock = RTCPReportBlock(
        ssrc: 0x5566_7788, fractionLost: 25, cumulativeLost: -3, extendedHighestSequenceNumber: 0x0001_FFF0,
        jitter: 42, lastSenderReport: 0xA2B3_C4D5, delaySinceLastSenderReport: 0x0001_8000)

    /// SR (one report block) + SDES CNAME + BYE, as aiortc 1.16.0 writes them.
    static let aiortcCompound =
        "81c8000c11223344e6f1a2b3c4d5e6f700bc614e000003e800124f805566778819fffffd0001fff00000002aa2b3c4d500018000"
        + "81ca000611223344010e74616e64656d406578616d706c6500000000"
        + "81cb000111223344"

    @Test func parsesAndWritesACompoundPacketByteForByte() throws {
        let bytes = try hexBytes(Self.aiortcCompound)
        let packets = try RTCPPacket.parseCompound(bytes)
        let expected: [RTCPPacket] = [
            .senderReport(RTCPSenderReport(
                ssrc: 0x1122_3344, ntpTimestamp: NTPTimestamp(rawValue: 0xE6F1_A2B3_C4D5_E6F7), rtpTimestamp: 0x00BC_614E,
                packetCount: 1000, octetCount: 1_200_000, reportBlocks: [Self.reportBlock])),
            .sourceDescription(RTCPSourceDescription(ssrc: 0x1122_3344, cname: "tandem@example")),
            .goodbye(RTCPGoodbye(ssrcs: [0x1122_3344])),
        ]
        #expect(packets == expected)
        #expect(RTCPPacket.serializeCompound(expected) == bytes)
        guard case let .sourceDescription(description) = packets[1] else { Issue.record("not SDES"); return }
        #expect(description.chunks.first?.cname == "tandem@example")
    }

    @Test func signExtendsCumulativeLostAndClampsIt() {
        #expect(Self.reportBlock.cumulativeLost == -3)
        let huge = RTCPReportBlock(ssrc: 1, fractionLost: 0, cumulativeLost: 10_000_000, extendedHighestSequenceNumber: 0,
                                   jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0)
        #expect(huge.cumulativeLost == 0x7F_FFFF)
        let negative = RTCPReportBlock(ssrc: 1, fractionLost: 0, cumulativeLost: -10_000_000, extendedHighestSequenceNumber: 0,
                                       jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0)
        #expect(negative.cumulativeLost == -0x80_0000)
        let parsed = try? RTCPPacket.parseCompound(RTCPPacket.receiverReport(RTCPReceiverReport(ssrc: 2, reportBlocks: [negative])).serialize())
        #expect(parsed == [.receiverReport(RTCPReceiverReport(ssrc: 2, reportBlocks: [negative]))])
    }

    @Test func roundTripsReceiverReports() throws {
        // An empty RR as aiortc writes it.
        let empty = try hexBytes("80c9000101020304")
        #expect(try RTCPPacket.parseCompound(empty) == [.receiverReport(RTCPReceiverReport(ssrc: 0x0102_0304))])
        #expect(RTCPPacket.receiverReport(RTCPReceiverReport(ssrc: 0x0102_0304)).serialize() == empty)

        let second = RTCPReportBlock(ssrc: 9, fractionLost: 255, cumulativeLost: 0x7F_FFFF, extendedHighestSequenceNumber: .max,
                                     jitter: .max, lastSenderReport: 0, delaySinceLastSenderReport: 0)
        let report = RTCPPacket.receiverReport(RTCPReceiverReport(ssrc: 1, reportBlocks: [Self.reportBlock, second]))
        let bytes = report.serialize()
        #expect(bytes.count == 8 + 2 * 24)
        #expect(bytes[0] == 0x82)
        #expect(bytes[2...3] == [0, 13])
        #expect(try RTCPPacket.parseCompound(bytes) == [report])
    }

    @Test func roundTripsSourceDescriptionsWithSeveralItemsAndChunks() throws {
        let description = RTCPSourceDescription(chunks: [
            .init(ssrc: 1, items: [.init(type: .cname, text: "a"), .init(type: .tool, text: "tandem 0.1"),
                                   .init(type: .note, value: [])]),
            .init(ssrc: 2, items: [.init(type: .cname, text: "abcd"), .init(type: .init(rawValue: 9), value: [1, 2])]),
            .init(ssrc: 3, items: []),
        ])
        let bytes = RTCPPacket.sourceDescription(description).serialize()
        #expect(bytes.count % 4 == 0)
        #expect(bytes[0] == 0x83)
        #expect(try RTCPPacket.parseCompound(bytes) == [.sourceDescription(description)])
        // Chunk 1: ssrc, CNAME "a" (3), TOOL (12), NOTE (2), END + pad to 24 bytes.
        #expect(Array(bytes[4..<28]) == (try hexBytes("00000001 0101 61 060a 74616e64656d20302e31 0700 00 00 00")))
    }

    @Test func roundTripsGoodbyeWithAndWithoutReason() throws {
        let plain = RTCPPacket.goodbye(RTCPGoodbye(ssrcs: [1, 2]))
        #expect(plain.serialize() == (try hexBytes("82cb0002 00000001 00000002")))
        let withReason = RTCPPacket.goodbye(RTCPGoodbye(ssrcs: [7], reason: "session ended"))
        let bytes = withReason.serialize()
        // 4 + 4 + 1 + 13 = 22, padded to 24.
        #expect(bytes == (try hexBytes("81cb0005 00000007 0d 73657373696f6e20656e646564 0000")))
        #expect(try RTCPPacket.parseCompound(bytes) == [withReason])
    }

    @Test func roundTripsGenericNackAgainstAiortc() throws {
        // aiortc 1.16.0 RtcpRtpfbPacket(fmt=1, lost=[100, 101, 105, 116, 117, 200]).
        let bytes = try hexBytes("81cd0005010203040a0b0c0d006480110075000000c80000")
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case let .feedback(feedback) = try #require(packets.first) else { Issue.record("not feedback"); return }
        #expect(feedback.kind == .transportLayer)
        #expect(feedback.senderSSRC == 0x0102_0304)
        #expect(feedback.mediaSSRC == 0x0A0B_0C0D)
        #expect(feedback.genericNackItems == [
            GenericNackItem(packetID: 100, lostBitmask: 0x8011),
            GenericNackItem(packetID: 117, lostBitmask: 0),
            GenericNackItem(packetID: 200, lostBitmask: 0),
        ])
        #expect(feedback.nackedSequenceNumbers == [100, 101, 105, 116, 117, 200])
        let built = RTCPFeedback.genericNack(senderSSRC: 0x0102_0304, mediaSSRC: 0x0A0B_0C0D,
                                             lost: [100, 101, 105, 116, 117, 200])
        #expect(RTCPPacket.feedback(built).serialize() == bytes)
        #expect(built.fullIntraRequestEntries == nil)
        #expect(!built.isPictureLossIndication)
    }

    @Test(arguments: [
        ([UInt16](), [GenericNackItem]()),
        ([5], [GenericNackItem(packetID: 5, lostBitmask: 0)]),
        ([5, 6, 21], [GenericNackItem(packetID: 5, lostBitmask: 0x8001)]),
        ([5, 22], [GenericNackItem(packetID: 5, lostBitmask: 0), GenericNackItem(packetID: 22, lostBitmask: 0)]),
        ([65534, 65535, 0, 1], [GenericNackItem(packetID: 65534, lostBitmask: 0b111)]),
        ([10, 10, 11], [GenericNackItem(packetID: 10, lostBitmask: 1)]),
        ([20, 10], [GenericNackItem(packetID: 20, lostBitmask: 0), GenericNackItem(packetID: 10, lostBitmask: 0)]),
    ])
    func packsSequenceNumbersIntoNackItems(lost: [UInt16], items: [GenericNackItem]) {
        #expect(GenericNackItem.items(for: lost) == items)
        let unique = lost.reduce(into: [UInt16]()) { if !$0.contains($1) { $0.append($1) } }
        #expect(items.flatMap(\.sequenceNumbers) == unique)
    }

    @Test func roundTripsPictureLossIndicationAgainstAiortc() throws {
        let bytes = try hexBytes("81ce0002010203040a0b0c0d")
        let pli = RTCPFeedback.pictureLossIndication(senderSSRC: 0x0102_0304, mediaSSRC: 0x0A0B_0C0D)
        #expect(RTCPPacket.feedback(pli).serialize() == bytes)
        let parsed = try RTCPPacket.parseCompound(bytes)
        #expect(parsed == [.feedback(pli)])
        #expect(pli.isPictureLossIndication)
        #expect(pli.genericNackItems == nil)
    }

    @Test func roundTripsFullIntraRequest() throws {
        // RFC 5104 §4.3.1.1: PSFB FMT 4, media SSRC 0, entries of SSRC + seq nr + 24 reserved bits.
        let fir = RTCPFeedback.fullIntraRequest(senderSSRC: 1, entries: [
            FullIntraRequestEntry(ssrc: 0xAABB_CCDD, sequenceNumber: 7), FullIntraRequestEntry(ssrc: 2, sequenceNumber: 255),
        ])
        let bytes = RTCPPacket.feedback(fir).serialize()
        #expect(bytes == (try hexBytes("84ce0006 00000001 00000000 aabbccdd 07000000 00000002 ff000000")))
        let parsed = try RTCPPacket.parseCompound(bytes)
        #expect(parsed == [.feedback(fir)])
        #expect(fir.fullIntraRequestEntries?.map(\.sequenceNumber) == [7, 255])
        #expect(!fir.isPictureLossIndication)
    }

    @Test func keepsUnknownPacketsVerbatim() throws {
        // An XR packet (207) between an RR and a REMB-like PSFB with FMT 15.
        let bytes = try hexBytes("80c9000100000001  80cf0002 00000001 01020304  8fce0003 00000001 00000000 52454d42")
        let packets = try RTCPPacket.parseCompound(bytes)
        #expect(packets.count == 3)
        #expect(packets[1] == .unknown(payloadType: 207, bytes: try hexBytes("80cf0002 00000001 01020304")))
        guard case let .feedback(remb) = packets[2] else { Issue.record("not feedback"); return }
        #expect(remb.format == 15)
        #expect(remb.fci == Array("REMB".utf8))
        #expect(RTCPPacket.serializeCompound(packets) == bytes)
    }

    @Test func stripsPaddingFromTheLastPacket() throws {
        // RR with P set: 4 padding octets, the last one holding the count.
        let bytes = try hexBytes("80c9000100000001  a1cb0002 00000009 00000004")
        #expect(try RTCPPacket.parseCompound(bytes) == [
            .receiverReport(RTCPReceiverReport(ssrc: 1)), .goodbye(RTCPGoodbye(ssrcs: [9])),
        ])
    }

    @Test(arguments: [
        ("empty", ""),
        ("short header", "80c900"),
        ("wrong version", "40c9000100000001"),
        ("second packet wrong version", "80c9000100000001 c0c9000100000001"),
        ("length past end", "80c9000200000001"),
        ("trailing partial header", "80c9000100000001 80"),
        ("report count past end", "81c9000100000001"),
        ("sender report too short", "80c8000200000001 00000000"),
        ("padding larger than packet", "a0c9000100000009"),
        ("padding count zero", "a0cb000200000001 00000000"),
        ("SDES item past end", "81ca0002 00000001 0105 6162"),
        ("SDES chunk without end", "81ca0002 00000001 01026162"),
        ("BYE reason past end", "81cb0002 00000001 05616263"),
        ("BYE source count past end", "82cb0001 00000001"),
        ("feedback without media SSRC", "81cd0001 00000001"),
    ])
    func refusesMalformedCompoundPackets(name: String, hex: String) throws {
        let bytes = try hexBytes(hex)
        #expect(throws: WireError.self, "\(name)") { try RTCPPacket.parseCompound(bytes) }
    }
}
