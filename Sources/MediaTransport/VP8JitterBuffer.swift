import RTP
import TandemBase

/// A complete VP8 frame whose references are intact, as the jitter buffer hands it out.
public struct VP8Frame: Equatable, Sendable {
    /// The VP8 frame (RFC 6386), payload descriptors removed.
    public var data: [UInt8]
    public var rtpTimestamp: UInt32
    public var isKeyframe: Bool
    public var pictureID: UInt16?
    public var firstSequenceNumber: UInt16
    public var lastSequenceNumber: UInt16
    /// Frames before this one were given up (lost or undecodable); the picture froze until now.
    public var followsSkippedFrames: Bool
    /// When the packet that completed the frame arrived.
    public var completedAt: Instant
}

/// Orders VP8 packets, rebuilds frames (RFC 7741 §4.4) and hands them out in order, only when
/// everything they predict from has been handed out before (RFC 7741 §4.5.1, §4.2 PictureID and
/// TL0PICIDX). A frame whose predecessor is missing waits for retransmission up to `maxWait`;
/// then the buffer gives up and asks for a key frame, dropping delta frames until one arrives.
///
/// Sans-IO: `insert(_:at:)` and `handleTimeout(at:)`, then drain `pollEvent()`; `pollTimeout()`
/// says when to call `handleTimeout`.
public struct VP8JitterBuffer: Sendable {
    public enum Event: Equatable, Sendable {
        case frame(VP8Frame)
        /// The decoder cannot continue without a key frame (send PLI or FIR, RFC 4585 §6.3.1).
        case keyframeNeeded
    }

    public struct Configuration: Equatable, Sendable {
        /// How long a complete frame may wait for a missing predecessor (time for NACKs).
        public var maxWait: Duration
        /// Packets held at most; more means the stream is hopelessly broken and starts over.
        public var maxPackets: Int

        public init(maxWait: Duration = .milliseconds(250), maxPackets: Int = 1000) {
            self.maxWait = maxWait
            self.maxPackets = maxPackets
        }
    }

    struct StoredPacket: Sendable {
        var descriptor: VP8PayloadDescriptor
        var payload: ArraySlice<UInt8>
        var marker: Bool
        var timestamp: UInt32
        var arrival: Instant
    }

    struct CandidateFrame {
        var first: Int64
        var last: Int64
        var descriptor: VP8PayloadDescriptor
        var isKeyframe: Bool
        var timestamp: UInt32
    }

    public let configuration: Configuration
    private var packets: [Int64: StoredPacket] = [:]
    /// The keys of `packets`, ascending.
    private var sequences: [Int64] = []
    private var unwrapper = SequenceNumberUnwrapper()
    /// The sequence number that continues the last frame handed out or dropped.
    private var head: Int64?
    private var waitingForKeyframe = true
    private var skippedSinceLastFrame = false
    private var lastPictureID: UInt16?
    private var lastBaseLayerIndex: UInt8?
    /// Since when a complete frame has been waiting for a missing predecessor.
    private var blockedSince: Instant?
    private var events: [Event] = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Number of packets held.
    public var packetCount: Int { packets.count }

    /// Adds a received VP8 packet (original or recovered from RTX). Late and duplicate packets
    /// are ignored; a payload without a valid descriptor throws.
    public mutating func insert(_ packet: RTPPacket, at now: Instant) throws(WireError) {
        let (descriptor, offset) = try VP8PayloadDescriptor.parse(packet.payload)
        let sequence = unwrapper.unwrap(packet.sequenceNumber)
        if let head, sequence < head { return }
        guard packets[sequence] == nil, offset < packet.payload.count else { return }
        if packets.count >= configuration.maxPackets { restart() }
        sequences.insert(sequence, at: insertionIndex(of: sequence))
        packets[sequence] = StoredPacket(descriptor: descriptor, payload: packet.payload[offset...], marker: packet.marker,
                                         timestamp: packet.timestamp, arrival: now)
        process(at: now)
    }

    public mutating func handleTimeout(at now: Instant) {
        process(at: now)
    }

    public mutating func pollEvent() -> Event? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// When a waiting frame's patience runs out.
    public func pollTimeout() -> Instant? {
        blockedSince.map { $0 + configuration.maxWait }
    }

    private mutating func process(at now: Instant) {
        while let frame = firstCompleteFrame() {
            if isDecodable(frame) {
                emit(frame)
                continue
            }
            let hasGapBefore = frame.first != (head ?? sequences.first ?? frame.first)
            if hasGapBefore {
                // What is missing before this frame may still come: a retransmission (RFC 4585
                // §3.2), or at the start a key frame that arrives behind it.
                let since = blockedSince ?? now
                blockedSince = since
                if now < since + configuration.maxWait {
                    // No need to wait if a complete key frame further on restarts the picture.
                    guard let keyframe = firstCompleteKeyframe(after: frame.last) else { return }
                    emit(keyframe)
                    continue
                }
            }
            // The chain is broken: drop this frame and what precedes it, and ask for a key frame.
            // While waiting, every dropped delta frame asks again; the requester rate-limits.
            drop(through: frame.last)
            waitingForKeyframe = true
            skippedSinceLastFrame = true
            events.append(.keyframeNeeded)
        }
    }

    /// Whether everything the frame predicts from has been handed out (RFC 7741 §4.2).
    private func isDecodable(_ frame: CandidateFrame) -> Bool {
        if frame.isKeyframe { return true }
        if waitingForKeyframe { return false }
        if let head, frame.first == head { return true }
        let descriptor = frame.descriptor
        if let layer = descriptor.temporalLayer, let index = descriptor.tl0PictureIndex, let lastBase = lastBaseLayerIndex {
            // A base-layer frame predicts from the previous base-layer frame; a higher-layer
            // frame from its base frame, and with Y = 0 also from the frame just before it.
            if layer.index == 0 { return index == lastBase &+ 1 }
            guard index == lastBase else { return false }
            return layer.layerSync || isNextPicture(descriptor.pictureID)
        }
        return isNextPicture(descriptor.pictureID)
    }

    private func isNextPicture(_ pictureID: VP8PayloadDescriptor.PictureID?) -> Bool {
        guard let pictureID, let lastPictureID else { return false }
        switch pictureID {
        case .sevenBit: return pictureID.value == (lastPictureID &+ 1) & 0x7F
        case .fifteenBit: return pictureID.value == (lastPictureID &+ 1) & 0x7FFF
        }
    }

    private mutating func emit(_ candidate: CandidateFrame) {
        var data: [UInt8] = []
        var completedAt = Instant.zero
        for sequence in candidate.first...candidate.last {
            guard let packet = packets[sequence] else { continue }
            data.append(contentsOf: packet.payload)
            completedAt = max(completedAt, packet.arrival)
        }
        let descriptor = candidate.descriptor
        // A gap before this frame that is not a lost frameless packet means frames were skipped.
        let skipped = skippedSinceLastFrame
            || (head.map { $0 != candidate.first } ?? false) && !isNextPicture(descriptor.pictureID)
        events.append(.frame(VP8Frame(
            data: data, rtpTimestamp: candidate.timestamp, isKeyframe: candidate.isKeyframe,
            pictureID: descriptor.pictureID?.value, firstSequenceNumber: UInt16(truncatingIfNeeded: candidate.first),
            lastSequenceNumber: UInt16(truncatingIfNeeded: candidate.last), followsSkippedFrames: skipped,
            completedAt: completedAt)))
        drop(through: candidate.last)
        if candidate.isKeyframe { waitingForKeyframe = false }
        skippedSinceLastFrame = false
        lastPictureID = descriptor.pictureID?.value
        if descriptor.temporalLayer?.index ?? 0 == 0 { lastBaseLayerIndex = descriptor.tl0PictureIndex }
    }

    /// Forgets every packet up to `last` and moves the head past it.
    private mutating func drop(through last: Int64) {
        let count = insertionIndex(of: last + 1)
        for sequence in sequences.prefix(count) { packets[sequence] = nil }
        sequences.removeFirst(count)
        head = last + 1
        blockedSince = nil
    }

    /// Starts over after overflow: nothing held, waiting for a key frame.
    private mutating func restart() {
        packets.removeAll()
        sequences.removeAll()
        blockedSince = nil
        waitingForKeyframe = true
        skippedSinceLastFrame = true
        events.append(.keyframeNeeded)
    }

    /// Where `sequence` goes in `sequences` (the index of the first element not below it).
    private func insertionIndex(of sequence: Int64) -> Int {
        var low = 0, high = sequences.count
        while low < high {
            let middle = (low + high) / 2
            if sequences[middle] < sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The earliest complete key frame that starts after `sequence`.
    private func firstCompleteKeyframe(after sequence: Int64) -> CandidateFrame? {
        var start = insertionIndex(of: sequence + 1)
        while let frame = firstCompleteFrame(from: start) {
            if frame.isKeyframe { return frame }
            start = insertionIndex(of: frame.last + 1)
        }
        return nil
    }

    /// The earliest frame, from position `start` of `sequences` on, whose packets are all
    /// present: a start packet (S = 1, PID = 0), then consecutive sequence numbers with its
    /// timestamp up to the marker bit (RFC 7741 §4.4).
    private func firstCompleteFrame(from start: Int = 0) -> CandidateFrame? {
        var index = start
        while index < sequences.count {
            let first = sequences[index]
            guard let start = packets[first], start.descriptor.startsFrame else { index += 1; continue }
            var last = first
            var complete = start.marker
            var cursor = index
            while !complete, cursor + 1 < sequences.count, sequences[cursor + 1] == last + 1,
                  let next = packets[last + 1], next.timestamp == start.timestamp, !next.descriptor.startsFrame {
                cursor += 1
                last += 1
                complete = next.marker
            }
            if complete {
                // RFC 6386 §9.1: the P bit (bit 0 of the first byte of the frame) is 0 for a key frame.
                let isKeyframe = start.payload.first.map { $0 & 0x01 == 0 } ?? false
                return CandidateFrame(first: first, last: last, descriptor: start.descriptor, isKeyframe: isKeyframe,
                                      timestamp: start.timestamp)
            }
            index = cursor + 1
        }
        return nil
    }
}
