import TandemBase

/// Spreads packets over time at a target rate (a leaky bucket on virtual time), so that a
/// 200 KB key frame leaves as a steady stream instead of one burst that overflows queues.
/// Higher-priority packets (audio, then retransmissions) go before queued video; `burst` lets a
/// little data out at once after an idle period.
///
/// Sans-IO: `enqueue(_:size:priority:)`, then `poll(at:)` until nil, and come back at `pollTimeout()`.
public struct Pacer<Packet: Sendable>: Sendable {
    public enum Priority: Int, Comparable, Sendable, CaseIterable {
        case audio = 0
        case retransmission = 1
        case video = 2
        case padding = 3

        public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
    }

    struct Queued: Sendable {
        var packet: Packet
        var size: Int
        var enqueuedAt: Instant
    }

    /// Bits per second.
    public private(set) var rate: Int
    public let burst: Duration
    private var queues: [[Queued]] = Array(repeating: [], count: Priority.allCases.count)
    private var heads: [Int] = Array(repeating: 0, count: Priority.allCases.count)
    /// The time at which everything sent so far has drained from the bucket.
    private var drainedAt: Instant?
    public private(set) var queuedBytes = 0

    public init(rate bitsPerSecond: Int, burst: Duration = .milliseconds(5)) {
        rate = max(1, bitsPerSecond)
        self.burst = burst
    }

    public mutating func setRate(_ bitsPerSecond: Int) {
        rate = max(1, bitsPerSecond)
    }

    public var queuedPackets: Int { zip(queues, heads).reduce(0) { $0 + $1.0.count - $1.1 } }

    public mutating func enqueue(_ packet: Packet, size: Int, priority: Priority = .video, at now: Instant) {
        queues[priority.rawValue].append(Queued(packet: packet, size: size, enqueuedAt: now))
        queuedBytes += size
    }

    /// Drops every queued packet of one priority (say, retransmissions a key frame made useless);
    /// returns them.
    @discardableResult
    public mutating func removeAll(priority: Priority) -> [Packet] {
        let level = priority.rawValue
        let removed = queues[level][heads[level]...]
        queuedBytes -= removed.reduce(0) { $0 + $1.size }
        queues[level].removeAll(keepingCapacity: true)
        heads[level] = 0
        return removed.map(\.packet)
    }

    /// How long the oldest queued packet has waited.
    public func queueDelay(at now: Instant) -> Duration {
        var oldest: Instant?
        for (queue, head) in zip(queues, heads) where head < queue.count {
            oldest = oldest.map { min($0, queue[head].enqueuedAt) } ?? queue[head].enqueuedAt
        }
        return oldest.map { now - $0 } ?? .zero
    }

    /// The next packet to send now, highest priority first, if the bucket has room.
    public mutating func poll(at now: Instant) -> Packet? {
        guard let level = queues.indices.first(where: { heads[$0] < queues[$0].count }) else { return nil }
        if let drainedAt, drainedAt > now { return nil }
        let item = queues[level][heads[level]]
        heads[level] += 1
        if heads[level] == queues[level].count {
            queues[level].removeAll(keepingCapacity: true)
            heads[level] = 0
        }
        queuedBytes -= item.size
        // The bucket may be at most `burst` behind now: idle time does not save up credit.
        let start = max(drainedAt ?? now - burst, now - burst)
        drainedAt = start + transmissionTime(item.size)
        return item.packet
    }

    /// When the next queued packet may go (nil with an empty queue).
    public func pollTimeout() -> Instant? {
        guard queuedPackets > 0 else { return nil }
        return drainedAt ?? .zero
    }

    private func transmissionTime(_ bytes: Int) -> Duration {
        .nanoseconds(Int64(bytes) * 8 * 1_000_000_000 / Int64(rate))
    }
}
