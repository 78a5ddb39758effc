/// Receive-side reassembly of DATA fragments into messages (RFC 9260 §6.5, §6.9), ordered delivery
/// per stream by SSN, and the skips a FORWARD TSN asks for (RFC 3758 §3.6).
///
/// Fragments of one message always carry consecutive TSNs (§6.9). Ordered fragments are grouped by
/// (stream, SSN); unordered ones into runs of consecutive TSNs between a B and an E fragment. Every byte held
/// here counts against the receive window, so the peer cannot make it grow without bound.
struct SCTPReassembly {
    struct Message: Equatable {
        var stream: UInt16
        var ppid: UInt32
        var payload: [UInt8]
    }

    enum Failure: Error, Equatable {
        /// A message grew beyond the largest one we accept.
        case messageTooLarge(stream: UInt16, size: Int)
    }

    private struct Fragment {
        var tsn: UInt32
        var ppid: UInt32
        var beginning: Bool
        var ending: Bool
        var stream: UInt16
        var payload: ArraySlice<UInt8>
    }

    /// An ordered message being reassembled. Its fragments carry consecutive TSNs from its B to its E
    /// fragment (§6.9) and usually arrive in that order: each one is appended to `payload` at once, so
    /// its packet is released and the message is copied only once. One that arrives early waits in
    /// `ahead` until the fragments before it are in.
    private struct PartialMessage {
        /// The fragments from the B fragment up to `nextTSN`, joined.
        var payload: [UInt8] = []
        /// The TSN that extends `payload`; nil until the B fragment is in.
        var nextTSN: UInt32?
        var ahead: [UInt32: ArraySlice<UInt8>] = [:]
        var ppid: UInt32 = 0
        var endTSN: UInt32?
        var bytes = 0

        var isComplete: Bool { nextTSN != nil && nextTSN == endTSN.map { $0 &+ 1 } }

        /// Adds one fragment; nil if it was already there, else the message's bytes so far and whether
        /// it is now complete.
        mutating func add(_ fragment: Fragment) -> (bytes: Int, isComplete: Bool)? {
            let tsn = fragment.tsn
            if let next = nextTSN, tsnLess(tsn, next) { return nil }
            guard ahead[tsn] == nil else { return nil }
            if fragment.beginning, nextTSN == nil {
                ppid = fragment.ppid
                append(fragment.payload, tsn: tsn)
            } else if tsn == nextTSN {
                append(fragment.payload, tsn: tsn)
            } else {
                ahead[tsn] = fragment.payload
            }
            bytes += fragment.payload.count
            if fragment.ending { endTSN = tsn }
            return (bytes, isComplete)
        }

        private mutating func append(_ piece: ArraySlice<UInt8>, tsn: UInt32) {
            payload.append(contentsOf: piece)
            var next = tsn &+ 1
            while let waiting = ahead.removeValue(forKey: next) {
                payload.append(contentsOf: waiting)
                next &+= 1
            }
            nextTSN = next
        }
    }

    /// A class, so that its dictionaries are mutated in place rather than copied out and back.
    private final class InboundStream {
        var expectedSSN: UInt16 = 0
        var partial: [UInt16: PartialMessage] = [:]
        var complete: [UInt16: Message] = [:]
    }

    let maxMessageSize: Int
    /// Payload bytes held for reassembly or for in-order delivery.
    private(set) var bufferedBytes = 0
    private var streams: [UInt16: InboundStream] = [:]

    private mutating func inbound(_ id: UInt16) -> InboundStream {
        if let stream = streams[id] { return stream }
        let stream = InboundStream()
        streams[id] = stream
        return stream
    }
    private var unordered: [UInt32: Fragment] = [:]

    /// Stored unordered fragments with consecutive TSNs that may form one message, listed under both
    /// their first and their last TSN.
    private struct UnorderedRun {
        var start: UInt32
        var end: UInt32
        var bytes: Int
    }
    private var unorderedRuns: [UInt32: UnorderedRun] = [:]

    init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    /// Adds one new (not duplicate) DATA chunk; appends the messages it completes, in delivery order.
    mutating func add(_ chunk: SCTPDataChunk, delivering out: inout [Message]) throws(Failure) {
        if chunk.beginning && chunk.ending {
            guard chunk.payload.count <= maxMessageSize else {
                throw .messageTooLarge(stream: chunk.streamID, size: chunk.payload.count)
            }
            let message = Message(stream: chunk.streamID, ppid: chunk.ppid, payload: Array(chunk.payload))
            if chunk.unordered {
                out.append(message)
            } else {
                complete(message, ssn: chunk.ssn, delivering: &out)
            }
            return
        }
        let fragment = Fragment(tsn: chunk.tsn, ppid: chunk.ppid, beginning: chunk.beginning, ending: chunk.ending,
                                stream: chunk.streamID, payload: chunk.payload)
        bufferedBytes += chunk.payload.count
        if chunk.unordered {
            try addUnordered(fragment, delivering: &out)
        } else {
            try addOrdered(fragment, ssn: chunk.ssn, delivering: &out)
        }
    }

    private mutating func addOrdered(_ fragment: Fragment, ssn: UInt16, delivering out: inout [Message]) throws(Failure) {
        let stream = inbound(fragment.stream)
        guard !ssnLessOrEqual(ssn &+ 1, stream.expectedSSN) else {
            // A fragment of a message already delivered or skipped.
            bufferedBytes -= fragment.payload.count
            return
        }
        // Mutated in place in the dictionary: a copy out and back would copy the message each time.
        guard let (bytes, isComplete) = stream.partial[ssn, default: PartialMessage()].add(fragment) else {
            bufferedBytes -= fragment.payload.count
            return
        }
        guard bytes <= maxMessageSize else { throw .messageTooLarge(stream: fragment.stream, size: bytes) }
        guard isComplete, let partial = stream.partial.removeValue(forKey: ssn) else { return }
        bufferedBytes -= partial.bytes
        complete(Message(stream: fragment.stream, ppid: partial.ppid, payload: partial.payload), ssn: ssn, delivering: &out)
    }

    /// Delivers an ordered message now if it is the next expected one, else holds it (§6.6).
    private mutating func complete(_ message: Message, ssn: UInt16, delivering out: inout [Message]) {
        let stream = inbound(message.stream)
        if ssn == stream.expectedSSN {
            out.append(message)
            stream.expectedSSN &+= 1
            deliverHeld(stream, delivering: &out)
        } else if !ssnLessOrEqual(ssn &+ 1, stream.expectedSSN) {
            stream.complete[ssn] = message
            bufferedBytes += message.payload.count
        }
    }

    private mutating func deliverHeld(_ stream: InboundStream, delivering out: inout [Message]) {
        while let next = stream.complete.removeValue(forKey: stream.expectedSSN) {
            bufferedBytes -= next.payload.count
            out.append(next)
            stream.expectedSSN &+= 1
        }
    }

    /// Joins an unordered fragment with the stored runs of consecutive TSNs next to it (never across
    /// a message boundary: an E fragment ends a run, a B fragment starts one) and delivers the run once
    /// it holds a whole message. Each fragment costs O(1), however long its message.
    private mutating func addUnordered(_ fragment: Fragment, delivering out: inout [Message]) throws(Failure) {
        let tsn = fragment.tsn
        guard unordered[tsn] == nil else {
            bufferedBytes -= fragment.payload.count
            return
        }
        unordered[tsn] = fragment
        var run = UnorderedRun(start: tsn, end: tsn, bytes: fragment.payload.count)
        if !fragment.beginning, let left = unorderedRuns[tsn &- 1], left.end == tsn &- 1,
           unordered[tsn &- 1]?.ending == false {
            forget(left)
            run.start = left.start
            run.bytes += left.bytes
        }
        if !fragment.ending, let right = unorderedRuns[tsn &+ 1], right.start == tsn &+ 1,
           unordered[tsn &+ 1]?.beginning == false {
            forget(right)
            run.end = right.end
            run.bytes += right.bytes
        }
        guard run.bytes <= maxMessageSize else { throw .messageTooLarge(stream: fragment.stream, size: run.bytes) }
        if let first = unordered[run.start], first.beginning, let last = unordered[run.end], last.ending {
            var fragments: [UInt32: Fragment] = [:]
            var position = run.start
            while true {
                fragments[position] = unordered.removeValue(forKey: position)
                if position == run.end { break }
                position &+= 1
            }
            bufferedBytes -= run.bytes
            out.append(Self.assemble(fragments, from: run.start, to: run.end, bytes: run.bytes))
            return
        }
        unorderedRuns[run.start] = run
        unorderedRuns[run.end] = run
    }

    private mutating func forget(_ run: UnorderedRun) {
        unorderedRuns[run.start] = nil
        unorderedRuns[run.end] = nil
    }

    private static func assemble(_ fragments: [UInt32: Fragment], from begin: UInt32, to end: UInt32, bytes: Int) -> Message {
        var payload: [UInt8] = []
        payload.reserveCapacity(bytes)
        var tsn = begin
        var first: Fragment?
        while true {
            if let fragment = fragments[tsn] {
                if first == nil { first = fragment }
                payload.append(contentsOf: fragment.payload)
            }
            if tsn == end { break }
            tsn &+= 1
        }
        return Message(stream: first?.stream ?? 0, ppid: first?.ppid ?? 0, payload: payload)
    }

    /// Applies a FORWARD TSN (RFC 3758 §3.6): drops fragments at or below the new cumulative TSN and
    /// moves each listed ordered stream past the skipped SSN, delivering what then becomes deliverable.
    mutating func forward(to newCumulative: UInt32, skipped: [SCTPForwardTSNChunk.Skipped], delivering out: inout [Message]) {
        for (tsn, fragment) in unordered where tsnLessOrEqual(tsn, newCumulative) {
            unordered[tsn] = nil
            bufferedBytes -= fragment.payload.count
        }
        // A run is one message's fragments, all abandoned together: drop the rest of any run cut above.
        for run in Set(unorderedRuns.values.map { [$0.start, $0.end] }) where tsnLessOrEqual(run[0], newCumulative) {
            var position = run[0]
            while true {
                if let fragment = unordered.removeValue(forKey: position) { bufferedBytes -= fragment.payload.count }
                unorderedRuns[position] = nil
                if position == run[1] { break }
                position &+= 1
            }
        }
        for entry in skipped {
            let stream = inbound(entry.streamID)
            guard !ssnLessOrEqual(entry.ssn &+ 1, stream.expectedSSN) else { continue }
            for (ssn, partial) in stream.partial where ssnLessOrEqual(ssn, entry.ssn) {
                stream.partial[ssn] = nil
                bufferedBytes -= partial.bytes
            }
            for (ssn, message) in stream.complete where ssnLessOrEqual(ssn, entry.ssn) {
                stream.complete[ssn] = nil
                bufferedBytes -= message.payload.count
            }
            stream.expectedSSN = entry.ssn &+ 1
            deliverHeld(stream, delivering: &out)
        }
    }

    /// Resets the SSNs of incoming streams to 0 (RFC 6525 §5.2.2); an empty list means all streams.
    mutating func resetStreams(_ ids: [UInt16]) {
        let targets = ids.isEmpty ? Array(streams.keys) : ids
        for id in targets {
            guard let stream = streams.removeValue(forKey: id) else { continue }
            bufferedBytes -= stream.partial.values.reduce(0) { $0 + $1.bytes }
            bufferedBytes -= stream.complete.values.reduce(0) { $0 + $1.payload.count }
        }
    }
}
