import DataChannel
import DTLS
import Foundation
import PeerConnection
import SCTP
import SDP
import TandemBase

/// `tandem-bench datachannel --engine-only`: the bulk transfer of the datachannel benchmark between two
/// sans-IO `Peer`s on this thread, without sockets or event loops, to measure what the engine costs
/// (DTLS records, SCTP, data channels) apart from the kernel and NIO, and to count the packets each way.
///
/// Datagrams are delivered the way the runtime delivers them: up to `batch` datagrams into a Peer, then
/// its output is drained (the runtime drains once per batch of socket reads). The clock is virtual and
/// moves 1 µs per datagram, so no timer fires unless the protocol needs one. The figure is this thread's
/// CPU time from the channel's opening to the last message, so other jobs on the machine disturb it less
/// than they disturb the wall-clock pairs.
enum DataChannelEngineBench {
    struct Report {
        var bytes: Int
        var cpuSeconds: Double
        /// Datagrams source → sink and sink → source (SACKs, mostly).
        var datagrams: [Int]
        var source: SCTPStatistics
        var sink: SCTPStatistics
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(megabytes: Int, batch: Int, configuration: PeerConfiguration) throws -> Report {
        let addresses = [TransportAddress(ip: .loopbackV4, port: 40_001), TransportAddress(ip: .loopbackV4, port: 40_002)]
        let peers = [try Peer(configuration: configuration, certificate: DTLSCertificate(), random: SeededGenerator(seed: 1)),
                     try Peer(configuration: configuration, certificate: DTLSCertificate(), random: SeededGenerator(seed: 2))]
        var now = Instant(nanoseconds: 1_000_000_000)
        let bulk = try peers[0].createDataChannel(label: "bulk", at: now)
        let offer = try peers[0].createOffer()
        try peers[0].setLocalDescription(offer, type: .offer, at: now)
        peers[0].addLocalSocket(addresses[0], at: now)
        try peers[1].setRemoteDescription(try SessionDescription(parsing: offer.serialized()), type: .offer, at: now)
        let answer = try peers[1].createAnswer()
        try peers[1].setLocalDescription(answer, type: .answer, at: now)
        peers[1].addLocalSocket(addresses[1], at: now)
        try peers[0].setRemoteDescription(try SessionDescription(parsing: answer.serialized()), type: .answer, at: now)

        let total = megabytes * 1_000_000
        let payload = [UInt8](repeating: 0x5a, count: DataChannelBench.bulkMessageSize)
        var queues: [[[UInt8]]] = [[], []]
        var datagrams = [0, 0]
        var open = false
        var queued = 0
        var received = 0
        var started: Double?

        func drain(_ index: Int) throws {
            while let output = peers[index].pollOutput() {
                switch output {
                case let .transmit(bytes, _, _):
                    queues[1 - index].append(bytes)
                    if open { datagrams[index] += 1 }
                case let .event(event):
                    switch event {
                    case let .localCandidate(candidate):
                        try peers[1 - index].addRemoteCandidate(candidate, at: now)
                    case .dataChannel(.open) where index == 0:
                        open = true
                        started = threadCPUSeconds()
                    case let .dataChannel(.message(_, .binary(bytes))) where index == 1:
                        received += bytes.count
                    default:
                        break
                    }
                }
            }
        }

        /// Keeps the bulk channel's buffer filled, as the benchmark's source does (W3C back-pressure).
        func refill() throws {
            while open, queued < total, peers[0].bufferedAmount(of: bulk) <= DataChannelBench.highWater {
                try peers[0].send(.binary(payload), on: bulk, at: now)
                queued += payload.count
            }
            try drain(0)
        }

        try drain(0)
        try drain(1)
        let deadline = now + .seconds(600)
        while received < queued || queued < total || !open {
            try refill()
            if queues[0].isEmpty && queues[1].isEmpty {
                guard let next = peers.compactMap({ $0.pollTimeout() }).min(), next < deadline else {
                    throw Failure(description: "the transfer stalled after \(received) bytes")
                }
                now = max(now, next)
                for (index, peer) in peers.enumerated() where peer.pollTimeout().map({ $0 <= now }) == true {
                    peer.handleTimeout(at: now)
                    try drain(index)
                }
                continue
            }
            for index in 0..<2 where !queues[index].isEmpty {
                let arrived = queues[index].prefix(batch)
                queues[index].removeFirst(arrived.count)
                for bytes in arrived {
                    now = now + .microseconds(1)
                    peers[index].handleDatagram(bytes, from: addresses[1 - index], to: addresses[index], at: now)
                }
                try drain(index)
            }
        }
        let seconds = started.map { threadCPUSeconds() - $0 } ?? .nan
        return Report(bytes: received, cpuSeconds: seconds, datagrams: datagrams,
                      source: peers[0].sctpStatistics ?? SCTPStatistics(), sink: peers[1].sctpStatistics ?? SCTPStatistics())
    }

    /// CPU time of this thread: the figure does not count time the machine gave to other jobs.
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func printReport(_ report: Report, batch: Int) {
        let megabytes = Double(report.bytes) / 1e6
        print("engine only: \(format(megabytes, decimals: 1)) MB in 64 KiB messages between two sans-IO Peers on one thread, "
              + "\(batch) datagrams per batch")
        print("  CPU, both peers:  \(format(report.cpuSeconds * 1000, decimals: 1)) ms = \(format(megabytes / report.cpuSeconds, decimals: 1)) MB/s "
              + "(\(format(report.cpuSeconds * 1e9 / Double(max(1, report.datagrams[0])), decimals: 0)) ns per DATA datagram)")
        print("  datagrams: source → sink \(report.datagrams[0]), sink → source \(report.datagrams[1]) "
              + "(\(format(Double(report.datagrams[1]) / Double(max(1, report.datagrams[0])), decimals: 3)) per DATA datagram)")
        print("  source: \(report.source.dataChunksSent) DATA chunks, \(report.source.fastRetransmissions + report.source.timeoutRetransmissions) "
              + "retransmitted; sink: \(report.sink.duplicateTSNsReceived) duplicates, \(report.sink.dataChunksDroppedNoBuffer) dropped")
    }
}
