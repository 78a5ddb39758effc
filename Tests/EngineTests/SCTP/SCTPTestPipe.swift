import TandemBase
@testable import SCTP

/// Two associations joined by an in-memory path on virtual time: each packet is delayed, may be lost,
/// duplicated, or overtaken (random extra delay), all drawn from a seeded generator. With a bandwidth,
/// each direction is a bottleneck link with an unbounded queue in front of it.
final class SCTPTestPipe {
    struct Impairments {
        var delay: Duration = .milliseconds(5)
        var jitter: Duration = .zero
        var loss = 0.0
        var duplication = 0.0
        /// Bytes per second each direction carries; nil for no limit.
        var bandwidth: Double?
    }

    private struct InFlight {
        var deliverAt: Instant
        var order: UInt64
        var toB: Bool
        var bytes: [UInt8]
    }

    let a: SCTPAssociation
    let b: SCTPAssociation
    var now = Instant.zero
    var impairments: Impairments
    /// Drop everything in this direction (a peer gone silent).
    var blockAToB = false
    var blockBToA = false
    private(set) var eventsA: [SCTPEvent] = []
    private(set) var eventsB: [SCTPEvent] = []
    private(set) var packetsDelivered = 0
    private var messagesA = 0
    private var messagesB = 0
    /// Packets larger than the configured MTU (there must be none).
    private(set) var oversizedPackets = 0
    let mtu: Int
    private var random: SeededGenerator
    private var inFlight: [InFlight] = []
    private var order: UInt64 = 0
    /// When each direction's link (A to B, B to A) has sent what is queued for it.
    private var linkFreeAt: [Bool: Instant] = [:]

    /// A pipe between two given associations (their configurations must agree on the MTU).
    init(a: SCTPAssociation, b: SCTPAssociation, impairments: Impairments, seed: UInt64) {
        self.a = a
        self.b = b
        self.impairments = impairments
        mtu = a.configuration.mtu
        random = SeededGenerator(seed: seed)
    }

    init(impairments: Impairments = .init(), seed: UInt64 = 1, configure: (inout SCTPConfiguration) -> Void = { _ in }) {
        var configuration = SCTPConfiguration()
        configure(&configuration)
        self.impairments = impairments
        mtu = configuration.mtu
        random = SeededGenerator(seed: seed)
        a = SCTPAssociation(configuration: configuration, random: SeededGenerator(seed: seed &* 31 &+ 1))
        b = SCTPAssociation(configuration: configuration, random: SeededGenerator(seed: seed &* 31 &+ 2))
    }

    /// Connects (A actively, B too if `simultaneous`) and runs until both are established.
    func connect(simultaneous: Bool = false) {
        a.connect(at: now)
        if simultaneous { b.connect(at: now) }
        run(until: { self.a.state == .established && self.b.state == .established }, limit: .seconds(60))
    }

    /// Moves packets and fires timers until `condition` holds or `limit` of virtual time has passed.
    @discardableResult
    func run(until condition: () -> Bool, limit: Duration) -> Bool {
        let end = now + limit
        while true {
            pump()
            if condition() { return true }
            var next = a.pollTimeout().earliest(b.pollTimeout())
            if let first = inFlight.first { next = next.earliest(first.deliverAt) }
            guard let at = next, at <= end else {
                now = end
                return condition()
            }
            now = max(now, at)
            while let first = inFlight.first, first.deliverAt <= now {
                inFlight.removeFirst()
                packetsDelivered += 1
                (first.toB ? b : a).handlePacket(first.bytes, at: now)
                pump()
            }
            if let deadline = a.pollTimeout(), deadline <= now { a.handleTimeout(at: now) }
            if let deadline = b.pollTimeout(), deadline <= now { b.handleTimeout(at: now) }
        }
    }

    /// Runs for `duration` of virtual time.
    func advance(_ duration: Duration) { run(until: { false }, limit: duration) }

    /// Drains both sides' output onto the path and their events into the logs.
    func pump() {
        var moved = true
        while moved {
            moved = false
            while let packet = a.pollTransmit() {
                if packet.count > mtu { oversizedPackets += 1 }
                enqueue(packet, toB: true)
                moved = true
            }
            while let packet = b.pollTransmit() {
                if packet.count > mtu { oversizedPackets += 1 }
                enqueue(packet, toB: false)
                moved = true
            }
        }
        while let event = a.pollEvent() {
            if case .message = event { messagesA += 1 }
            eventsA.append(event)
        }
        while let event = b.pollEvent() {
            if case .message = event { messagesB += 1 }
            eventsB.append(event)
        }
    }

    private func enqueue(_ packet: [UInt8], toB: Bool) {
        if toB ? blockAToB : blockBToA { return }
        if impairments.loss > 0, Double.random(in: 0..<1, using: &random) < impairments.loss { return }
        let copies = impairments.duplication > 0 && Double.random(in: 0..<1, using: &random) < impairments.duplication ? 2 : 1
        var departure = now
        if let bandwidth = impairments.bandwidth {
            departure = max(now, linkFreeAt[toB] ?? now) + .nanoseconds(Int64(Double(packet.count) / bandwidth * 1e9))
            linkFreeAt[toB] = departure
        }
        for _ in 0..<copies {
            var delay = impairments.delay
            if impairments.jitter > .zero {
                delay += .nanoseconds(Int64.random(in: 0..<impairments.jitter.nanoseconds, using: &random))
            }
            order += 1
            let item = InFlight(deliverAt: departure + delay, order: order, toB: toB, bytes: packet)
            // Keep the queue sorted by delivery time, then by send order.
            var low = 0, high = inFlight.count
            while low < high {
                let mid = (low + high) / 2
                if inFlight[mid].deliverAt <= item.deliverAt { low = mid + 1 } else { high = mid }
            }
            inFlight.insert(item, at: low)
        }
    }

    /// Messages received by one side, per stream, in arrival order.
    func messages(receivedBy side: SCTPAssociation) -> [UInt16: [[UInt8]]] {
        var out: [UInt16: [[UInt8]]] = [:]
        for event in side === a ? eventsA : eventsB {
            if case let .message(stream, _, payload) = event { out[stream, default: []].append(payload) }
        }
        return out
    }

    func messageCount(receivedBy side: SCTPAssociation) -> Int { side === a ? messagesA : messagesB }

    func events(of side: SCTPAssociation) -> [SCTPEvent] { side === a ? eventsA : eventsB }
}

/// Compares message lists without letting a failure print megabytes of payload: the comparison is a
/// Bool, and a mismatch is described by counts and the first differing index.
func sameMessages(_ received: [[UInt8]], _ expected: [[UInt8]]) -> Bool {
    guard received != expected else { return true }
    let index = zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(received.count, expected.count)
    print("messages differ: \(received.count) received, \(expected.count) expected, first difference at \(index)")
    return false
}

func sameMessages(_ received: [UInt16: [[UInt8]]], _ expected: [UInt16: [[UInt8]]]) -> Bool {
    guard received != expected else { return true }
    for stream in Set(received.keys).union(expected.keys).sorted() {
        print("stream \(stream):", terminator: " ")
        _ = sameMessages(received[stream] ?? [], expected[stream] ?? [])
    }
    return false
}
