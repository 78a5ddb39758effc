import TandemBase

/// Reception statistics for one incoming RTP stream (one SSRC), following RFC 3550 A.1
/// (sequence number tracking), A.3 (expected and lost packets) and A.8 (interarrival jitter).
///
/// The source is counted from its first packet: SRTP authentication already vouches for it, so
/// the A.1 probation of MIN_SEQUENTIAL packets is left out.
public struct RTPReceiveStatistics: Sendable {
    /// RFC 3550 A.1: a forward jump larger than this is a possible restart, not loss.
    static let maxDropout: UInt16 = 3000
    /// RFC 3550 A.1: a backward step up to this is a late (reordered or duplicated) packet.
    static let maxMisorder: UInt16 = 100

    public let ssrc: UInt32
    /// RTP timestamp clock rate of the stream (e.g. 90000 for video).
    public let clockRate: Int

    private var started = false
    private var maxSequence: UInt16 = 0
    /// Wrap count shifted left by 16 (RFC 3550 A.1 `cycles`).
    private var cycles: UInt32 = 0
    private var baseSequence: UInt32 = 0
    /// RFC 3550 A.1 `bad_seq`: the sequence number after a large jump, to detect a restart.
    private var badSequence: UInt32 = 0x1_0000 + 1
    public private(set) var packetsReceived: UInt64 = 0
    private var expectedPrior: UInt64 = 0
    private var receivedPrior: UInt64 = 0

    private var lastTransit: Double?
    /// RFC 3550 A.8, in timestamp units.
    private var jitterEstimate: Double = 0

    private var lastSenderReport: (middle32: UInt32, arrival: Instant)?

    public init(ssrc: UInt32, clockRate: Int) {
        self.ssrc = ssrc
        self.clockRate = clockRate
    }

    /// Highest sequence number seen, extended with the wrap count (RFC 3550 A.1, A.3).
    public var extendedHighestSequenceNumber: UInt32 { cycles + UInt32(maxSequence) }

    /// Packets expected minus packets received, saturated to the signed 24-bit field (RFC 3550 A.3).
    public var cumulativeLost: Int32 {
        RTCPReportBlock.clampedCumulativeLost(Int64(expected) - Int64(packetsReceived))
    }

    /// Current interarrival jitter estimate in timestamp units (RFC 3550 A.8).
    public var jitter: UInt32 { UInt32(jitterEstimate.rounded(.down)) }

    private var expected: UInt64 {
        started ? UInt64(extendedHighestSequenceNumber) + 1 - UInt64(baseSequence) : 0
    }

    /// Accounts one received packet. Returns false for a packet taken as a large jump of the
    /// sequence (not counted until the source restarts from it, RFC 3550 A.1).
    @discardableResult
    public mutating func record(sequenceNumber: UInt16, rtpTimestamp: UInt32, arrival: Instant) -> Bool {
        guard started else {
            restart(at: sequenceNumber)
            started = true
            countPacket(rtpTimestamp: rtpTimestamp, arrival: arrival)
            return true
        }
        let delta = sequenceNumber &- maxSequence
        if delta < Self.maxDropout {
            // In order, possibly with a gap; a smaller number means the 16-bit counter wrapped.
            if sequenceNumber < maxSequence { cycles &+= 0x1_0000 }
            maxSequence = sequenceNumber
        } else if Int(delta) <= 0x1_0000 - Int(Self.maxMisorder) {
            // A large jump: two sequential packets after it mean the sender restarted.
            guard UInt32(sequenceNumber) == badSequence else {
                badSequence = UInt32(sequenceNumber &+ 1)
                return false
            }
            restart(at: sequenceNumber)
        }
        // Otherwise a duplicate or reordered packet: counted, max unchanged.
        countPacket(rtpTimestamp: rtpTimestamp, arrival: arrival)
        return true
    }

    /// RFC 3550 A.1 `init_seq`.
    private mutating func restart(at sequenceNumber: UInt16) {
        baseSequence = UInt32(sequenceNumber)
        maxSequence = sequenceNumber
        badSequence = 0x1_0000 + 1
        cycles = 0
        packetsReceived = 0
        expectedPrior = 0
        receivedPrior = 0
    }

    /// RFC 3550 A.8: J += (|D| − J) / 16 with D the change in transit time between packets.
    private mutating func countPacket(rtpTimestamp: UInt32, arrival: Instant) {
        packetsReceived += 1
        let arrivalUnits = Double(arrival.nanoseconds) * Double(clockRate) / 1e9
        // Transit is only ever compared to the previous one, so the 32-bit timestamp is unwrapped
        // relative to it through the signed difference below.
        let transit = arrivalUnits - Double(rtpTimestamp)
        if let lastTransit {
            var difference = transit - lastTransit
            // Undo a timestamp wrap between the two packets.
            let wrap = 4_294_967_296.0
            if difference > wrap / 2 { difference -= wrap } else if difference < -wrap / 2 { difference += wrap }
            jitterEstimate += (abs(difference) - jitterEstimate) / 16
        }
        lastTransit = transit
    }

    /// Remembers an SR from this source for the LSR and DLSR fields (RFC 3550 §6.4.1).
    public mutating func recordSenderReport(_ ntpTimestamp: NTPTimestamp, arrival: Instant) {
        lastSenderReport = (ntpTimestamp.middle32, arrival)
    }

    /// The report block for this source, and starts a new interval for the fraction lost
    /// (RFC 3550 A.3). `now` is when the report will be sent, for DLSR.
    public mutating func makeReportBlock(at now: Instant) -> RTCPReportBlock {
        let expectedInterval = Int64(expected) - Int64(expectedPrior)
        let receivedInterval = Int64(packetsReceived) - Int64(receivedPrior)
        expectedPrior = expected
        receivedPrior = packetsReceived
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8 =
            expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / expectedInterval))
        var lsr: UInt32 = 0
        var dlsr: UInt32 = 0
        if let lastSenderReport {
            lsr = lastSenderReport.middle32
            // Delay in units of 1/65536 s.
            let delay = max(0, (now - lastSenderReport.arrival).nanoseconds)
            dlsr = UInt32(clamping: (delay << 16) / 1_000_000_000)
        }
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: cumulativeLost,
            extendedHighestSequenceNumber: started ? extendedHighestSequenceNumber : 0,
            jitter: jitter, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
    }
}
