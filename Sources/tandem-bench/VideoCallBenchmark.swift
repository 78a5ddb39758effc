import ArgumentParser
import Media
import MediaPipeline
import PeerConnection
import Synchronization
import TandemRuntime

/// `tandem-bench video`: a screen-video call between two runtime PeerConnections over UDP on 127.0.0.1,
/// through the whole pipeline (synthetic capture → BGRA→I420 → VP8 encode on the encoding thread →
/// Peer, pacer, SRTP → socket → Peer, jitter buffer → VP8 decode on the decoding thread). Measures
/// glass-to-glass latency (capture instant → decoded picture), connection → first decoded picture, and
/// the bitrate of a static desktop behind change detection.
@available(macOS 15.0, *)
struct VideoCallBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Screen video on loopback: glass-to-glass latency, time to the first decoded picture, static-desktop bitrate."
    )

    @Option(help: "Picture width.")
    var width = 1920

    @Option(help: "Picture height.")
    var height = 1080

    @Option(help: "Frames per second.")
    var fps = 30

    @Option(help: "Seconds of moving content (typing) for the latency figures.")
    var seconds = 10

    @Option(help: "Seconds of a static desktop for the bitrate figure (the first 2 s are left out).")
    var staticSeconds = 12

    @Option(help: "Calls for the time-to-first-picture figure.")
    var firstFrameCalls = 5

    @Flag(help: "Skip the aiortc reference (Interop/bench_video_aiortc.py).")
    var noAiortc = false

    @Option(help: "Python interpreter with aiortc (default: .venv/bin/python of the package).")
    var aiortcPython: String?

    mutating func run() async throws {
        print("tandem-bench video: \(width)x\(height) at \(fps) fps, two PeerConnections on 127.0.0.1")
        var firstFrames: [Double] = []
        for call in 0..<firstFrameCalls {
            let result = try await Self.call(width: width, height: height, fps: fps, content: .typing,
                                             seconds: call == 0 ? seconds : 1, changeDetection: false)
            firstFrames.append(result.firstPicture)
            print("  call \(call + 1): first picture \(format(result.firstPicture)) ms after the connection was up "
                  + "(its capture \(format(result.sent.captureMilliseconds.first ?? 0)) ms, conversion "
                  + "\(format(result.sent.convertMilliseconds.first ?? 0)) ms, key frame encode \(format(result.sent.encodeMilliseconds.first ?? 0)) ms, "
                  + "\(result.firstKeyframeBytes) bytes, decode \(format(result.firstDecode.milliseconds)) ms)")
            if call == 0 { result.printLatency() }
        }
        let first = Summary(firstFrames)
        print("connection up → first decoded picture (\(firstFrameCalls) calls): median \(format(first.median)) ms, "
              + "min \(format(first.min)), max \(format(first.max))")
        let still = try await Self.call(width: width, height: height, fps: fps, content: .static, seconds: staticSeconds,
                                        changeDetection: true, measureFrom: .seconds(2))
        still.printBitrate(seconds: staticSeconds - 2)
        guard !noAiortc else { return }
        print("")
        print("reference, same run: Interop/bench_video_aiortc.py (two aiortc peers, the same calls)")
        let reference = try AiortcVideo.measure(arguments: [
            "--width", String(width), "--height", String(height), "--fps", String(fps), "--seconds", String(seconds),
            "--static-seconds", String(staticSeconds), "--calls", String(firstFrameCalls),
        ], python: aiortcPython)
        let g = reference.glassToGlass
        print("\(reference.peer): glass-to-glass median \(format(g.median)) ms, p90 \(format(g.p90 ?? 0)), p99 \(format(g.p99 ?? 0)), "
              + "max \(format(g.max)); \(format(reference.fps, decimals: 1)) fps")
        print("\(reference.peer): connection up → first decoded picture median \(format(reference.firstPicture.median)) ms, "
              + "min \(format(reference.firstPicture.min ?? 0)), max \(format(reference.firstPicture.max))")
        print("\(reference.peer): static desktop video \(format(reference.staticKbps)) kbit/s, on the wire \(format(reference.staticWireKbps)) kbit/s")
    }

    struct CallResult {
        var latencies: [Double]
        var firstPicture: Double
        var sent: VideoSendReport
        var shown: Int
        var refused: Int
        /// Bytes the sender put on the wire in the measured window: encoded video, and everything
        /// (RTP and RTCP headers, SRTP tags, feedback, STUN consent checks).
        var videoBytes: Int
        var wireBytes: Int
        var firstKeyframeBytes: Int
        var firstDecode: Duration

        var seconds: Int

        func printLatency() {
            let summary = Summary(latencies)
            print("glass-to-glass (capture → decoded), \(latencies.count) pictures (\(format(Double(sent.framesCaptured) / Double(max(1, seconds)), decimals: 1)) fps): median \(format(summary.median)) ms, "
                  + "p90 \(format(summary.p90)), p99 \(format(summary.percentile(99))), max \(format(summary.max))")
            print("  pictures captured \(sent.framesCaptured), frames sent \(sent.framesSent), shown \(shown), refused \(refused), key frames \(sent.keyframes), "
                  + "estimate \(sent.targetBitrates.last ?? 0) bit/s")
            print("  per picture, medians: capture \(format(sent.captureMillisecondsMedian ?? 0)) ms, "
                  + "BGRA→I420 \(format(sent.convertMillisecondsMedian ?? 0)) ms, encode \(format(sent.encodeMillisecondsMedian ?? 0)) ms")
        }

        func printBitrate(seconds: Int) {
            print("static desktop, \(seconds) s after the first 2: video \(format(Double(videoBytes * 8) / Double(seconds) / 1000)) kbit/s, "
                  + "on the wire \(format(Double(wireBytes * 8) / Double(seconds) / 1000)) kbit/s "
                  + "(\(sent.framesSent) frames sent of \(sent.framesCaptured) captured)")
        }
    }

    /// What the two sides saw of each picture, by RTP timestamp.
    final class Timeline: Sendable {
        let captured = Mutex<[UInt32: ContinuousClock.Instant]>([:])
        let decoded = Mutex<[(UInt32, ContinuousClock.Instant)]>([])
        let firstDecode = Mutex<Duration?>(nil)
        let sentBytes = Mutex<[(ContinuousClock.Instant, Int)]>([])
        let firstKeyframeBytes = Mutex(0)
    }

    static func call(width: Int, height: Int, fps: Int, content: SyntheticScreen.Content, seconds: Int, changeDetection: Bool,
                     measureFrom: Duration = .zero) async throws -> CallResult {
        var options = PeerConnection.Options()
        options.interfaces = .loopback
        let sender = try await PeerConnection.create(options: options)
        let receiver = try await PeerConnection.create(options: options)
        let mid = try await sender.addTransceiver(.video, direction: .sendonly)
        // Sender and receiver start with the session, as a sharer's and a helper's app do, and the call
        // is placed once their codecs are set up (a 1080p VP8 encoder takes 35-70 ms here), as the
        // people in a call take longer than that to say yes.
        let timeline = Timeline()
        let ready = ReadyLatch(count: 2)
        let receiving = Task {
            try await VideoReceiver.run(connection: receiver, mid: mid, onReady: { ready.arrive() }, onFrame: { frame in
                timeline.decoded.withLock { $0.append((frame.rtpTimestamp, frame.decodedAt)) }
                timeline.firstDecode.withLock { $0 = $0 ?? frame.decodeDuration }
            })
        }
        var sendOptions = VideoSendOptions()
        sendOptions.frameRate = fps
        sendOptions.changeDetection = changeDetection
        let sending = Task {
            try await VideoSender.run(source: SyntheticVideoSource(SyntheticScreen(width: width, height: height, content: content)),
                                      connection: sender, mid: mid, options: sendOptions, duration: .seconds(seconds),
                                      onReady: { ready.arrive() }) { frame in
                timeline.captured.withLock { $0[frame.rtpTimestamp] = frame.capturedAt }
                timeline.sentBytes.withLock { $0.append((frame.capturedAt, frame.bytes)) }
                if frame.number == 0 { timeline.firstKeyframeBytes.withLock { $0 = frame.bytes } }
            }
        }
        await ready.wait()
        try await sender.setLocalDescription(try await sender.createOffer())
        try await sender.gatheringComplete()
        guard let offer = try await sender.localDescription() else { throw ValidationError("no offer") }
        try await receiver.setRemoteDescription(offer)
        try await receiver.setLocalDescription(try await receiver.createAnswer())
        try await receiver.gatheringComplete()
        guard let answer = try await receiver.localDescription() else { throw ValidationError("no answer") }
        try await sender.setRemoteDescription(answer)
        try await sender.connected()
        try await receiver.connected()
        let connectedAt = ContinuousClock.now
        let measureStart = connectedAt + measureFrom
        let wireBefore = Task {
            try await Task.sleep(until: measureStart, clock: .continuous)
            return try await sender.stats().bytesSent
        }
        let sent = try await sending.value
        let wireAfter = try await sender.stats().bytesSent
        let wireStart = try await wireBefore.value
        try await Task.sleep(for: .milliseconds(300))
        await sender.close()
        await receiver.close()
        let playback = try await receiving.value
        let captured = timeline.captured.withLock { $0 }
        let decoded = timeline.decoded.withLock { $0 }
        let latencies = decoded.compactMap { timestamp, at in captured[timestamp].map { (at - $0).milliseconds } }
        guard let first = decoded.first, !latencies.isEmpty else { throw ValidationError("no picture was decoded") }
        return CallResult(latencies: latencies, firstPicture: (first.1 - connectedAt).milliseconds, sent: sent,
                          shown: playback.framesShown, refused: playback.framesRefused,
                          videoBytes: timeline.sentBytes.withLock { $0.filter { $0.0 >= measureStart }.reduce(0) { $0 + $1.1 } },
                          wireBytes: wireAfter - wireStart,
                          firstKeyframeBytes: timeline.firstKeyframeBytes.withLock { $0 },
                          firstDecode: timeline.firstDecode.withLock { $0 } ?? .zero, seconds: seconds)
    }
}

/// Waits until `count` parties have arrived.
final class ReadyLatch: Sendable {
    private let state: Mutex<(remaining: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(count: Int) { state = Mutex((count, [])) }

    func arrive() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.remaining -= 1
            guard state.remaining <= 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.remaining <= 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
