/// Receive-side reassembly of I-DATA fragments (RFC 8260 §2.1): fragments of different messages may
/// interleave, so they are grouped by (stream, ordered or not, Message Identifier) and put in order by
/// Fragment Sequence Number. Ordered messages are delivered per stream in MID order; unordered ones
/// when complete. Bytes held count against the receive window, as in `SCTPReassembly`.
struct SCTPInterleavedReassembly {
    typealias Message = SCTPReassembly.Message
    typealias Failure = SCTPReassembly.Failure

    private struct Key: Hashable {
        var stream: UInt16
        var unordered: Bool
        var messageID: UInt32
    }

    /// A message being reassembled. Fragments usually arrive in FSN order: each one is appended to
    /// `payload` at once, so its packet is released and the message is copied only once. One that
    /// arrives early waits in `ahead` until the fragments before it are in.
    private struct PartialMessage {
        /// Fragments 0..<nextFragment, joined.
        var payload: [UInt8] = []
        var nextFragment: UInt32 = 0
        var ahead: [UInt32: ArraySlice<UInt8>] = [:]
        var ppid: UInt32 = 0
        var lastFragment: UInt32?
        var bytes = 0

        var isComplete: Bool { lastFragment.map { nextFragment == $0 &+ 1 } ?? false }

        /// Adds one fragment; nil if it was already there, else the message's bytes so far and whether
        /// it is now complete.
        mutating func add(_ chunk: SCTPDataChunk) -> (bytes: Int, isComplete: Bool)? {
            let sequence = chunk.fragmentSequence
            guard sequence >= nextFragment, ahead[sequence] == nil else { return nil }
            if sequence == nextFragment {
                payload.append(contentsOf: chunk.payload)
                nextFragment &+= 1
                while let next = ahead.removeValue(forKey: nextFragment) {
                    payload.append(contentsOf: next)
                    nextFragment &+= 1
                }
            } else {
                ahead[sequence] = chunk.payload
            }
            bytes += chunk.payload.count
            if chunk.beginning { ppid = chunk.ppid }
            if chunk.ending { lastFragment = sequence }
            return (bytes, isComplete)
        }
    }

    let maxMessageSize: Int
    private(set) var bufferedBytes = 0
    private var partial: [Key: PartialMessage] = [:]
    /// Next MID to deliver per stream, and complete ordered messages waiting for earlier ones.
    private var expectedMID: [UInt16: UInt32] = [:]
    private var held: [Key: Message] = [:]

    init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    mutating func add(_ chunk: SCTPDataChunk, delivering out: inout [Message]) throws(Failure) {
        let key = Key(stream: chunk.streamID, unordered: chunk.unordered, messageID: chunk.messageID)
        if !chunk.unordered && midLess(chunk.messageID, expectedMID[chunk.streamID, default: 0]) { return }
        if chunk.beginning && chunk.ending {
            guard chunk.payload.count <= maxMessageSize else {
                throw .messageTooLarge(stream: chunk.streamID, size: chunk.payload.count)
            }
            complete(Message(stream: chunk.streamID, ppid: chunk.ppid, payload: Array(chunk.payload)), key: key, delivering: &out)
            return
        }
        // Mutated in place in the dictionary: a copy out and back would copy the message each time.
        guard let (bytes, isComplete) = partial[key, default: PartialMessage()].add(chunk) else { return }
        bufferedBytes += chunk.payload.count
        guard bytes <= maxMessageSize else { throw .messageTooLarge(stream: chunk.streamID, size: bytes) }
        guard isComplete, let message = partial.removeValue(forKey: key) else { return }
        bufferedBytes -= message.bytes
        complete(Message(stream: chunk.streamID, ppid: message.ppid, payload: message.payload), key: key, delivering: &out)
    }

    private mutating func complete(_ message: Message, key: Key, delivering out: inout [Message]) {
        guard !key.unordered else {
            out.append(message)
            return
        }
        let expected = expectedMID[key.stream, default: 0]
        if key.messageID == expected {
            out.append(message)
            expectedMID[key.stream] = expected &+ 1
            deliverHeld(stream: key.stream, delivering: &out)
        } else if midLess(expected, key.messageID) {
            held[key] = message
            bufferedBytes += message.payload.count
        }
    }

    private mutating func deliverHeld(stream: UInt16, delivering out: inout [Message]) {
        var expected = expectedMID[stream, default: 0]
        while let next = held.removeValue(forKey: Key(stream: stream, unordered: false, messageID: expected)) {
            bufferedBytes -= next.payload.count
            out.append(next)
            expected &+= 1
        }
        expectedMID[stream] = expected
    }

    /// Applies an I-FORWARD TSN (RFC 8260 §2.3): each entry abandons messages up to its MID.
    mutating func forward(skipped: [SCTPForwardTSNChunk.Skipped], delivering out: inout [Message]) {
        for entry in skipped {
            if entry.unordered {
                drop(Key(stream: entry.streamID, unordered: true, messageID: entry.messageID))
                continue
            }
            let expected = expectedMID[entry.streamID, default: 0]
            guard !midLess(entry.messageID, expected) else { continue }
            // Visit what is held (bounded by the receive window), never the MID range itself.
            let skippedKeys = Set(partial.keys).union(held.keys).filter {
                $0.stream == entry.streamID && !$0.unordered && !midLess(entry.messageID, $0.messageID)
            }
            for key in skippedKeys { drop(key) }
            expectedMID[entry.streamID] = entry.messageID &+ 1
            deliverHeld(stream: entry.streamID, delivering: &out)
        }
    }

    private mutating func drop(_ key: Key) {
        if let message = partial.removeValue(forKey: key) { bufferedBytes -= message.bytes }
        if let message = held.removeValue(forKey: key) { bufferedBytes -= message.payload.count }
    }

    /// Resets the MIDs of incoming streams (RFC 6525 §5.2.2 with RFC 8260 §2.3); empty means all.
    mutating func resetStreams(_ ids: [UInt16]) {
        let targets = Set(ids.isEmpty ? Array(expectedMID.keys) : ids)
        for id in targets { expectedMID[id] = nil }
        for (key, message) in partial where targets.contains(key.stream) {
            partial[key] = nil
            bufferedBytes -= message.bytes
        }
        for (key, message) in held where targets.contains(key.stream) {
            held[key] = nil
            bufferedBytes -= message.payload.count
        }
    }
}

/// Serial number comparison on 32-bit MIDs (RFC 8260 §2.1 with RFC 1982).
@inline(__always) func midLess(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
