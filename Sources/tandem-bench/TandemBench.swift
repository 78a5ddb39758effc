import ArgumentParser

/// Benchmarks of the engine against reference peers measured in the same run (BENCHMARKS.md).
@main
struct TandemBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tandem-bench",
        abstract: "Tandem benchmarks, each next to a reference peer measured in the same run.",
        subcommands: [ConnectBenchmark.self, SRTPBenchmark.self, DataChannelBenchmark.self, VP8Benchmark.self, VideoCallBenchmark.self]
    )
}
