import ArgumentParser
import DataChannel
import Foundation
import HTTPLite
import NIOCore
import NIOPosix
import PeerConnection
import SCTP
import SDP
import TandemRuntime

/// `tandem-bench datachannel`: throughput of 64 KiB messages and one-way latency of 100-byte messages
/// while a bulk transfer runs on another channel, for Swift↔Swift, Swift→aiortc, aiortc→aiortc and
/// Swift→Chromium in one run (issue 3; protocol in DataChannelBenchProtocol.swift).
struct DataChannelBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datachannel",
        abstract: "Data-channel throughput and latency under load: Tandem, aiortc and Chromium in one run."
    )

    @Option(help: "Seconds of bulk transfer per pair.")
    var seconds: Double = 5

    @Flag(help: "Leave out the pairs with aiortc.")
    var noAiortc = false

    @Flag(help: "Leave out the pair with Chromium.")
    var noChromium = false

    @Option(help: "The Python with aiortc and selenium (default: .venv/bin/python of the package).")
    var python: String?

    @Option(help: "Cap on SCTP's congestion window in bytes for the Tandem peers (default: the engine's).")
    var maxCongestionWindow: Int?

    @Option(help: "Least bytes in flight the Tandem peers' path-based limit allows (default: the engine's).")
    var inFlightMinimum: Int?

    @Flag(help: "No path-based limit on bytes in flight for the Tandem peers (cwnd and --max-congestion-window only).")
    var noInFlightLimit = false

    @Flag(help: "Run the Tandem peers' probe and sink tasks on their connections' event loops (EventLoopTaskExecutor) instead of the Swift concurrency pool.")
    var tasksOnLoops = false

    @Flag(help: "Only the bulk transfer between two sans-IO Peers on this thread: engine CPU and datagrams, no sockets.")
    var engineOnly = false

    @Option(help: "Megabytes to transfer with --engine-only.")
    var megabytes = 200

    @Option(help: "Datagrams delivered to a Peer before its output is drained, with --engine-only.")
    var batch = 64

    @Flag(help: .hidden)
    var insideNamespace = false

    mutating func run() async throws {
        if engineOnly {
            var configuration = PeerConfiguration()
            configure(&configuration.sctp)
            let report = try DataChannelEngineBench.run(megabytes: megabytes, batch: batch, configuration: configuration)
            DataChannelEngineBench.printReport(report, batch: batch)
            return
        }
        // Chromium gathers candidates on every interface; in a namespace of our own only loopback exists.
        if !noChromium && !insideNamespace {
            guard getuid() == 0 else { throw ValidationError("the Chromium pair needs root (ip netns); pass --no-chromium otherwise") }
            try runInsideNamespace()
            return
        }
        print("datachannel: \(format(seconds, decimals: 1)) s of 64 KiB messages per pair, 100-byte probes every 10 ms on a second channel, 127.0.0.1")
        var results: [DataChannelBench.Result] = []
        results.append(try await swiftToSwift())
        if !noAiortc {
            let python = try ReferencePeers.python(python)
            results.append(try await swiftTo(sink: [python, try ReferencePeers.script("bench_datachannel.py"), "sink"], peer: "tandem → aiortc 1.16.0"))
            results.append(try await aiortcToAiortc(python: python))
        }
        if !noChromium {
            let python = try ReferencePeers.python(python)
            results.append(try await swiftTo(sink: [python, try ReferencePeers.script("bench_datachannel_chromium.py")], peer: "tandem → Chromium"))
        }
        print("")
        print("pair                          MB/s   latency median    p99   (ms, one way = RTT/2, n)")
        for result in results {
            let latency = result.latencies.isEmpty ? nil : Summary(result.latencies)
            print("\(result.peer.padding(toLength: 26, withPad: " ", startingAt: 0)) \(pad(format(result.megabytesPerSecond, decimals: 1), 7))"
                  + "   \(pad(latency.map { format($0.median, decimals: 3) } ?? "-", 14)) \(pad(latency.map { format($0.percentile(99), decimals: 3) } ?? "-", 7))"
                  + "   n=\(result.latencies.count)" + (result.cpuMillisecondsPerMegabyte.map { "   CPU \(format($0, decimals: 2)) ms/MB" } ?? ""))
        }
        for result in results { if let notes = result.notes { print("\(result.peer): \(notes)") } }
    }

    /// Both Swift peers in this process, each on its own event loop (its own thread), as two processes would be.
    private func swiftToSwift() async throws -> DataChannelBench.Result {
        let sourceLoop = MultiThreadedEventLoopGroup.singleton.next()
        let source = try await PeerConnection.create(options: loopbackOptions, group: sourceLoop)
        let sink = try await PeerConnection.create(options: loopbackOptions, group: PeerConnection.networkThread)
        let sinkExecutor: (any TaskExecutor)? = tasksOnLoops ? EventLoopTaskExecutor(PeerConnection.networkThread) : nil
        let sourceExecutor: (any TaskExecutor)? = tasksOnLoops ? EventLoopTaskExecutor(sourceLoop) : nil
        let sinkTask = Task { await DataChannelBenchSink.serve(sink, executor: sinkExecutor) }
        let bulk = try await source.createDataChannel(label: "bulk")
        let latency = try await source.createDataChannel(label: "latency")
        let control = try await source.createDataChannel(label: "control")
        try await source.setLocalDescription(try await source.createOffer())
        try await source.gatheringComplete()
        guard let offer = try await source.localDescription() else { throw BenchFailure("no offer") }
        try await sink.setRemoteDescription(offer)
        try await sink.setLocalDescription(try await sink.createAnswer())
        try await sink.gatheringComplete()
        guard let answer = try await sink.localDescription() else { throw BenchFailure("no answer") }
        try await source.setRemoteDescription(answer)
        let cpuBefore = processCPUSeconds()
        let dropsBefore = Self.receiveBufferErrors()
        let (report, latencies) = try await DataChannelBenchSource.measure(bulk: bulk, latency: latency, control: control, seconds: seconds,
                                                                           executor: sourceExecutor)
        let cpu = processCPUSeconds() - cpuBefore
        let drops = Self.receiveBufferErrors().flatMap { after in dropsBefore.map { after - $0 } }
        let sctp = try await bulk.sctpStatistics()
        let notes = sctp.map { "source SCTP: \($0.dataChunksSent) DATA chunks, \($0.fastRetransmissions) fast and \($0.timeoutRetransmissions) "
            + "T3 retransmissions, cwnd \($0.congestionWindow / 1024) KiB, in-flight limit \($0.inFlightLimit.map { "\($0 / 1024) KiB" } ?? "none"), srtt \($0.srtt.map { format($0.milliseconds, decimals: 3) } ?? "-") ms" }
            .map { $0 + "; UDP RcvbufErrors +\(drops.map(String.init) ?? "?")" }
        await source.close()
        await sink.close()
        sinkTask.cancel()
        return DataChannelBench.Result(peer: "tandem → tandem", megabytesPerSecond: Double(report.bulkBytes) / report.bulkSeconds / 1e6,
                                       bulkBytes: report.bulkBytes, latencies: latencies,
                                       cpuMillisecondsPerMegabyte: cpu * 1000 / (Double(report.bulkBytes) / 1e6), notes: notes)
    }

    /// The kernel's count of UDP datagrams dropped because a socket's receive buffer was full
    /// (`RcvbufErrors` in /proc/net/snmp), for this network namespace.
    private static func receiveBufferErrors() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/net/snmp", encoding: .utf8) else { return nil }
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("Udp:") }.map { $0.split(separator: " ") }
        guard rows.count >= 2, let column = rows[0].firstIndex(of: "RcvbufErrors"), column < rows[1].count else { return nil }
        return Int(rows[1][column])
    }

    /// User and system CPU time of this process so far (every thread, the kernel's share included).
    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The Swift source against a reference sink process (`POST /offer`).
    private func swiftTo(sink command: [String], peer: String) async throws -> DataChannelBench.Result {
        let server = try ReferencePeers.start(command + ["--listen", "127.0.0.1:0"])
        defer { server.terminate() }
        let url = try server.waitForURL()
        let source = try await PeerConnection.create(options: loopbackOptions)
        let bulk = try await source.createDataChannel(label: "bulk")
        let latency = try await source.createDataChannel(label: "latency")
        let control = try await source.createDataChannel(label: "control")
        try await source.setLocalDescription(try await source.createOffer())
        try await source.gatheringComplete()
        guard let offer = try await source.localDescription() else { throw BenchFailure("no offer") }
        let response = try await HTTPClient.post(url: url, contentType: "application/json", body: Array(try JSONEncoder().encode(offer)),
                                                 group: MultiThreadedEventLoopGroup.singleton)
        guard response.status == .ok else { throw BenchFailure("\(peer): POST /offer answered \(response.status.code)") }
        try await source.setRemoteDescription(try JSONDecoder().decode(SessionDescriptionMessage.self, from: Data(response.body)))
        let (report, latencies) = try await DataChannelBenchSource.measure(bulk: bulk, latency: latency, control: control, seconds: seconds)
        await source.close()
        return DataChannelBench.Result(peer: peer, megabytesPerSecond: Double(report.bulkBytes) / report.bulkSeconds / 1e6,
                                       bulkBytes: report.bulkBytes, latencies: latencies)
    }

    private func aiortcToAiortc(python: String) async throws -> DataChannelBench.Result {
        let script = try ReferencePeers.script("bench_datachannel.py")
        let server = try ReferencePeers.start([python, script, "sink", "--listen", "127.0.0.1:0"])
        defer { server.terminate() }
        let url = try server.waitForURL()
        let line = try ReferencePeers.runForLastLine([python, script, "source", "--url", url, "--seconds", String(seconds)])
        struct SourceResult: Decodable {
            var bulk_bytes: Int
            var bulk_seconds: Double
            var latencies_ms: [Double]
        }
        let result = try JSONDecoder().decode(SourceResult.self, from: Data(line.utf8))
        return DataChannelBench.Result(peer: "aiortc → aiortc 1.16.0", megabytesPerSecond: Double(result.bulk_bytes) / result.bulk_seconds / 1e6,
                                       bulkBytes: result.bulk_bytes, latencies: result.latencies_ms)
    }

    private var loopbackOptions: PeerConnection.Options {
        var options = PeerConnection.Options()
        options.interfaces = .loopback
        configure(&options.peer.sctp)
        return options
    }

    private func configure(_ sctp: inout SCTPConfiguration) {
        if let maxCongestionWindow { sctp.maxCongestionWindow = maxCongestionWindow }
        if let inFlightMinimum { sctp.inFlightLimit?.minimum = inFlightMinimum }
        if noInFlightLimit { sctp.inFlightLimit = nil }
    }

    /// Re-runs this command inside a fresh network namespace with only `lo`, then removes it.
    private func runInsideNamespace() throws {
        let namespace = "tandem-bench-\(getpid())"
        try ReferencePeers.runChecked(["/usr/sbin/ip", "netns", "add", namespace])
        defer { try? ReferencePeers.runChecked(["/usr/sbin/ip", "netns", "delete", namespace]) }
        try ReferencePeers.runChecked(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/ip", "link", "set", "lo", "up"])
        var arguments = ["/usr/sbin/ip", "netns", "exec", namespace, CommandLine.arguments[0], "datachannel", "--inside-namespace",
                         "--seconds", String(seconds)]
        if noAiortc { arguments.append("--no-aiortc") }
        if tasksOnLoops { arguments.append("--tasks-on-loops") }
        if let maxCongestionWindow { arguments += ["--max-congestion-window", String(maxCongestionWindow)] }
        if let inFlightMinimum { arguments += ["--in-flight-minimum", String(inFlightMinimum)] }
        if noInFlightLimit { arguments.append("--no-in-flight-limit") }
        if let python { arguments += ["--python", python] }
        try ReferencePeers.runChecked(arguments, inheritOutput: true)
    }
}

/// Reference-peer processes from Interop/ (aiortc, Chromium via Selenium).
enum ReferencePeers {
    static func python(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        guard let found = PackageRoot.candidates.map({ $0 + "/.venv/bin/python" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("no .venv/bin/python; run scripts/setup or pass --python")
        }
        return found
    }

    static func script(_ name: String) throws -> String {
        guard let found = PackageRoot.candidates.map({ $0 + "/Interop/" + name }).first(where: FileManager.default.fileExists(atPath:)) else {
            throw ValidationError("Interop/\(name) not found")
        }
        return found
    }

    /// A started server process whose stdout announces `{"event": "listening", "url": …}`.
    final class Server {
        let process = Process()
        private let output = Pipe()

        init(_ command: [String]) throws {
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardOutput = output
            try process.run()
        }

        func waitForURL() throws -> String {
            var buffer = Data()
            let handle = output.fileHandleForReading
            while true {
                let chunk = handle.availableData
                guard !chunk.isEmpty else { throw BenchFailure("\(process.arguments ?? []) exited before listening") }
                buffer.append(chunk)
                for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") {
                    struct Listening: Decodable { var event: String; var url: String }
                    if let event = try? JSONDecoder().decode(Listening.self, from: Data(line.utf8)), event.event == "listening" {
                        return event.url
                    }
                }
            }
        }

        func terminate() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    static func start(_ command: [String]) throws -> Server { try Server(command) }

    static func runForLastLine(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("\(command.joined(separator: " ")) exited with \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    }

    static func runChecked(_ command: [String], inheritOutput: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if !inheritOutput { process.standardOutput = FileHandle.nullDevice }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("\(command.joined(separator: " ")) exited with \(process.terminationStatus)") }
    }
}
