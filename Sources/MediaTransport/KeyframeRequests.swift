import RTP
import TandemBase

/// Receiver side: turns "the decoder needs a key frame" into PLI (RFC 4585 §6.3.1) or FIR
/// (RFC 5104 §4.3.1) messages, at most one per interval (the larger of `minimumInterval` and
/// the round-trip time), repeated while the need lasts and no key frame has come.
public struct KeyframeRequester: Sendable {
    public enum Method: Equatable, Sendable {
        /// Picture Loss Indication, `a=rtcp-fb:* nack pli`.
        case pictureLossIndication
        /// Full Intra Request, `a=rtcp-fb:* ccm fir`.
        case fullIntraRequest
    }

    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let method: Method
    public let minimumInterval: Duration
    private var roundTripTime: Duration = .zero
    private var pending = false
    /// Whether a message already went out for the current need (so the next one is a repeat).
    private var sentForCurrentNeed = false
    private var lastSent: Instant?
    /// FIR command sequence number (RFC 5104 §4.3.1.2): increases with each new request.
    private var firSequenceNumber: UInt8 = 0

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, method: Method = .pictureLossIndication,
                minimumInterval: Duration = .milliseconds(300)) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.method = method
        self.minimumInterval = minimumInterval
    }

    public mutating func updateRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
    }

    private var interval: Duration { max(minimumInterval, roundTripTime) }

    /// The decoder needs a key frame (jitter buffer `.keyframeNeeded`, decoder `.corrupted`).
    public mutating func request() {
        guard !pending else { return }
        pending = true
        sentForCurrentNeed = false
    }

    /// A key frame arrived: nothing more to ask for.
    public mutating func keyframeReceived() {
        pending = false
    }

    /// The message to send now, if a request is pending and the interval has passed. A request
    /// that stays pending is repeated after another interval, in case the first was lost; a
    /// repeated FIR keeps its sequence number (RFC 5104 §4.3.1.2), a new one advances it.
    public mutating func poll(at now: Instant) -> RTCPFeedback? {
        guard pending else { return nil }
        if let lastSent, now - lastSent < interval { return nil }
        let isRepeat = sentForCurrentNeed
        sentForCurrentNeed = true
        lastSent = now
        switch method {
        case .pictureLossIndication:
            return .pictureLossIndication(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
        case .fullIntraRequest:
            if !isRepeat { firSequenceNumber &+= 1 }
            return .fullIntraRequest(senderSSRC: senderSSRC,
                                     entries: [FullIntraRequestEntry(ssrc: mediaSSRC, sequenceNumber: firSequenceNumber)])
        }
    }

    /// When `poll(at:)` may next produce a message.
    public func pollTimeout() -> Instant? {
        guard pending else { return nil }
        return lastSent.map { $0 + interval } ?? .zero
    }
}

/// Sender side: decides when PLI and FIR messages for `mediaSSRC` make the encoder produce a key
/// frame. Requests within `minimumInterval` of the last key frame are folded into the next one,
/// and a FIR that repeats the last command sequence number is not a new request
/// (RFC 5104 §4.3.1.2, §3.5.1).
public struct KeyframeRequestFilter: Sendable {
    public let mediaSSRC: UInt32
    public let minimumInterval: Duration
    private var pending = false
    private var lastKeyframe: Instant?
    private var lastFIRSequenceNumbers: [UInt32: UInt8] = [:]

    public init(mediaSSRC: UInt32, minimumInterval: Duration = .milliseconds(300)) {
        self.mediaSSRC = mediaSSRC
        self.minimumInterval = minimumInterval
    }

    /// Takes any feedback message from the peer; returns whether it asked this stream for a key frame.
    @discardableResult
    public mutating func handle(_ feedback: RTCPFeedback) -> Bool {
        if feedback.isPictureLossIndication, feedback.mediaSSRC == mediaSSRC {
            pending = true
            return true
        }
        guard let entries = feedback.fullIntraRequestEntries else { return false }
        for entry in entries where entry.ssrc == mediaSSRC {
            if lastFIRSequenceNumbers[feedback.senderSSRC] == entry.sequenceNumber { continue }
            lastFIRSequenceNumbers[feedback.senderSSRC] = entry.sequenceNumber
            pending = true
            return true
        }
        return false
    }

    /// The encoder made a key frame on its own (start, resolution change): it answers pending requests.
    public mutating func keyframeSent(at now: Instant) {
        pending = false
        lastKeyframe = now
    }

    /// Whether the encoder should make a key frame now; if so, counts it as sent.
    public mutating func poll(at now: Instant) -> Bool {
        guard pending else { return false }
        if let lastKeyframe, now - lastKeyframe < minimumInterval { return false }
        keyframeSent(at: now)
        return true
    }

    public func pollTimeout() -> Instant? {
        guard pending else { return nil }
        return lastKeyframe.map { $0 + minimumInterval } ?? .zero
    }
}
