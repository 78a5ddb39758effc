import TandemBase

/// Messages waiting to be fragmented into DATA chunks, one queue per outgoing stream, served
/// round-robin at message boundaries: a stream keeps the turn until its current message has been
/// fully fragmented (DATA fragments of one message need consecutive TSNs, RFC 9260 §6.9), then the
/// next stream with data goes. A small message on one stream so waits for at most one message of a
/// bulk stream, not for its whole queue. With I-DATA (RFC 8260) the turn passes after every fragment.
struct SCTPSendQueue {
    struct Message {
        var payload: [UInt8]
        var ppid: UInt32
        var ordered: Bool
        var expiry: Instant?
        var maxRetransmits: Int?
        /// Bytes already cut into chunks.
        var offset = 0
        var fragmentsCut = 0
        var started = false
        var ssn: UInt16 = 0
        var messageID: UInt32 = 0
        var firstTSN: UInt32 = 0
    }

    /// A class so its queue is mutated in place inside the dictionary.
    final class Stream {
        var queue = RingBuffer<Message>()
        var nextSSN: UInt16 = 0
        /// I-DATA Message Identifiers, counted separately for ordered and unordered messages (RFC 8260 §2.1).
        var nextOrderedMID: UInt32 = 0
        var nextUnorderedMID: UInt32 = 0
        /// Bytes queued or in flight and not yet acknowledged or abandoned.
        var bufferedAmount = 0
        var lowThreshold = 0
        var isScheduled = false
        /// A reset of this stream was asked for and is not yet performed (RFC 6525).
        var resetRequested = false
    }

    /// A chunk cut from a message, before it gets its TSN.
    struct Fragment {
        var stream: UInt16
        var ssn: UInt16
        var messageID: UInt32
        var fragmentSequence: UInt32
        var ppid: UInt32
        var unordered: Bool
        var beginning: Bool
        var ending: Bool
        var payload: ArraySlice<UInt8>
        var expiry: Instant?
        var maxRetransmits: Int?
        /// TSN of the message's first fragment, which names the message when it is abandoned.
        var messageFirstTSN: UInt32
    }

    /// I-DATA was negotiated: streams take turns fragment by fragment.
    var interleaving = false
    private(set) var streams: [UInt16: Stream] = [:]
    private var schedule = RingBuffer<UInt16>()
    /// Bytes queued or in flight over all streams.
    private(set) var totalBuffered = 0

    func stream(_ id: UInt16) -> Stream? { streams[id] }

    mutating func streamCreating(_ id: UInt16) -> Stream {
        if let stream = streams[id] { return stream }
        let stream = Stream()
        streams[id] = stream
        return stream
    }

    var hasQueuedData: Bool { !schedule.isEmpty }

    mutating func enqueue(_ message: Message, stream id: UInt16) {
        let stream = streamCreating(id)
        stream.queue.append(message)
        stream.bufferedAmount += message.payload.count
        totalBuffered += message.payload.count
        if !stream.isScheduled {
            stream.isScheduled = true
            schedule.append(id)
        }
    }

    /// Whether the stream has nothing left to fragment (its earlier messages all have TSNs).
    func isDrained(_ id: UInt16) -> Bool { streams[id].map { $0.queue.isEmpty } ?? true }

    /// Bytes of `id` that left the buffer (acknowledged or abandoned); true if that crossed the
    /// stream's low threshold from above.
    mutating func release(_ bytes: Int, stream id: UInt16) -> Bool {
        guard let stream = streams[id], bytes > 0 else { return false }
        let before = stream.bufferedAmount
        stream.bufferedAmount -= bytes
        totalBuffered -= bytes
        return before > stream.lowThreshold && stream.bufferedAmount <= stream.lowThreshold
    }

    /// Cuts the next fragment of at most `maxPayload` bytes, taking the next stream's turn. Messages
    /// whose lifetime ran out before their first fragment are dropped and reported in `expired`
    /// (RFC 3758 §4: they never get a TSN). `firstTSN` is the TSN the fragment will carry.
    mutating func nextFragment(maxPayload: Int, firstTSN: UInt32, now: Instant,
                               expired: inout [(stream: UInt16, bytes: Int)]) -> Fragment? {
        while let id = schedule.first {
            guard let stream = streams[id], var message = stream.queue.first else {
                schedule.popFirst()
                streams[id]?.isScheduled = false
                continue
            }
            if !message.started, let expiry = message.expiry, now >= expiry {
                stream.queue.popFirst()
                expired.append((id, message.payload.count))
                if stream.queue.isEmpty {
                    schedule.popFirst()
                    stream.isScheduled = false
                }
                continue
            }
            if !message.started {
                message.started = true
                message.firstTSN = firstTSN
                if message.ordered {
                    message.ssn = stream.nextSSN
                    stream.nextSSN &+= 1
                    message.messageID = stream.nextOrderedMID
                    stream.nextOrderedMID &+= 1
                } else {
                    message.messageID = stream.nextUnorderedMID
                    stream.nextUnorderedMID &+= 1
                }
            }
            let size = min(maxPayload, message.payload.count - message.offset)
            let fragmentSequence = UInt32(truncatingIfNeeded: message.fragmentsCut)
            message.fragmentsCut += 1
            let fragment = Fragment(stream: id, ssn: message.ssn, messageID: message.messageID,
                                    fragmentSequence: fragmentSequence, ppid: message.ppid, unordered: !message.ordered,
                                    beginning: message.offset == 0, ending: message.offset + size == message.payload.count,
                                    payload: message.payload[message.offset..<message.offset + size],
                                    expiry: message.expiry, maxRetransmits: message.maxRetransmits,
                                    messageFirstTSN: message.firstTSN)
            message.offset += size
            if fragment.ending {
                stream.queue.popFirst()
                schedule.popFirst()
                if stream.queue.isEmpty {
                    stream.isScheduled = false
                } else {
                    schedule.append(id)
                }
            } else {
                stream.queue[0] = message
                if interleaving {
                    schedule.popFirst()
                    schedule.append(id)
                }
            }
            return fragment
        }
        return nil
    }

    /// Drops the rest of a message abandoned while partly fragmented (RFC 3758 §4); returns the bytes
    /// that were never sent, or 0 if the stream is on another message.
    mutating func dropPartlySent(stream id: UInt16, firstTSN: UInt32) -> Int {
        guard let stream = streams[id], let message = stream.queue.first, message.started,
              message.firstTSN == firstTSN else { return 0 }
        // The stream stays in the schedule; its turn passes over an empty queue (see nextFragment).
        stream.queue.popFirst()
        return message.payload.count - message.offset
    }

    /// Restarts the SSNs of a stream after a performed reset (RFC 6525 §5.1.4).
    func resetSequence(stream id: UInt16) {
        guard let stream = streams[id] else { return }
        stream.nextSSN = 0
        stream.nextOrderedMID = 0
        stream.nextUnorderedMID = 0
        stream.resetRequested = false
    }
}
