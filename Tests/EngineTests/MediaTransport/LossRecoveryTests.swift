import Testing
import RTP
import TandemBase
@testable import MediaTransport

private func at(_ milliseconds: Int64) -> Instant { .zero + .milliseconds(milliseconds) }

@Suite struct NackGeneratorTests {
    @Test func asksForAGapAtOnceAndRetriesOncePerRoundTrip() {
        var nacks = NackGenerator()
        nacks.updateRoundTripTime(.milliseconds(50))
        for sequence: UInt16 in [10, 11, 14, 15] { nacks.received(sequence, at: at(0)) }
        #expect(nacks.missingSequenceNumbers == [12, 13])
        #expect(nacks.pollTimeout() == at(0))
        let result1 = nacks.poll(at: at(0))
        #expect(result1 == .nack([12, 13]))
        let result2 = nacks.poll(at: at(0))
        #expect(result2 == nil)
        #expect(nacks.pollTimeout() == at(50))
        let result3 = nacks.poll(at: at(49))
        #expect(result3 == nil)
        // 12 arrives (retransmitted); only 13 is asked for again.
        nacks.received(12, at: at(30))
        let result4 = nacks.poll(at: at(50))
        #expect(result4 == .nack([13]))
        nacks.received(13, at: at(60))
        #expect(nacks.pollTimeout() == nil)
    }

    @Test func stopsAfterTheRetryLimitOrTheAgeLimit() {
        var nacks = NackGenerator(configuration: .init(maxRetries: 3, maxAge: .seconds(1)))
        nacks.updateRoundTripTime(.milliseconds(20))
        nacks.received(1, at: at(0))
        nacks.received(3, at: at(0))
        var requests = 0
        var now = at(0)
        while let deadline = nacks.pollTimeout(), now < at(2000) {
            now = max(now, deadline)
            if case .nack = nacks.poll(at: now) { requests += 1 }
        }
        #expect(requests == 3)
        #expect(nacks.missingSequenceNumbers.isEmpty)

        var aging = NackGenerator(configuration: .init(maxRetries: 100, maxAge: .milliseconds(100)))
        aging.updateRoundTripTime(.milliseconds(30))
        aging.received(1, at: at(0))
        aging.received(3, at: at(0))
        var agingRequests = 0
        now = at(0)
        while let deadline = aging.pollTimeout(), now < at(2000) {
            now = max(now, deadline)
            if case .nack = aging.poll(at: now) { agingRequests += 1 }
        }
        #expect(agingRequests == 4)  // at 0, 30, 60 and 90 ms; at 100 ms it is too old.
    }

    @Test func handlesWrapAroundAndReordering() {
        var nacks = NackGenerator()
        nacks.received(65534, at: at(0))
        nacks.received(1, at: at(0))
        #expect(nacks.missingSequenceNumbers == [65535, 0])
        // A packet from the gap arriving late (reordered) is no longer missing.
        nacks.received(65535, at: at(1))
        let result5 = nacks.poll(at: at(1))
        #expect(result5 == .nack([0]))
    }

    @Test func tooManyMissingAsksForAKeyframeInstead() {
        var nacks = NackGenerator(configuration: .init(maxMissing: 100))
        nacks.received(0, at: at(0))
        nacks.received(500, at: at(0))
        #expect(nacks.missingSequenceNumbers.isEmpty)
        let result6 = nacks.poll(at: at(0))
        #expect(result6 == .keyframeNeeded)
        let result7 = nacks.poll(at: at(0))
        #expect(result7 == nil)
    }

    @Test func forgetsWhatAKeyframeMadeUseless() {
        var nacks = NackGenerator()
        for sequence: UInt16 in [1, 3, 6, 9] { nacks.received(sequence, at: at(0)) }
        nacks.forget(before: 6)
        #expect(nacks.missingSequenceNumbers == [7, 8])
    }
}

@Suite struct RetransmissionBufferTests {
    static func packet(_ sequence: UInt16, size: Int = 1000) -> RTPPacket {
        RTPPacket(marker: sequence % 3 == 0, payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(sequence / 3) * 3000,
                  ssrc: 0x1111, payload: [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: size))
    }

    @Test func answersNacksWithTheStoredPackets() {
        var buffer = RetransmissionBuffer()
        for sequence: UInt16 in 100..<110 { buffer.store(Self.packet(sequence), at: at(0)) }
        let nack = RTCPFeedback.genericNack(senderSSRC: 2, mediaSSRC: 0x1111, lost: [102, 105, 120])
        let resent = buffer.handleNack(nack.nackedSequenceNumbers ?? [], at: at(10))
        #expect(resent == [Self.packet(102), Self.packet(105)])
        // A repeated NACK within one round-trip time is not answered again; after one it is.
        let result8 = buffer.handleNack([102], at: at(50))
        #expect(result8.isEmpty)
        let result9 = buffer.handleNack([102], at: at(110))
        #expect(result9 == [Self.packet(102)])
    }

    @Test func forgetsPacketsPastTheByteOrAgeLimit() {
        var buffer = RetransmissionBuffer(configuration: .init(maxBytes: 10_000, maxAge: .milliseconds(500)))
        for sequence: UInt16 in 0..<20 { buffer.store(Self.packet(sequence), at: at(Int64(sequence) * 10)) }
        #expect(buffer.storedBytes <= 10_000)
        let result10 = buffer.handleNack([0, 5], at: at(200))
        #expect(result10.isEmpty)
        let result11 = buffer.handleNack([15], at: at(200))
        #expect(result11.map(\.sequenceNumber) == [15])
        let result12 = buffer.handleNack([19], at: at(800))
        #expect(result12.isEmpty)
        #expect(buffer.packetCount == 0)
    }

    @Test func wrapsResendsInRTXWhenNegotiated() throws {
        let rtx = RetransmissionBuffer.RTXConfiguration(ssrc: 0x2222, payloadTypes: [96: 97], firstSequenceNumber: 65535)
        var buffer = RetransmissionBuffer(configuration: .init(rtx: rtx))
        let original = Self.packet(7, size: 40)
        buffer.store(original, at: at(0))
        buffer.store(Self.packet(8, size: 40), at: at(0))
        let resent = buffer.handleNack([7, 8], at: at(5))
        #expect(resent.map(\.payloadType) == [97, 97])
        #expect(resent.map(\.ssrc) == [0x2222, 0x2222])
        #expect(resent.map(\.sequenceNumber) == [65535, 0])
        // RFC 4588 §4: the payload is the original sequence number, then the original payload.
        #expect(Array(resent[0].payload.prefix(2)) == [0, 7])
        #expect(resent[0].timestamp == original.timestamp && resent[0].marker == original.marker)
        let restored = try RTXPacket.unwrap(RTPPacket.parse(resent[0].serialize()), originalPayloadType: 96, originalSSRC: 0x1111)
        #expect(restored == original)
    }

    @Test func refusesRTXWithoutAPayload() {
        let padding = RTPPacket(payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 2, payload: [0, 1])
        #expect(throws: WireError.self) { try RTXPacket.unwrap(padding, originalPayloadType: 96, originalSSRC: 1) }
    }
}

@Suite struct KeyframeRequestTests {
    @Test func requesterSendsPLIAtMostOncePerInterval() throws {
        var requester = KeyframeRequester(senderSSRC: 1, mediaSSRC: 2, minimumInterval: .milliseconds(300))
        let result13 = requester.poll(at: at(0))
        #expect(result13 == nil)
        requester.request()
        let polled = requester.poll(at: at(0))
        let pli = try #require(polled)
        #expect(pli.isPictureLossIndication && pli.mediaSSRC == 2)
        requester.request()
        let result14 = requester.poll(at: at(100))
        #expect(result14 == nil)
        #expect(requester.pollTimeout() == at(300))
        // Still no key frame: ask again.
        let result15 = requester.poll(at: at(300))
        #expect(result15?.isPictureLossIndication == true)
        requester.keyframeReceived()
        let result16 = requester.poll(at: at(700))
        #expect(result16 == nil)
        #expect(requester.pollTimeout() == nil)
    }

    @Test func requesterSpacesByTheRoundTripTimeWhenLonger() {
        var requester = KeyframeRequester(senderSSRC: 1, mediaSSRC: 2, minimumInterval: .milliseconds(100))
        requester.updateRoundTripTime(.milliseconds(400))
        requester.request()
        _ = requester.poll(at: at(0))
        let result17 = requester.poll(at: at(399))
        #expect(result17 == nil)
        let result18 = requester.poll(at: at(400))
        #expect(result18 != nil)
    }

    @Test func firRepeatsKeepTheirSequenceNumberAndNewRequestsAdvanceIt() throws {
        var requester = KeyframeRequester(senderSSRC: 1, mediaSSRC: 2, method: .fullIntraRequest)
        requester.request()
        let firstPoll = requester.poll(at: at(0)), repeatedPoll = requester.poll(at: at(300))
        let first = try #require(firstPoll?.fullIntraRequestEntries)
        let repeated = try #require(repeatedPoll?.fullIntraRequestEntries)
        requester.keyframeReceived()
        requester.request()
        let nextPoll = requester.poll(at: at(600))
        let next = try #require(nextPoll?.fullIntraRequestEntries)
        #expect(first == [FullIntraRequestEntry(ssrc: 2, sequenceNumber: 1)])
        #expect(repeated == first)
        #expect(next == [FullIntraRequestEntry(ssrc: 2, sequenceNumber: 2)])
    }

    @Test func filterFoldsRequestsAndIgnoresRepeatedFIRs() {
        var filter = KeyframeRequestFilter(mediaSSRC: 2, minimumInterval: .milliseconds(300))
        let result19 = filter.handle(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 3))
        #expect(!result19)
        let result20 = filter.handle(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 2))
        #expect(result20)
        let result21 = filter.poll(at: at(0))
        #expect(result21)
        let result22 = filter.poll(at: at(1))
        #expect(!result22)
        // A burst of PLIs right after the key frame becomes one key frame at the interval.
        filter.handle(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 2))
        filter.handle(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 2))
        let result23 = filter.poll(at: at(100))
        #expect(!result23)
        #expect(filter.pollTimeout() == at(300))
        let result24 = filter.poll(at: at(300))
        #expect(result24)
        // FIR: a new sequence number is a new request, a repeated one is not (RFC 5104 §4.3.1.2).
        let fir = RTCPFeedback.fullIntraRequest(senderSSRC: 9, entries: [.init(ssrc: 2, sequenceNumber: 5)])
        let result25 = filter.handle(fir)
        #expect(result25)
        let result26 = filter.handle(fir)
        #expect(!result26)
        let result27 = filter.handle(.fullIntraRequest(senderSSRC: 9, entries: [.init(ssrc: 2, sequenceNumber: 6)]))
        #expect(result27)
        let result28 = filter.handle(.fullIntraRequest(senderSSRC: 9, entries: [.init(ssrc: 7, sequenceNumber: 1)]))
        #expect(!result28)
    }
}

@Suite struct PacerTests {
    @Test func spreadsAKeyframeAtTheTargetRate() {
        // A 200 KB key frame in 1200-byte packets at 8 Mbit/s should take about 200 ms.
        var pacer = Pacer<Int>(rate: 8_000_000)
        let packets = 200_000 / 1200
        for index in 0..<packets { pacer.enqueue(index, size: 1200, at: .zero) }
        var sent: [(Int, Instant)] = []
        var now = Instant.zero
        while let deadline = pacer.pollTimeout() {
            now = max(now, deadline)
            while let packet = pacer.poll(at: now) { sent.append((packet, now)) }
        }
        #expect(sent.map(\.0) == Array(0..<packets))
        let duration = (sent.last?.1 ?? Instant.zero) - Instant.zero
        let expected = Duration.nanoseconds(Int64(packets - 1) * 1200 * 8 * 125)  // 125 ns per bit at 8 Mbit/s
        #expect(duration >= expected - .milliseconds(6) && duration <= expected + .milliseconds(1), "\(duration)")
        // No more than the burst allowance (5 ms = 5000 bytes) leaves in any 5 ms window beyond the rate.
        for (index, (_, time)) in sent.enumerated() {
            let window = sent[index...].prefix { $0.1 - time < .milliseconds(5) }
            #expect(window.count * 1200 <= 5000 + 5000 + 1200)
        }
        #expect(pacer.queuedBytes == 0)
    }

    @Test func sendsHigherPrioritiesFirst() {
        var pacer = Pacer<String>(rate: 1_000_000, burst: .zero)
        pacer.enqueue("video 1", size: 1000, at: .zero)
        pacer.enqueue("video 2", size: 1000, at: .zero)
        let result29 = pacer.poll(at: .zero)
        #expect(result29 == "video 1")
        pacer.enqueue("rtx", size: 1000, priority: .retransmission, at: .zero)
        pacer.enqueue("audio", size: 100, priority: .audio, at: .zero)
        let result30 = pacer.poll(at: .zero)
        #expect(result30 == nil)
        #expect(pacer.pollTimeout() == at(8))
        let result31 = pacer.poll(at: at(8))
        #expect(result31 == "audio")
        let result32 = pacer.poll(at: at(8))
        #expect(result32 == nil)
        #expect(pacer.queueDelay(at: at(8)) == .milliseconds(8))
        let afterAudio = pacer.pollTimeout() ?? .zero
        let result33 = pacer.poll(at: afterAudio)
        #expect(result33 == "rtx")
        pacer.setRate(2_000_000)
        let afterRTX = pacer.pollTimeout() ?? .zero
        let result34 = pacer.poll(at: afterRTX)
        #expect(result34 == "video 2")
        #expect(pacer.pollTimeout() == nil)
    }

    @Test func idleTimeSavesNoMoreThanTheBurst() {
        var pacer = Pacer<Int>(rate: 1_000_000, burst: .milliseconds(10))
        for index in 0..<10 { pacer.enqueue(index, size: 500, at: at(1000)) }
        var immediate = 0
        while pacer.poll(at: at(1000)) != nil { immediate += 1 }
        // 10 ms at 1 Mbit/s is 1250 bytes: the packets that start within that credit go at once.
        #expect(immediate == 3)
    }
}
