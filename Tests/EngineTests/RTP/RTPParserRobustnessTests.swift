import Testing
import TandemBase
@testable import RTP

/// Every parser of this module, fed truncations, bit flips and random bytes, either decodes or
/// throws; none reads out of bounds (which would trap and fail the run).
@Suite struct RTPParserRobustnessTests {
    static func validSamples() throws -> [[UInt8]] {
        let rtp = RTPPacket(marker: true, payloadType: 96, sequenceNumber: 9, timestamp: 9, ssrc: 9, csrcs: [1, 2],
                            extensions: [try RTPHeaderExtension(id: 1, data: [1]), try RTPHeaderExtension(id: 20, data: [])],
                            payload: [0x90, 0x80, 0x92, 0x34, 0x10], paddingLength: 3)
        let rtcp = RTCPPacket.serializeCompound([
            .senderReport(RTCPSenderReport(ssrc: 1, ntpTimestamp: NTPTimestamp(rawValue: 5), rtpTimestamp: 6, packetCount: 7,
                                           octetCount: 8, reportBlocks: [RTCPReportBlock(
                                               ssrc: 2, fractionLost: 3, cumulativeLost: 4, extendedHighestSequenceNumber: 5,
                                               jitter: 6, lastSenderReport: 7, delaySinceLastSenderReport: 8)])),
            .sourceDescription(RTCPSourceDescription(ssrc: 1, cname: "x")),
            .feedback(.genericNack(senderSSRC: 1, mediaSSRC: 2, lost: [1, 3, 40])),
            .feedback(.fullIntraRequest(senderSSRC: 1, entries: [FullIntraRequestEntry(ssrc: 2, sequenceNumber: 3)])),
            .goodbye(RTCPGoodbye(ssrcs: [1], reason: "bye")),
        ])
        return [rtp.serialize(), rtcp]
    }

    static func parseEverything(_ bytes: [UInt8]) {
        _ = try? RTPPacket.parse(bytes)
        _ = try? RTCPPacket.parseCompound(bytes)
        _ = try? VP8PayloadDescriptor.parse(bytes)
        _ = DatagramKind.classify(bytes)
        if var reader = try? IVFReader(Array("DKIF".utf8) + bytes) { _ = try? reader.readAllFrames() }
        if let packets = try? RTCPPacket.parseCompound(bytes) {
            for case let .feedback(feedback) in packets {
                _ = feedback.nackedSequenceNumbers
                _ = feedback.fullIntraRequestEntries
            }
        }
    }

    @Test func survivesEveryTruncationAndBitFlipOfValidPackets() throws {
        let samples = try Self.validSamples()
        #expect(try RTPPacket.parse(samples[0]).payload.count == 5)
        #expect(try RTCPPacket.parseCompound(samples[1]).count == 5)
        for sample in samples {
            for length in 0...sample.count { Self.parseEverything(Array(sample.prefix(length))) }
            for bit in 0..<(sample.count * 8) {
                var flipped = sample
                flipped[bit / 8] ^= 1 << (bit % 8)
                Self.parseEverything(flipped)
            }
        }
    }

    @Test func survivesRandomInput() {
        var generator = SeededGenerator(seed: 7983)
        for _ in 0..<3000 {
            var bytes = generator.bytes(Int.random(in: 0..<80, using: &generator))
            // Keep the version bits at 2 in most inputs so the parsers get past the first check.
            if !bytes.isEmpty, Bool.random(using: &generator) { bytes[0] = bytes[0] & 0x3F | 0x80 }
            Self.parseEverything(bytes)
        }
    }
}
