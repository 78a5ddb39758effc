import DTLS
import ICE
import PeerConnection
import SDP
import TandemBase

/// The same offer → connected exchange between two sans-IO `Peer`s, on a zero-latency in-memory network
/// and a virtual clock that only moves when both peers wait for a timer.
///
/// It splits the runtime's figure in two: virtual time is what the protocols make the peers wait (ICE
/// pacing, retransmissions, nomination); the measured CPU time is what the engine computes (SDP, STUN
/// integrity, DTLS handshake crypto). What the runtime adds beyond both is sockets and event-loop hops.
enum VirtualConnect {
    enum Side: Int { case offerer = 0, answerer = 1 }

    enum Work: String, CaseIterable {
        case signaling = "SDP: create/set descriptions"
        case stun = "STUN datagrams in"
        case dtls = "DTLS datagrams in"
        case timers = "timers (checks, retransmits)"
    }

    /// One connection's milestones (virtual ms since createOffer) and CPU time per kind of work (ms).
    struct Sample {
        var firstCheckSent = [Double](repeating: .nan, count: 2)
        var iceConnected = [Double](repeating: .nan, count: 2)
        var firstDTLSSent = [Double](repeating: .nan, count: 2)
        var connected = [Double](repeating: .nan, count: 2)
        var cpu: [Work: Double] = [:]
        var datagrams: [String: Int] = [:]
        var timeline: [String] = []
        /// Each step's label and CPU ms, in order, to take medians across connections.
        var steps: [(label: String, cpu: Double)] = []
        var virtualTotal: Double { connected.max() ?? .nan }
        var cpuTotal: Double { cpu.values.reduce(0, +) }
    }

    struct Report {
        var samples: [Sample]

        func printReport() {
            print("")
            print("where the time goes: the same exchange between two sans-IO Peers, zero-latency virtual network")
            print("(virtual ms = waits imposed by the protocols; CPU ms = engine work measured with the wall clock)")
            let medians: [(String, (Sample) -> Double)] = [
                ("offerer first STUN check sent", { $0.firstCheckSent[0] }),
                ("answerer first STUN check sent", { $0.firstCheckSent[1] }),
                ("answerer ICE connected", { $0.iceConnected[1] }),
                ("offerer ICE connected", { $0.iceConnected[0] }),
                ("first DTLS datagram sent", { $0.firstDTLSSent.min() ?? .nan }),
                ("answerer connected", { $0.connected[1] }),
                ("offerer connected", { $0.connected[0] }),
            ]
            print("  virtual time since createOffer (median ms):")
            for (name, value) in medians {
                print("    \(name.padding(toLength: 32, withPad: " ", startingAt: 0)) \(pad(format(Summary(samples.map(value)).median), 7))")
            }
            print("  CPU time per connection, both peers together (median ms):")
            for work in Work.allCases {
                let values = samples.map { $0.cpu[work] ?? 0 }
                print("    \(work.rawValue.padding(toLength: 32, withPad: " ", startingAt: 0)) \(pad(format(Summary(values).median), 7))")
            }
            print("    \("total".padding(toLength: 32, withPad: " ", startingAt: 0)) \(pad(format(Summary(samples.map(\.cpuTotal)).median), 7))")
            if let first = samples.first {
                let alike = samples.filter { $0.steps.map(\.label) == first.steps.map(\.label) }
                print("  CPU of each step, median over the \(alike.count) of \(samples.count) connections whose steps came in this order (virtual ms, step, CPU ms):")
                for (position, step) in first.steps.enumerated() {
                    let median = Summary(alike.map { $0.steps[position].cpu }).median
                    print("    \(step.label.padding(toLength: 48, withPad: " ", startingAt: 0)) \(pad(format(median, decimals: 3), 7))")
                }
                let counts = first.datagrams.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("  datagrams in one connection: \(counts)")
                print("  timeline of one connection (virtual ms, CPU ms of the step):")
                for line in first.timeline { print("    \(line)") }
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func measure(iterations: Int, warmup: Int) throws -> Report {
        var samples: [Sample] = []
        for index in 0..<(warmup + iterations) {
            let sample = try connectOnce()
            if index >= warmup { samples.append(sample) }
        }
        return Report(samples: samples)
    }

    private static func connectOnce() throws -> Sample {
        let addresses = [TransportAddress(ip: .loopbackV4, port: 40_001), TransportAddress(ip: .loopbackV4, port: 40_002)]
        let peers = [try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SystemRandomNumberGenerator()),
                     try Peer(configuration: PeerConfiguration(), certificate: DTLSCertificate(), random: SystemRandomNumberGenerator())]
        _ = try peers[0].addTransceiver(.video)
        let origin = Instant(nanoseconds: 1_000_000_000)
        var network = Network(peers: peers, addresses: addresses, now: origin)

        try network.signal(.offerer) { peer, now in
            let offer = try peer.createOffer()
            try peer.setLocalDescription(offer, type: .offer, at: now)
            peer.addLocalSocket(addresses[0], at: now)
        }
        try network.settle(advancingTime: false)
        let offer = try roundTrip(peers[0].localDescription)
        try network.signal(.answerer) { peer, now in
            try peer.setRemoteDescription(offer, type: .offer, at: now)
            try peer.setLocalDescription(try peer.createAnswer(), type: .answer, at: now)
            peer.addLocalSocket(addresses[1], at: now)
        }
        try network.settle(advancingTime: false)
        let answer = try roundTrip(peers[1].localDescription)
        try network.signal(.offerer) { peer, now in try peer.setRemoteDescription(answer, type: .answer, at: now) }
        try network.settle(advancingTime: true)
        return network.sample
    }

    /// Through SDP text and back, as over real signaling.
    private static func roundTrip(_ description: (SDPType, SessionDescription)?) throws -> SessionDescription {
        guard let (type, sdp) = description else { throw Failure(description: "no local description") }
        return try SessionDescriptionMessage(type: type, sdp: sdp.serialized()).parsed()
    }

    /// Zero-latency datagram delivery between two peers on a virtual clock.
    private struct Network {
        let peers: [Peer]
        let addresses: [TransportAddress]
        let origin: Instant
        var now: Instant
        var inFlight: [(bytes: [UInt8], from: TransportAddress, to: TransportAddress)] = []
        var sample = Sample()
        let clock = ContinuousClock()

        init(peers: [Peer], addresses: [TransportAddress], now: Instant) {
            self.peers = peers
            self.addresses = addresses
            self.origin = now
            self.now = now
        }

        var virtualMs: Double { Double(now.nanoseconds - origin.nanoseconds) / 1e6 }

        mutating func signal(_ side: Side, _ body: (Peer, Instant) throws -> Void) throws {
            let started = clock.now
            try body(peers[side.rawValue], now)
            account(.signaling, side: side, since: started, step: "\(side) signaling")
            drain(side)
        }

        /// Delivers datagrams and fires due timers until both peers are connected; without `advancingTime`
        /// it stops once nothing is due now (signaling goes on at once, as in the runtime).
        mutating func settle(advancingTime: Bool) throws {
            let deadline = origin + .seconds(10)
            while sample.connected.contains(where: \.isNaN) {
                if !inFlight.isEmpty {
                    let datagram = inFlight.removeFirst()
                    guard let index = addresses.firstIndex(of: datagram.to) else { continue }
                    let side = Side(rawValue: index)!
                    let work: Work = datagram.bytes.first.map { $0 < 4 } == true ? .stun : .dtls
                    let started = clock.now
                    peers[index].handleDatagram(datagram.bytes, from: datagram.from, to: datagram.to, at: now)
                    account(work, side: side, since: started, step: "\(side) handles \(Self.kind(of: datagram.bytes))", size: datagram.bytes.count)
                    drain(side)
                    continue
                }
                let deadlines = peers.map { $0.pollTimeout() }
                guard let next = deadlines.compactMap({ $0 }).min() else { return }
                if next > now, !advancingTime { return }
                guard next < deadline else { throw Failure(description: "not connected within 10 s of virtual time") }
                if next > now {
                    sample.timeline.append("\(pad(format(virtualMs), 7)) … wait \(format(Double(next.nanoseconds - now.nanoseconds) / 1e6)) ms for a timer")
                    now = next
                }
                for (index, peerDeadline) in deadlines.enumerated() where peerDeadline.map({ $0 <= now }) == true {
                    let started = clock.now
                    peers[index].handleTimeout(at: now)
                    account(.timers, side: Side(rawValue: index)!, since: started, step: "\(Side(rawValue: index)!) timer")
                    drain(Side(rawValue: index)!)
                }
            }
        }

        private mutating func account(_ work: Work, side: Side, since started: ContinuousClock.Instant, step: String, size: Int? = nil) {
            let cpu = (clock.now - started).milliseconds
            sample.cpu[work, default: 0] += cpu
            sample.steps.append(("\(pad(format(virtualMs), 7)) \(step)", cpu))
            let described = size.map { "\(step) \($0) B" } ?? step
            sample.timeline.append("\(pad(format(virtualMs), 7)) \(described.padding(toLength: 40, withPad: " ", startingAt: 0)) cpu \(format(cpu, decimals: 3))")
        }

        private mutating func drain(_ side: Side) {
            let index = side.rawValue
            while let output = peers[index].pollOutput() {
                switch output {
                case let .transmit(bytes, from, to):
                    let kind = Self.kind(of: bytes)
                    sample.datagrams["\(side) \(kind)", default: 0] += 1
                    if kind == "STUN", sample.firstCheckSent[index].isNaN { sample.firstCheckSent[index] = virtualMs }
                    if kind == "DTLS", sample.firstDTLSSent[index].isNaN { sample.firstDTLSSent[index] = virtualMs }
                    inFlight.append((bytes, from, to))
                case let .event(.iceConnectionStateChanged(state)):
                    sample.timeline.append("\(pad(format(virtualMs), 7)) \(side) ICE \(state)")
                    if state == .connected || state == .completed, sample.iceConnected[index].isNaN { sample.iceConnected[index] = virtualMs }
                case let .event(.connectionStateChanged(state)):
                    sample.timeline.append("\(pad(format(virtualMs), 7)) \(side) connection \(state.rawValue)")
                    if state == .connected { sample.connected[index] = virtualMs }
                case let .event(.failure(reason)):
                    sample.timeline.append("\(pad(format(virtualMs), 7)) \(side) failure: \(reason)")
                case .event:
                    break
                }
            }
        }

        /// RFC 7983 §7: the first byte tells STUN (0–3) from DTLS (20–63) and SRTP (128–191).
        static func kind(of bytes: [UInt8]) -> String {
            switch bytes.first ?? 255 {
            case 0...3: "STUN"
            case 20...63: "DTLS"
            case 128...191: "SRTP"
            default: "other"
            }
        }
    }
}
