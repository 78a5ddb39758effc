import ArgumentParser
import Foundation
import NIOPosix
import TandemRuntime
import SRTP

/// `tandem-bench connect`: offer → connected between two peers in one process on loopback, for the
/// Tandem runtime and for aiortc in the same run.
struct ConnectBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Offer → both sides connected on 127.0.0.1 (Tandem runtime and aiortc, same run).",
        discussion: """
            Both peers live in one process. Peer creation (certificates, sockets) happens before the clock \
            starts; the clock starts at createOffer and stops when both sides report connected.
            """
    )

    @Option(help: "Measured connections per peer.")
    var iterations = 50

    @Option(help: "Connections run first and not counted (both peers).")
    var warmup = 2

    @Option(help: "Python with aiortc 1.16 (default: .venv/bin/python under the package root or the working directory).")
    var aiortcPython: String?

    @Flag(help: "Skip the aiortc reference run.")
    var noAiortc = false

    @Flag(help: """
        Diagnostic: put both peers on one event loop and run the benchmark's own tasks on it too, so that no \
        step hands work to another thread.
        """)
    var oneEventLoop = false

    mutating func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    mutating func run() async throws {
        print("connect: offer → both connected, 127.0.0.1, \(iterations) iterations after \(warmup) warm-up"
              + (oneEventLoop ? ", both peers and the driver on one event loop (--one-event-loop)" : ""))
        try await ConnectComponents.measureAndPrint()
        let tandem = try await measureRuntime()
        let breakdown = try VirtualConnect.measure(iterations: iterations, warmup: warmup)
        var rows = [("tandem (runtime)", Summary(tandem.map(\.total)))]
        if !noAiortc {
            let reference = try AiortcConnect.measure(iterations: iterations, warmup: warmup, python: aiortcPython)
            rows.append((reference.peer, Summary(reference.samplesMs)))
        }
        printSummaryTable(rows)
        RuntimeConnect.printPhases(tandem)
        breakdown.printReport()
    }

    private func measureRuntime() async throws -> [RuntimeConnect.Sample] {
        guard oneEventLoop else { return try await RuntimeConnect.measure(iterations: iterations, warmup: warmup) }
        guard #available(macOS 15.0, *) else { throw ValidationError("--one-event-loop needs task executors (macOS 15)") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let (iterations, warmup) = (iterations, warmup)
        let samples = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            try await RuntimeConnect.measure(iterations: iterations, warmup: warmup, group: loop)
        }
        try await group.shutdownGracefully()
        return samples
    }

    private func printSummaryTable(_ rows: [(String, Summary)]) {
        print("")
        print("peer                    median      p90      min      max   (ms)")
        for (name, summary) in rows {
            let label = name.padding(toLength: 20, withPad: " ", startingAt: 0)
            print("\(label) \(pad(format(summary.median), 8)) \(pad(format(summary.p90), 8)) \(pad(format(summary.min), 8)) \(pad(format(summary.max), 8))")
        }
        if rows.count == 2 {
            print("tandem / \(rows[1].0) median: \(format(rows[0].1.median / rows[1].1.median * 100, decimals: 1)) %")
        }
    }
}
