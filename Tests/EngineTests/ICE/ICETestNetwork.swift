import Testing
import TandemBase
import STUN
@testable import ICE

/// A tiny in-memory network on virtual time: delivers each agent's transmits to the agent owning
/// the destination address after `delay`, with optional random loss, a one-to-one NAT and fake
/// STUN servers. Candidates can be signalled automatically between the two agents.
final class TestNetwork {
    final class Node {
        let name: String
        let agent: ICEAgent
        var events: [(at: Instant, event: ICEEvent)] = []
        /// Whether this node's local candidates and end-of-candidates reach the other node.
        var signalsCandidates = true
        var lastSuccessResponseAt: Instant?

        init(name: String, agent: ICEAgent) {
            self.name = name
            self.agent = agent
        }

        var states: [ICEConnectionState] {
            events.compactMap { if case let .stateChanged(state) = $0.event { state } else { nil } }
        }

        func firstTime(of state: ICEConnectionState, after start: Instant = .zero) -> Instant? {
            events.first { $0.at >= start && $0.event == .stateChanged(state) }?.at
        }

        var localCandidates: [ICECandidate] {
            events.compactMap { if case let .localCandidate(candidate) = $0.event { candidate } else { nil } }
        }
    }

    var now: Instant = .zero
    var delay: Duration = .milliseconds(10)
    var lossRate = 0.0
    var random = SeededGenerator(seed: 7)
    /// When false every datagram is lost (consent-loss tests).
    var delivers = true
    /// Datagrams for which this returns true are lost.
    var drops: (ICETransmit) -> Bool = { _ in false }
    /// Private address → public address, endpoint-independent one-to-one NAT.
    var nat: [TransportAddress: TransportAddress] = [:]
    var stunServers: Set<TransportAddress> = []
    /// Every datagram handed to the network (after NAT), with its send time.
    var sent: [(at: Instant, packet: ICETransmit)] = []
    /// How many datagrams random loss took.
    var randomlyLost = 0

    private(set) var nodes: [Node] = []
    private var owners: [TransportAddress: Node] = [:]
    private var queue: [(at: Instant, sequence: Int, packet: ICETransmit)] = []
    private var sequence = 0

    @discardableResult
    func add(_ name: String, _ agent: ICEAgent, sockets: [TransportAddress]) -> Node {
        let node = Node(name: name, agent: agent)
        nodes.append(node)
        for socket in sockets {
            owners[socket] = node
            agent.addLocalSocket(socket, at: now)
        }
        return node
    }

    /// Moves transmits into the network and events into the nodes' logs, signalling candidates.
    func collect() {
        var again = true
        while again {
            again = false
            for node in nodes {
                while let transmit = node.agent.pollTransmit() { enqueue(transmit) }
                while let event = node.agent.pollEvent() {
                    again = true
                    node.events.append((now, event))
                    guard node.signalsCandidates else { continue }
                    for other in nodes where other !== node {
                        switch event {
                        case let .localCandidate(candidate): other.agent.addRemoteCandidate(candidate)
                        case .gatheringComplete: other.agent.remoteCandidatesComplete(at: now)
                        default: break
                        }
                    }
                }
            }
        }
    }

    func enqueue(_ transmit: ICETransmit) {
        var packet = transmit
        if let mapped = nat[packet.from] { packet.from = mapped }
        sent.append((now, packet))
        guard delivers, !drops(packet) else { return }
        if lossRate > 0, Double(random.next() % 1_000_000) / 1_000_000 < lossRate {
            randomlyLost += 1
            return
        }
        queue.append((now + delay, sequence, packet))
        sequence += 1
    }

    /// Runs the network until `end` (virtual time).
    func run(for duration: Duration) {
        run(until: now + duration) { false }
    }

    /// Runs until `condition` holds or `end` passes; returns whether the condition held.
    @discardableResult
    func run(until end: Instant, _ condition: () -> Bool) -> Bool {
        var spinsAtSameInstant = 0
        while true {
            collect()
            if condition() { return true }
            let nextPacket = queue.min { ($0.at, $0.sequence) < ($1.at, $1.sequence) }?.at
            let nextTimer = nodes.compactMap { $0.agent.pollTimeout() }.min()
            guard let next = [nextPacket, nextTimer].compactMap({ $0 }).min(), next <= end else {
                now = max(now, end)
                return false
            }
            if next <= now {
                spinsAtSameInstant += 1
                if spinsAtSameInstant > 10_000 {
                    Issue.record("agents keep asking for a timeout at \(now) without progress")
                    return false
                }
            } else {
                spinsAtSameInstant = 0
            }
            now = max(now, next)
            let due = queue.filter { $0.at <= now }.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }
            queue.removeAll { $0.at <= now }
            for entry in due { deliver(entry.packet) }
            for node in nodes {
                if let timeout = node.agent.pollTimeout(), timeout <= now { node.agent.handleTimeout(at: now) }
            }
        }
    }

    func run(for duration: Duration, until condition: () -> Bool) -> Bool {
        run(until: now + duration, condition)
    }

    private func deliver(_ packet: ICETransmit) {
        if stunServers.contains(packet.to) {
            answerAsStunServer(packet)
            return
        }
        var destination = packet.to
        if let inside = nat.first(where: { $0.value == destination })?.key {
            destination = inside
        } else if nat[destination] != nil {
            return  // a private address is not reachable from outside its NAT
        }
        guard let node = owners[destination] else { return }
        if let message = try? STUNMessage.decode(packet.bytes), message.messageClass == .successResponse {
            node.lastSuccessResponseAt = now
        }
        _ = node.agent.handleDatagram(packet.bytes, from: packet.from, to: destination, at: now)
    }

    /// A minimal STUN server (RFC 8489 §12): Binding success with the source as XOR-MAPPED-ADDRESS.
    private func answerAsStunServer(_ packet: ICETransmit) {
        guard let request = try? STUNMessage.decode(packet.bytes), request.messageClass == .request else { return }
        let response = STUNMessage(method: .binding, messageClass: .successResponse, transactionID: request.transactionID,
                                   attributes: [.xorMappedAddress(packet.from)])
        enqueue(ICETransmit(bytes: response.encode(fingerprint: true), from: packet.to, to: packet.from))
    }
}

enum ICETestSetup {
    static let addressA = TransportAddress("127.0.0.1:5000")!
    static let addressB = TransportAddress("127.0.0.1:6000")!

    static func agent(_ role: ICERole, seed: UInt64, tieBreaker: UInt64? = nil,
                      configuration: ICEConfiguration = ICEConfiguration()) -> ICEAgent {
        var random = SeededGenerator(seed: seed)
        let credentials = ICECredentials.random(using: &random)
        return ICEAgent(role: role, localCredentials: credentials, configuration: configuration,
                        tieBreaker: tieBreaker, random: random)
    }

    static func exchangeCredentials(_ a: ICEAgent, _ b: ICEAgent) {
        a.setRemoteCredentials(ufrag: b.localCredentials.ufrag, pwd: b.localCredentials.pwd)
        b.setRemoteCredentials(ufrag: a.localCredentials.ufrag, pwd: a.localCredentials.pwd)
    }

    /// Two agents on one socket each, credentials exchanged, candidates signalled automatically.
    static func connectedPair(network: TestNetwork, roleA: ICERole = .controlling, roleB: ICERole = .controlled,
                              tieBreakerA: UInt64? = nil, tieBreakerB: UInt64? = nil)
        -> (a: TestNetwork.Node, b: TestNetwork.Node) {
        let a = agent(roleA, seed: 1, tieBreaker: tieBreakerA)
        let b = agent(roleB, seed: 2, tieBreaker: tieBreakerB)
        exchangeCredentials(a, b)
        let nodeA = network.add("A", a, sockets: [addressA])
        let nodeB = network.add("B", b, sockets: [addressB])
        return (nodeA, nodeB)
    }

    static func bothCompleted(_ a: TestNetwork.Node, _ b: TestNetwork.Node) -> Bool {
        a.agent.connectionState == .completed && b.agent.connectionState == .completed
    }
}
