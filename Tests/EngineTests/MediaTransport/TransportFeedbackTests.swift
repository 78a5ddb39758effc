import Testing
import RTP
import TandemBase
@testable import MediaTransport

private func at(_ milliseconds: Int64) -> Instant { .zero + .milliseconds(milliseconds) }

@Suite struct TransportFeedbackCodecTests {
    @Test func decodesEachChunkKind() throws {
        // Base 100, 3 packets, reference time 1 (64 ms), count 7; one run-length chunk of three
        // small deltas (draft-holmer §3.1.3) with deltas 4, 8, 0; one byte of padding.
        let runLength = try TransportFeedback(fci: try hexBytes("0064 0003 000001 07 2003 04 08 00 00"))
        #expect(runLength == TransportFeedback(baseSequenceNumber: 100, referenceTime: 1, feedbackPacketCount: 7,
                                               receiveDeltas: [4, 8, 0]))
        // One-bit status vector (§3.1.4): received, lost, received.
        let oneBit = try TransportFeedback(fci: try hexBytes("0001 0003 000000 00 a800 01 02 0000"))
        #expect(oneBit.receiveDeltas == [1, nil, 2])
        // Two-bit status vector: small, large (-4), lost, small.
        let twoBit = try TransportFeedback(fci: try hexBytes("0001 0004 000000 00 d840 05 fffc 06"))
        #expect(twoBit.receiveDeltas == [5, -4, nil, 6])
    }

    @Test func roundTripsMixedFeedback() throws {
        var generator = SeededGenerator(seed: 11)
        var deltas: [Int16?] = []
        for _ in 0..<300 {
            switch generator.next() % 10 {
            case 0, 1: deltas.append(nil)
            case 2: deltas.append(Int16(truncatingIfNeeded: generator.next()))
            default: deltas.append(Int16(generator.next() % 256))
            }
        }
        deltas += Array(repeating: nil, count: 20) + Array(repeating: 3, count: 9000)
        let feedback = TransportFeedback(baseSequenceNumber: 65500, referenceTime: 0xFF_FFFF, feedbackPacketCount: 255,
                                         receiveDeltas: deltas)
        let fci = feedback.serializeFCI()
        #expect(fci.count % 4 == 0)
        #expect(try TransportFeedback(fci: fci) == feedback)
        let rtcp = feedback.rtcp(senderSSRC: 1, mediaSSRC: 2)
        let parsed = try RTCPPacket.parseCompound(RTCPPacket.feedback(rtcp).serialize())
        guard case let .feedback(message) = parsed.first else { Issue.record("not feedback"); return }
        #expect(try TransportFeedback.from(message) == feedback)
        #expect(try TransportFeedback.from(.pictureLossIndication(senderSSRC: 1, mediaSSRC: 2)) == nil)
    }

    @Test(arguments: ["", "0001 0003 000000", "0001 0003 000000 00 6003", "0001 0001 000000 00 0000",
                      "0001 0002 000000 00 2002 01", "0001 0001 000000 00 f000"])
    func refusesBrokenFeedback(hex: String) {
        #expect(throws: WireError.self) { try TransportFeedback(fci: hexBytes(hex)) }
    }

    @Test func carriesTheTransportSequenceNumberExtension() throws {
        let packet = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1,
                               extensions: [try TransportSequenceNumberExtension.element(id: 5, sequenceNumber: 0xBEEF)],
                               payload: [1])
        #expect(TransportSequenceNumberExtension.sequenceNumber(in: try RTPPacket.parse(packet.serialize()), id: 5) == 0xBEEF)
        #expect(TransportSequenceNumberExtension.sequenceNumber(in: packet, id: 6) == nil)
    }

    @Test func rembRoundTripsAndParsesTheDraftLayout() throws {
        // "REMB", 2 SSRCs, exponent 2 and mantissa 250000 = 1,000,000 bit/s.
        let bytes = try hexBytes("52454d42 02 0bd090 00000001 00000002")
        let message = RTCPFeedback(kind: .payloadSpecific, format: 15, senderSSRC: 9, mediaSSRC: 0, fci: bytes)
        let remb = try #require(try ReceiverEstimatedMaximumBitrate.from(message))
        #expect(remb == ReceiverEstimatedMaximumBitrate(bitrate: 1_000_000, ssrcs: [1, 2]))
        #expect(remb.rtcp(senderSSRC: 9) == message)
        #expect(try ReceiverEstimatedMaximumBitrate.from(.pictureLossIndication(senderSSRC: 1, mediaSSRC: 2)) == nil)
        let truncated = RTCPFeedback(kind: .payloadSpecific, format: 15, senderSSRC: 9, mediaSSRC: 0, fci: Array(bytes.prefix(10)))
        #expect(throws: WireError.self) { try ReceiverEstimatedMaximumBitrate.from(truncated) }
    }
}

@Suite struct TransportFeedbackGeneratorTests {
    @Test func reportsArrivalsThatTheSenderMapsBackToItsPackets() throws {
        var receiver = TransportFeedbackGenerator(senderSSRC: 2, mediaSSRC: 1, interval: .milliseconds(50))
        var sender = TransportFeedbackAdapter()
        // Packets 65534…3 sent every 2 ms; 1 is lost; each takes 30 ms plus 1 ms per packet of queue.
        let sequences: [UInt16] = [65534, 65535, 0, 1, 2, 3]
        for (index, sequence) in sequences.enumerated() {
            sender.sent(sequence, size: 1000 + index, at: at(1000 + Int64(index) * 2))
            if sequence != 1 { receiver.received(sequence, at: at(1030 + Int64(index) * 3)) }
        }
        #expect(receiver.poll(at: at(1040)).isEmpty)
        let messages = receiver.poll(at: at(1080))
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        let feedback = try #require(try TransportFeedback.from(message))
        #expect(feedback.baseSequenceNumber == 65534 && feedback.receiveDeltas.count == 6)
        let results = sender.handle(feedback)
        #expect(results.map(\.transportSequenceNumber) == sequences)
        #expect(results.map { $0.arrival == nil } == [false, false, false, true, false, false])
        #expect(results.map(\.size) == [1000, 1001, 1002, 1003, 1004, 1005])
        // Arrival differences survive the 250 µs quantisation: 3 ms apart.
        let arrivals = results.compactMap(\.arrival)
        for (a, b) in zip(arrivals, arrivals.dropFirst().prefix(1)) { #expect(b - a == .milliseconds(3)) }
        #expect(arrivals[3] - arrivals[2] == .milliseconds(6))
        // Nothing new: nothing to send; a late packet 1 is not reported again.
        receiver.received(1, at: at(1090))
        #expect(receiver.poll(at: at(1200)).isEmpty)
    }

    @Test func splitsWhenADeltaDoesNotFit() throws {
        var receiver = TransportFeedbackGenerator(senderSSRC: 2, mediaSSRC: 1)
        receiver.received(10, at: at(0))
        receiver.received(11, at: at(20_000))  // 20 s later: beyond 16 bits of 250 µs ticks
        let messages = receiver.poll(at: at(20_050))
        let feedbacks = try messages.compactMap { try TransportFeedback.from($0) }
        #expect(feedbacks.map(\.baseSequenceNumber) == [10, 11])
        #expect(feedbacks.map(\.feedbackPacketCount) == [0, 1])
    }
}
