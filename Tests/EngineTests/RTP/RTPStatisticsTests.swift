import Testing
import TandemBase
@testable import RTP

@Suite struct RTPReceiveStatisticsTests {
    static func at(milliseconds: Int64) -> Instant { Instant(nanoseconds: milliseconds * 1_000_000) }

    @Test func countsLossReorderingAndWrapAround() {
        var stats = RTPReceiveStatistics(ssrc: 0xABCD, clockRate: 90000)
        // 65532 and 2 are lost at first; 65534 arrives after 65535; the counter wraps after 65535.
        for sequenceNumber: UInt16 in [65530, 65531, 65533, 65535, 65534, 0, 1, 3, 4] {
            stats.record(sequenceNumber: sequenceNumber, rtpTimestamp: 0, arrival: .zero)
        }
        #expect(stats.extendedHighestSequenceNumber == 0x1_0004)
        #expect(stats.packetsReceived == 9)
        #expect(stats.cumulativeLost == 2)
        let first = stats.makeReportBlock(at: .zero)
        #expect(first.ssrc == 0xABCD)
        #expect(first.extendedHighestSequenceNumber == 65540)
        #expect(first.cumulativeLost == 2)
        #expect(first.fractionLost == UInt8((2 << 8) / 11))  // 2 of 11 expected: 46
        #expect(first.lastSenderReport == 0)
        #expect(first.delaySinceLastSenderReport == 0)

        // Next interval: 5 and 6 in order, then the late 2. More arrived than expected: fraction 0.
        for sequenceNumber: UInt16 in [5, 6, 2] {
            stats.record(sequenceNumber: sequenceNumber, rtpTimestamp: 0, arrival: .zero)
        }
        let second = stats.makeReportBlock(at: .zero)
        #expect(second.extendedHighestSequenceNumber == 65542)
        #expect(second.cumulativeLost == 1)
        #expect(second.fractionLost == 0)

        // Duplicates drive the cumulative count below zero (RFC 3550 §6.4.1 allows it).
        stats.record(sequenceNumber: 6, rtpTimestamp: 0, arrival: .zero)
        stats.record(sequenceNumber: 6, rtpTimestamp: 0, arrival: .zero)
        #expect(stats.makeReportBlock(at: .zero).cumulativeLost == -1)

        // An interval with loss only: 7 arrives, 8…10 never do, 11 arrives.
        stats.record(sequenceNumber: 7, rtpTimestamp: 0, arrival: .zero)
        stats.record(sequenceNumber: 11, rtpTimestamp: 0, arrival: .zero)
        #expect(stats.makeReportBlock(at: .zero).fractionLost == UInt8((3 << 8) / 5))
    }

    @Test func restartsAfterTwoSequentialPacketsBeyondTheDropoutLimit() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 90000)
        for sequenceNumber: UInt16 in 100...110 {
            stats.record(sequenceNumber: sequenceNumber, rtpTimestamp: 0, arrival: .zero)
        }
        // A jump of 20000 is not counted as 19889 losses…
        let countedJump = stats.record(sequenceNumber: 20110, rtpTimestamp: 0, arrival: .zero)
        #expect(!countedJump)
        #expect(stats.extendedHighestSequenceNumber == 110)
        #expect(stats.cumulativeLost == 0)
        // …but the packet after it confirms a restart from there (RFC 3550 A.1).
        let countedRestart = stats.record(sequenceNumber: 20111, rtpTimestamp: 0, arrival: .zero)
        #expect(countedRestart)
        #expect(stats.extendedHighestSequenceNumber == 20111)
        #expect(stats.packetsReceived == 1)
        #expect(stats.cumulativeLost == 0)
        // A packet within the dropout limit is ordinary loss.
        let countedLoss = stats.record(sequenceNumber: 20200, rtpTimestamp: 0, arrival: .zero)
        #expect(countedLoss)
        #expect(stats.cumulativeLost == 88)
    }

    @Test func separatesLatePacketsFromJumpsAtTheMisorderLimit() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 90000)
        stats.record(sequenceNumber: 200, rtpTimestamp: 0, arrival: .zero)
        // RFC 3550 A.1: fewer than MAX_MISORDER (100) behind the highest is late; 100 or more is a jump.
        let late = stats.record(sequenceNumber: 101, rtpTimestamp: 0, arrival: .zero)
        let jump = stats.record(sequenceNumber: 100, rtpTimestamp: 0, arrival: .zero)
        #expect(late)
        #expect(!jump)
        #expect(stats.packetsReceived == 2)
        #expect(stats.extendedHighestSequenceNumber == 200)
    }

    @Test func reportsNothingLostBeforeTheFirstPacket() {
        var stats = RTPReceiveStatistics(ssrc: 3, clockRate: 90000)
        let block = stats.makeReportBlock(at: .zero)
        #expect(block.fractionLost == 0)
        #expect(block.cumulativeLost == 0)
        #expect(block.extendedHighestSequenceNumber == 0)
    }

    @Test func estimatesJitterOverAKnownArrivalPattern() {
        // 8 kHz, 20 ms packets (160 units); every other packet is 10 ms (80 units) late, so
        // |D| = 80 for each packet after the first and J(n) = 80 · (1 − (15/16)^n) (RFC 3550 A.8).
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 8000)
        var expected = 0.0
        for index in 0..<40 {
            let late: Int64 = index % 2 == 1 ? 10 : 0
            // Timestamps start near the 32-bit limit so that they wrap mid-stream.
            let timestamp = UInt32.max - 1000 &+ UInt32(index * 160)
            stats.record(sequenceNumber: UInt16(index), rtpTimestamp: timestamp,
                         arrival: Self.at(milliseconds: 5000 + Int64(index) * 20 + late))
            if index > 0 { expected += (80 - expected) / 16 }
            #expect(stats.jitter == UInt32(expected.rounded(.down)), "after packet \(index)")
        }
        #expect(stats.jitter == 73)  // 80 · (1 − (15/16)^39) = 73.5…
        #expect(stats.makeReportBlock(at: .zero).jitter == 73)
    }

    @Test func keepsJitterAtZeroForConstantDelay() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 90000)
        for index in 0..<30 {
            stats.record(sequenceNumber: UInt16(index), rtpTimestamp: UInt32(index * 3000),
                         arrival: Self.at(milliseconds: 123 + Int64(index) * 1000 / 30))
        }
        // 1000/30 ms is rounded down to whole milliseconds above, so allow that one unit of error.
        #expect(stats.jitter <= 90)
        var exact = RTPReceiveStatistics(ssrc: 1, clockRate: 1000)
        for index in 0..<30 {
            exact.record(sequenceNumber: UInt16(index), rtpTimestamp: UInt32(index * 40), arrival: Self.at(milliseconds: 7 + Int64(index) * 40))
        }
        #expect(exact.jitter == 0)
    }

    @Test func fillsLastSenderReportAndDelaySinceIt() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 90000)
        stats.record(sequenceNumber: 1, rtpTimestamp: 0, arrival: .zero)
        stats.recordSenderReport(NTPTimestamp(seconds: 0xB44D_B705, fraction: 0x2000_0000), arrival: Self.at(milliseconds: 1000))
        let block = stats.makeReportBlock(at: Self.at(milliseconds: 6250))
        #expect(block.lastSenderReport == 0xB705_2000)
        #expect(block.delaySinceLastSenderReport == 0x0005_4000)  // 5.25 s in 1/65536 s
    }
}

@Suite struct RTPSendStatisticsTests {
    @Test func countsPacketsAndPayloadOctetsAndExtrapolatesTheTimestamp() {
        var stats = RTPSendStatistics(ssrc: 0x5555, clockRate: 90000)
        let ntp = NTPTimestamp(seconds: 100, fraction: 0)
        #expect(stats.makeSenderReport(ntpTime: ntp, at: .zero).packetCount == 0)
        for index in 0..<3 {
            let packet = RTPPacket(payloadType: 96, sequenceNumber: UInt16(index), timestamp: 90000,
                                   ssrc: 0x5555, csrcs: [1], payload: Array(repeating: 0, count: 100 * (index + 1)),
                                   paddingLength: 9)
            stats.record(packet, at: Instant(nanoseconds: 1_000_000_000))
        }
        let report = stats.makeSenderReport(ntpTime: ntp, at: Instant(nanoseconds: 1_500_000_000))
        #expect(report.ssrc == 0x5555)
        #expect(report.packetCount == 3)
        #expect(report.octetCount == 600)  // payload only: no header, CSRC or padding octets
        #expect(report.ntpTimestamp == ntp)
        #expect(report.rtpTimestamp == 90000 + 45000)
    }

    @Test func wrapsTheExtrapolatedTimestamp() {
        var stats = RTPSendStatistics(ssrc: 1, clockRate: 48000)
        stats.record(RTPPacket(payloadType: 111, sequenceNumber: 0, timestamp: UInt32.max - 10, ssrc: 1, payload: [1]), at: .zero)
        let report = stats.makeSenderReport(ntpTime: NTPTimestamp(rawValue: 0), at: Instant(nanoseconds: 20_000_000))
        #expect(report.rtpTimestamp == 960 - 11)
    }
}

@Suite struct NTPAndRoundTripTimeTests {
    @Test func convertsUnixTimeToNTP() {
        // RFC 3550 §6.4.1 example: 10 Nov 1995 11:33:25.125 UTC is 0xb44db705:20000000.
        let time = NTPTimestamp(sinceUnixEpoch: .seconds(816_003_205) + .milliseconds(125))
        #expect(time == NTPTimestamp(seconds: 0xB44D_B705, fraction: 0x2000_0000))
        #expect(time.middle32 == 0xB705_2000)
        #expect(time.sinceUnixEpoch == .seconds(816_003_205) + .milliseconds(125))
        #expect(NTPTimestamp(sinceUnixEpoch: .zero).seconds == 2_208_988_800)
        #expect(NTPTimestamp(sinceUnixEpoch: .nanoseconds(500_000_000)).fraction == 0x8000_0000)
    }

    @Test func computesTheRoundTripTimeOfTheRFC3550Example() {
        // RFC 3550 §6.4.1: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000 → 6.125 s.
        let block = RTCPReportBlock(ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSequenceNumber: 0,
                                    jitter: 0, lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)
        let arrival = NTPTimestamp(seconds: 0xB44D_B710, fraction: 0x8000_0000)
        #expect(RoundTripTime.compute(reportBlock: block, arrival: arrival) == .milliseconds(6125))
        // No SR seen yet, or an arrival before the SR was sent: no estimate.
        var noReport = block
        noReport.lastSenderReport = 0
        #expect(RoundTripTime.compute(reportBlock: noReport, arrival: arrival) == nil)
        #expect(RoundTripTime.compute(reportBlock: block, arrival: NTPTimestamp(seconds: 0xB44D_B705, fraction: 0)) == nil)
    }

    @Test func measuresRoundTripThroughSenderAndReceiverStatistics() {
        // Wall clock = virtual time + 1 700 000 000 s; one-way delay 40 ms each way, 300 ms hold.
        let wallOffset = Duration.seconds(1_700_000_000)
        func ntp(_ instant: Instant) -> NTPTimestamp { NTPTimestamp(sinceUnixEpoch: wallOffset + .nanoseconds(instant.nanoseconds)) }
        let sent = Instant(nanoseconds: 2_000_000_000)
        var sender = RTPSendStatistics(ssrc: 7, clockRate: 90000)
        sender.record(RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 7, payload: [0]), at: sent)
        let report = sender.makeSenderReport(ntpTime: ntp(sent), at: sent)

        var receiver = RTPReceiveStatistics(ssrc: 7, clockRate: 90000)
        receiver.record(sequenceNumber: 1, rtpTimestamp: 0, arrival: sent + .milliseconds(40))
        receiver.recordSenderReport(report.ntpTimestamp, arrival: sent + .milliseconds(40))
        let block = receiver.makeReportBlock(at: sent + .milliseconds(340))

        let rtt = RoundTripTime.compute(reportBlock: block, arrival: ntp(sent + .milliseconds(380)))
        let milliseconds = try? #require(rtt).milliseconds
        // LSR and DLSR have 1/65536 s resolution.
        #expect(abs((milliseconds ?? 0) - 80) < 0.1)
    }
}
