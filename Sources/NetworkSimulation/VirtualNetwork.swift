import TandemBase

/// How the simulated path treats each datagram.
public struct LinkImpairments: Sendable {
    /// One-way delay added to every datagram.
    public var delay: Duration
    /// Extra random delay in [0, jitter): datagrams overtake each other (reordering) when it exceeds their spacing.
    public var jitter: Duration
    /// Probability in [0, 1] that a datagram is lost.
    public var loss: Double
    /// Probability in [0, 1] that a datagram is delivered twice.
    public var duplication: Double
    /// Datagrams larger than this are dropped, as a path with this MTU would (IP fragmentation is not modelled).
    public var mtu: Int
    /// A bottleneck: each sender's datagrams leave one after another at this many bits per second,
    /// queueing behind each other (nil: no limit).
    public var bitsPerSecond: Int?
    /// The bottleneck queue drops a datagram that would wait longer than this (drop-tail).
    public var maximumQueueingDelay: Duration

    public init(delay: Duration = .milliseconds(1), jitter: Duration = .zero, loss: Double = 0, duplication: Double = 0, mtu: Int = 1500,
                bitsPerSecond: Int? = nil, maximumQueueingDelay: Duration = .milliseconds(500)) {
        self.delay = delay
        self.jitter = jitter
        self.loss = loss
        self.duplication = duplication
        self.mtu = mtu
        self.bitsPerSecond = bitsPerSecond
        self.maximumQueueingDelay = maximumQueueingDelay
    }

    public static let perfect = LinkImpairments()
}

/// A datagram in flight on the virtual network.
public struct VirtualDatagram: Sendable {
    public var bytes: [UInt8]
    public var from: TransportAddress
    public var to: TransportAddress
    public var deliverAt: Instant
    fileprivate var order: UInt64
}

/// Counters for what the network did, so tests can check the impairments really happened.
public struct VirtualNetworkCounters: Sendable, Equatable {
    public var sent = 0
    public var delivered = 0
    public var lost = 0
    public var duplicated = 0
    public var oversized = 0
    public var blocked = 0
    public var unroutable = 0
    /// Dropped because the bottleneck queue was full.
    public var queueOverflows = 0
    /// The longest wait in a bottleneck queue since the counters were last reset.
    public var worstQueueingDelay = Duration.zero
}

/// An in-memory network between sans-IO endpoints, on virtual time and a seeded generator,
/// so a lossy, reordering path gives the same run every time (design notes §6.2).
public struct VirtualNetwork {
    public var impairments: LinkImpairments
    /// Addresses whose traffic is dropped in both directions (a cable pulled out).
    public var blockedAddresses: Set<TransportAddress> = []
    /// Only datagrams to these addresses are delivered; nil delivers to any address.
    public var routableAddresses: Set<TransportAddress>?
    public private(set) var counters = VirtualNetworkCounters()

    private var random: SeededGenerator
    private var inFlight: [VirtualDatagram] = []
    private var sequence: UInt64 = 0
    /// When each sender's bottleneck link finishes sending what it holds.
    private var linkFreeAt: [TransportAddress: Instant] = [:]

    public init(impairments: LinkImpairments = .perfect, seed: UInt64 = 1) {
        self.impairments = impairments
        self.random = SeededGenerator(seed: seed)
    }

    /// Puts a datagram on the wire at time `now`.
    public mutating func send(_ bytes: [UInt8], from: TransportAddress, to: TransportAddress, at now: Instant) {
        counters.sent += 1
        if blockedAddresses.contains(from) || blockedAddresses.contains(to) { counters.blocked += 1; return }
        if let routable = routableAddresses, !routable.contains(to) { counters.unroutable += 1; return }
        if bytes.count > impairments.mtu { counters.oversized += 1; return }
        var departure = now
        if let rate = impairments.bitsPerSecond, rate > 0 {
            let start = max(now, linkFreeAt[from] ?? now)
            if start - now > impairments.maximumQueueingDelay { counters.queueOverflows += 1; return }
            counters.worstQueueingDelay = max(counters.worstQueueingDelay, start - now)
            departure = start + .nanoseconds(Int64(bytes.count) * 8 * 1_000_000_000 / Int64(rate))
            linkFreeAt[from] = departure
        }
        if Double.random(in: 0..<1, using: &random) < impairments.loss { counters.lost += 1; return }
        let copies = Double.random(in: 0..<1, using: &random) < impairments.duplication ? 2 : 1
        if copies == 2 { counters.duplicated += 1 }
        for _ in 0..<copies {
            var delay = impairments.delay
            if impairments.jitter > .zero {
                delay += .nanoseconds(Int64.random(in: 0..<impairments.jitter.nanoseconds, using: &random))
            }
            sequence += 1
            inFlight.append(VirtualDatagram(bytes: bytes, from: from, to: to, deliverAt: departure + delay, order: sequence))
        }
    }

    /// When the next datagram arrives, if any is in flight.
    public var nextDelivery: Instant? { inFlight.lazy.map(\.deliverAt).min() }

    /// Removes and returns the datagrams due at or before `now`, earliest first.
    public mutating func deliver(upTo now: Instant) -> [VirtualDatagram] {
        var due: [VirtualDatagram] = []
        var remaining: [VirtualDatagram] = []
        for datagram in inFlight {
            if datagram.deliverAt <= now { due.append(datagram) } else { remaining.append(datagram) }
        }
        inFlight = remaining
        due.sort { ($0.deliverAt, $0.order) < ($1.deliverAt, $1.order) }
        counters.delivered += due.count
        return due
    }

    /// Starts the counters afresh (e.g. to measure queueing only once an estimate has settled).
    public mutating func resetCounters() { counters = VirtualNetworkCounters() }

    /// Drops everything in flight (used when simulating a path change).
    public mutating func flush() { inFlight.removeAll() }
}
