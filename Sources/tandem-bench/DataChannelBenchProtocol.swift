import DataChannel
import Foundation
import NIOCore
import PeerConnection
import TandemRuntime

/// The data-channel benchmark protocol, shared with the reference peers in Interop/bench_datachannel*.py
/// (BENCHMARKS.md, "datachannel"). The source offers with three channels:
/// - "bulk" (ordered, reliable): 64 KiB binary messages, as fast as back-pressure allows, for N seconds;
/// - "latency" (ordered, reliable): every 10 ms a 100-byte binary message whose first 8 bytes are its
///   sequence number (big-endian); the sink echoes it on the same channel; one-way latency = RTT / 2;
/// - "control": when the bulk buffer has drained the source sends the text "done"; the sink answers
///   with the JSON text {"bulk_bytes": B, "bulk_messages": M, "bulk_seconds": T}, T being the time from
///   the first to the last bulk message it received (its own clock).
enum DataChannelBench {
    static let bulkMessageSize = 64 * 1024
    static let probeSize = 100
    static let probeInterval = Duration.milliseconds(10)
    /// The source keeps at most this much queued on "bulk" (W3C back-pressure), resuming below `lowWater`.
    static let highWater = 4 << 20
    static let lowWater = 1 << 20

    struct SinkReport: Codable, Sendable {
        var bulkBytes: Int
        var bulkMessages: Int
        var bulkSeconds: Double

        enum CodingKeys: String, CodingKey {
            case bulkBytes = "bulk_bytes", bulkMessages = "bulk_messages", bulkSeconds = "bulk_seconds"
        }
    }

    struct Result: Sendable {
        var peer: String
        var megabytesPerSecond: Double
        var bulkBytes: Int
        /// One-way latency (RTT / 2) of each 100-byte probe, in ms.
        var latencies: [Double]
        /// CPU time of this process per megabyte received, when both peers run in it (ms/MB): unlike
        /// the rate, it hardly moves with what else the machine runs.
        var cpuMillisecondsPerMegabyte: Double?
        /// What the source's SCTP association and the kernel report about the run, when known.
        var notes: String?
    }
}

/// The Swift source: sends bulk and probes, collects the sink's report.
enum DataChannelBenchSource {
    static func run(_ connection: PeerConnection, seconds: Double) async throws -> (DataChannelBench.SinkReport, [Double]) {
        let bulk = try await connection.createDataChannel(label: "bulk")
        let latency = try await connection.createDataChannel(label: "latency")
        let control = try await connection.createDataChannel(label: "control")
        return try await measure(bulk: bulk, latency: latency, control: control, seconds: seconds)
    }

    /// Call once the offer/answer exchange is under way; waits for the channels to open.
    /// With an `executor` (the source connection's loop), the probe tasks run on that loop.
    static func measure(bulk: DataChannel, latency: DataChannel, control: DataChannel, seconds: Double,
                        executor: (any TaskExecutor)? = nil) async throws -> (DataChannelBench.SinkReport, [Double]) {
        for channel in [bulk, latency, control] { try await channel.opened() }
        let clock = ContinuousClock()
        let end = clock.now + .seconds(seconds)

        let prober = Task(executorPreference: executor) { () throws -> [Double] in
            var sentAt: [UInt64: ContinuousClock.Instant] = [:]
            var samples: [Double] = []
            let echoes = Task(executorPreference: executor) {
                var arrivals: [(UInt64, ContinuousClock.Instant)] = []
                for await message in latency.messages {
                    guard case let .binary(bytes) = message, bytes.count >= 8 else { continue }
                    arrivals.append((bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, clock.now))
                    if arrivals.count == Int(seconds * 100) { break }
                }
                return arrivals
            }
            var sequence: UInt64 = 0
            var next = clock.now
            while clock.now < end {
                var probe = [UInt8](repeating: 0, count: DataChannelBench.probeSize)
                for k in 0..<8 { probe[k] = UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(k))) }
                sentAt[sequence] = clock.now
                try await latency.send(probe)
                sequence += 1
                next = next + DataChannelBench.probeInterval
                try await clock.sleep(until: next)
            }
            try await Task.sleep(for: .milliseconds(500))
            echoes.cancel()
            for (number, arrival) in await echoes.value {
                if let sent = sentAt[number] { samples.append((arrival - sent).milliseconds / 2) }
            }
            return samples
        }

        try await bulk.setBufferedAmountLowThreshold(DataChannelBench.lowWater)
        var events = bulk.events.makeAsyncIterator()
        let payload = [UInt8](repeating: 0x5a, count: DataChannelBench.bulkMessageSize)
        while clock.now < end {
            if try await bulk.bufferedAmount() > DataChannelBench.highWater {
                while let event = await events.next(), event != .bufferedAmountLow {}
                continue
            }
            do {
                try await bulk.send(payload)
            } catch PeerError.dataChannel(.sendBufferFull) {
                while let event = await events.next(), event != .bufferedAmountLow {}
            }
        }
        let drainDeadline = clock.now + .seconds(30)
        while try await bulk.bufferedAmount() > 0 {
            guard clock.now < drainDeadline else { throw BenchFailure("the bulk channel did not drain within 30 s (\(try await bulk.bufferedAmount()) bytes left)") }
            try await Task.sleep(for: .milliseconds(2))
        }
        let latencies = try await prober.value

        let reply = Task { () -> String? in
            for await message in control.messages { if case let .string(text) = message { return text } }
            return nil
        }
        try await control.send("done")
        let watchdog = Task {
            try await Task.sleep(for: .seconds(30))
            reply.cancel()
        }
        defer { watchdog.cancel() }
        guard let text = await reply.value else { throw BenchFailure("no report from the sink on the control channel within 30 s") }
        return (try JSONDecoder().decode(DataChannelBench.SinkReport.self, from: Data(text.utf8)), latencies)
    }
}

/// The Swift sink: counts bulk bytes, echoes probes, reports on "done".
enum DataChannelBenchSink {
    /// With an `executor` (the sink connection's loop), each channel's task runs on that loop.
    static func serve(_ connection: PeerConnection, executor: (any TaskExecutor)? = nil) async {
        let counter = BulkCounter()
        await withTaskGroup(of: Void.self) { group in
            for await channel in connection.incomingDataChannels {
                group.addTask(executorPreference: executor) {
                    switch channel.label {
                    case "bulk":
                        for await message in channel.messages {
                            if case let .binary(bytes) = message { await counter.record(bytes.count) }
                        }
                    case "latency":
                        for await message in channel.messages { try? await channel.send(message) }
                    default:
                        for await message in channel.messages where message == .string("done") {
                            let report = await counter.report()
                            let text = String(decoding: (try? JSONEncoder().encode(report)) ?? Data(), as: UTF8.self)
                            try? await channel.send(text)
                        }
                    }
                }
            }
        }
    }

    private actor BulkCounter {
        var bytes = 0
        var messages = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?

        func record(_ count: Int) {
            let now = ContinuousClock.now
            if first == nil { first = now }
            last = now
            bytes += count
            messages += 1
        }

        func report() -> DataChannelBench.SinkReport {
            let seconds = first.flatMap { first in last.map { ($0 - first).milliseconds / 1000 } } ?? 0
            return DataChannelBench.SinkReport(bulkBytes: bytes, bulkMessages: messages, bulkSeconds: seconds)
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
