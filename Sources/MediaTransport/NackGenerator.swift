import TandemBase

/// Decides which missing RTP packets to ask for again with Generic NACK (RFC 4585 §6.2.1):
/// a gap in sequence numbers makes each missing number a candidate; each is requested at once,
/// then again at most every round-trip time, up to `maxRetries` times, and forgotten after
/// `maxAge`. Too many missing packets at once means retransmission cannot help: the list is
/// cleared and a key frame is asked for instead.
///
/// Sans-IO: `received(_:at:)` for every packet of the stream (retransmissions included), then
/// `poll(at:)` when `pollTimeout()` is due.
public struct NackGenerator: Sendable {
    public enum Output: Equatable, Sendable {
        /// Send a Generic NACK for these sequence numbers (`RTCPFeedback.genericNack`).
        case nack([UInt16])
        /// Retransmission cannot repair this; ask for a key frame (PLI/FIR).
        case keyframeNeeded
    }

    public struct Configuration: Equatable, Sendable {
        public var maxRetries: Int
        /// How long a missing packet is worth asking for (it would arrive too late after that).
        public var maxAge: Duration
        /// More missing packets than this at once: give up and ask for a key frame.
        public var maxMissing: Int
        /// Shortest spacing between two requests for one packet, whatever the RTT says.
        public var minimumRetryInterval: Duration
        /// Retry spacing until an RTT is measured.
        public var initialRoundTripTime: Duration

        public init(maxRetries: Int = 10, maxAge: Duration = .seconds(1), maxMissing: Int = 1000,
                    minimumRetryInterval: Duration = .milliseconds(10), initialRoundTripTime: Duration = .milliseconds(100)) {
            self.maxRetries = maxRetries
            self.maxAge = maxAge
            self.maxMissing = maxMissing
            self.minimumRetryInterval = minimumRetryInterval
            self.initialRoundTripTime = initialRoundTripTime
        }
    }

    struct Missing: Sendable {
        var since: Instant
        var lastRequest: Instant?
        var requests: Int
    }

    public let configuration: Configuration
    private var unwrapper = SequenceNumberUnwrapper()
    private var highest: Int64?
    private var missing: [Int64: Missing] = [:]
    private var roundTripTime: Duration?
    private var keyframeNeeded = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Sequence numbers currently considered missing, oldest first.
    public var missingSequenceNumbers: [UInt16] {
        missing.keys.sorted().map { UInt16(truncatingIfNeeded: $0) }
    }

    /// The round-trip time from RTCP reports (RFC 3550 §6.4.1), which spaces retries.
    public mutating func updateRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
    }

    private var retryInterval: Duration {
        max(roundTripTime ?? configuration.initialRoundTripTime, configuration.minimumRetryInterval)
    }

    /// Notes an arrived packet: fills a hole, or opens new ones if it jumps ahead.
    public mutating func received(_ sequenceNumber: UInt16, at now: Instant) {
        let sequence = unwrapper.unwrap(sequenceNumber)
        guard let highest else {
            self.highest = sequence
            return
        }
        if sequence <= highest {
            missing[sequence] = nil
            return
        }
        let gap = sequence - highest - 1
        if gap > 0 {
            if Int64(missing.count) + gap > Int64(configuration.maxMissing) {
                missing.removeAll()
                keyframeNeeded = true
            } else {
                for lost in highest + 1..<sequence { missing[lost] = Missing(since: now, lastRequest: nil, requests: 0) }
            }
        }
        self.highest = sequence
    }

    /// Forgets missing packets before `sequenceNumber` (say, once a key frame made them useless).
    public mutating func forget(before sequenceNumber: UInt16) {
        guard let highest else { return }
        let limit = highest - Int64(Int16(bitPattern: UInt16(truncatingIfNeeded: highest) &- sequenceNumber))
        missing = missing.filter { $0.key >= limit }
    }

    /// What to send now: a key frame request if the list overflowed, else the packets due for a
    /// (first or repeated) NACK. Packets past their retries or age are dropped.
    public mutating func poll(at now: Instant) -> Output? {
        if keyframeNeeded {
            keyframeNeeded = false
            return .keyframeNeeded
        }
        var due: [Int64] = []
        for (sequence, entry) in missing {
            if entry.requests >= configuration.maxRetries || now - entry.since >= configuration.maxAge {
                missing[sequence] = nil
            } else if entry.lastRequest.map({ now - $0 >= retryInterval }) ?? true {
                due.append(sequence)
            }
        }
        guard !due.isEmpty else { return nil }
        due.sort()
        for sequence in due {
            missing[sequence]?.lastRequest = now
            missing[sequence]?.requests += 1
        }
        return .nack(due.map { UInt16(truncatingIfNeeded: $0) })
    }

    /// When `poll(at:)` next has something to do.
    public func pollTimeout() -> Instant? {
        if keyframeNeeded { return .zero }
        var earliest: Instant?
        for entry in missing.values {
            let next = entry.lastRequest.map { $0 + retryInterval } ?? entry.since
            earliest = earliest.earliest(min(next, entry.since + configuration.maxAge))
        }
        return earliest
    }
}
