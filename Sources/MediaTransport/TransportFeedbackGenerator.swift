import RTP
import TandemBase

/// Receiver side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
/// extensions-01 §3): records when each transport-wide sequence number arrived and, every
/// `interval`, reports the arrivals since the last report. A packet that arrives after its
/// sequence number was reported as missing is not reported again.
public struct TransportFeedbackGenerator: Sendable {
    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let interval: Duration
    /// Most sequence numbers per message; more are split over several.
    public let maxPacketsPerMessage: Int
    private var unwrapper = SequenceNumberUnwrapper()
    private var arrivals: [Int64: Instant] = [:]
    /// The first sequence number not yet reported.
    private var nextToReport: Int64?
    private var feedbackPacketCount: UInt8 = 0
    private var lastSent: Instant?

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, interval: Duration = .milliseconds(50), maxPacketsPerMessage: Int = 500) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.interval = interval
        self.maxPacketsPerMessage = maxPacketsPerMessage
    }

    /// Records a packet that carried the transport-cc extension.
    public mutating func received(_ transportSequenceNumber: UInt16, at now: Instant) {
        let sequence = unwrapper.unwrap(transportSequenceNumber)
        if let nextToReport, sequence < nextToReport { return }
        if nextToReport == nil { nextToReport = sequence }
        if arrivals[sequence] == nil { arrivals[sequence] = now }
        if lastSent == nil { lastSent = now }
    }

    /// The feedback messages due now (every `interval` while packets arrive).
    public mutating func poll(at now: Instant) -> [RTCPFeedback] {
        guard !arrivals.isEmpty, let lastSent, now - lastSent >= interval else { return [] }
        self.lastSent = now
        var messages: [RTCPFeedback] = []
        while let message = nextMessage() { messages.append(message) }
        return messages
    }

    public func pollTimeout() -> Instant? {
        guard !arrivals.isEmpty else { return nil }
        return lastSent.map { $0 + interval }
    }

    /// One message from `nextToReport` up to the highest arrival: stops early where a delta
    /// would not fit 16 bits or at `maxPacketsPerMessage`.
    private mutating func nextMessage() -> RTCPFeedback? {
        guard let base = nextToReport, let highest = arrivals.keys.max(), highest >= base,
              let first = arrivals.keys.filter({ $0 >= base }).min(), let firstArrival = arrivals[first] else { return nil }
        let unit = TransportFeedback.referenceTimeUnit.nanoseconds
        let tick = TransportFeedback.deltaTick.nanoseconds
        // Reference time: the first arrival rounded down to 64 ms (draft §3.1).
        let reference = Self.floorDivide(firstArrival.nanoseconds, unit)
        var previousTicks = reference * (unit / tick)
        var deltas: [Int16?] = []
        var sequence = base
        while sequence <= highest, deltas.count < maxPacketsPerMessage {
            if let arrival = arrivals[sequence] {
                let ticks = Self.floorDivide(arrival.nanoseconds + tick / 2, tick)
                guard let delta = Int16(exactly: ticks - previousTicks) else { break }
                deltas.append(delta)
                previousTicks = ticks
                arrivals[sequence] = nil
            } else {
                deltas.append(nil)
            }
            sequence += 1
        }
        // Trailing entries after the last arrival carry no information; report them next time.
        while deltas.last.map({ $0 == nil }) ?? false {
            deltas.removeLast()
            sequence -= 1
        }
        guard !deltas.isEmpty else { return nil }
        nextToReport = sequence
        let feedback = TransportFeedback(
            baseSequenceNumber: UInt16(truncatingIfNeeded: base), referenceTime: UInt32(truncatingIfNeeded: reference) & 0xFF_FFFF,
            feedbackPacketCount: feedbackPacketCount, receiveDeltas: deltas)
        feedbackPacketCount &+= 1
        return feedback.rtcp(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}

/// What the sender learns about one packet from transport feedback.
public struct SentPacketResult: Equatable, Sendable {
    public var transportSequenceNumber: UInt16
    public var size: Int
    public var sentAt: Instant
    /// Arrival in the receiver's time base (only differences between arrivals are meaningful);
    /// nil if the feedback reports the packet lost.
    public var arrival: Duration?
}

/// Sender side of transport-wide feedback: remembers when each transport-wide sequence number
/// was sent and how large it was, and turns feedback messages into per-packet results.
public struct TransportFeedbackAdapter: Sendable {
    struct Sent: Sendable {
        var size: Int
        var sentAt: Instant
    }

    public let maxAge: Duration
    private var unwrapper = SequenceNumberUnwrapper()
    private var sent: [Int64: Sent] = [:]
    private var referenceUnwrapper: (last: UInt32, base: Int64)?

    public init(maxAge: Duration = .seconds(2)) {
        self.maxAge = maxAge
    }

    public mutating func sent(_ transportSequenceNumber: UInt16, size: Int, at now: Instant) {
        sent[unwrapper.unwrap(transportSequenceNumber)] = Sent(size: size, sentAt: now)
        if sent.count > 8192 { sent = sent.filter { now - $0.value.sentAt < maxAge } }
    }

    /// The results for the packets a feedback message covers that this side sent.
    public mutating func handle(_ feedback: TransportFeedback) -> [SentPacketResult] {
        // The 24-bit reference time wraps every 12 days; unwrap it against the previous one.
        let reference: Int64
        if let previous = referenceUnwrapper {
            let difference = Int64(Int32(bitPattern: (feedback.referenceTime &- previous.last) << 8) >> 8)
            reference = previous.base + difference
        } else {
            reference = Int64(feedback.referenceTime)
        }
        referenceUnwrapper = (feedback.referenceTime, reference)
        var arrival = TransportFeedback.referenceTimeUnit * Int(reference)
        var results: [SentPacketResult] = []
        let base = unwrapper.unwrap(feedback.baseSequenceNumber)
        for (offset, delta) in feedback.receiveDeltas.enumerated() {
            let sequence = base + Int64(offset)
            var packetArrival: Duration?
            if let delta {
                arrival += TransportFeedback.deltaTick * Int(delta)
                packetArrival = arrival
            }
            guard let packet = sent.removeValue(forKey: sequence) else { continue }
            results.append(SentPacketResult(transportSequenceNumber: UInt16(truncatingIfNeeded: sequence), size: packet.size,
                                            sentAt: packet.sentAt, arrival: packetArrival))
        }
        return results
    }
}
