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

    private struct PartialMessage {
        var fragments: [UInt32: ArraySlice<UInt8>] = [:]
        var ppid: UInt32 = 0
        var lastFragment: UInt32?
        var hasFirst = false
        var bytes = 0

        var isComplete: Bool {
            guard hasFirst, let last = lastFragment else { return false }
            return Int(last) + 1 == fragments.count
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
        var message = partial[key, default: PartialMessage()]
        guard message.fragments[chunk.fragmentSequence] == nil else { return }
        message.fragments[chunk.fragmentSequence] = chunk.payload
        message.bytes += chunk.payload.count
        bufferedBytes += chunk.payload.count
        if chunk.beginning {
            message.hasFirst = true
            message.ppid = chunk.ppid
        }
        if chunk.ending { message.lastFragment = chunk.fragmentSequence }
        guard message.bytes <= maxMessageSize else { throw .messageTooLarge(stream: chunk.streamID, size: message.bytes) }
        guard message.isComplete, let last = message.lastFragment else {
            partial[key] = message
            return
        }
        partial[key] = nil
        bufferedBytes -= message.bytes
        var payload: [UInt8] = []
        payload.reserveCapacity(message.bytes)
        for sequence in 0...last {
            if let bytes = message.fragments[sequence] { payload.append(contentsOf: bytes) }
        }
        complete(Message(stream: chunk.streamID, ppid: message.ppid, payload: payload), key: key, delivering: &out)
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
