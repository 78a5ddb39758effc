import Media
import Synchronization
import TandemBase
import TandemRuntime

/// How a `VideoSender` turns pictures into a stream.
public struct VideoSendOptions: Sendable {
    public var frameRate = 30
    /// Bits per second of the estimate left to other media (audio, data channels).
    public var reservedBitrate = 40_000
    /// Skip pictures identical to the last one sent; an unchanged screen is sent again after
    /// `refreshInterval`, then at doubling intervals up to 8 s (`ScreenChangeDetector`).
    public var changeDetection = true
    public var refreshInterval: Duration = .seconds(1)
    /// Paint each picture's number into it (`FrameStamp`), for tests and the echo client.
    public var stampFrameNumbers = false
    /// libvpx speed; nil chooses by resolution.
    public var cpuUsed: Int?
    public init() {}
}

/// A picture that went out: its number, timestamps and, for comparisons, what was encoded.
public struct SentVideoFrame: Sendable {
    public var number: Int
    public var rtpTimestamp: UInt32
    public var capturedAt: ContinuousClock.Instant
    public var isKeyframe: Bool
    public var bytes: Int
    public var picture: I420Frame
}

/// What a send run did.
public struct VideoSendReport: Sendable, Equatable {
    public var framesCaptured = 0
    public var framesSent = 0
    /// Pictures not encoded because nothing changed on screen.
    public var framesUnchanged = 0
    public var keyframes = 0
    public var keyframeRequests = 0
    public var bytesSent = 0
    /// Per picture: capture (or render, for the synthetic source), BGRA→I420 conversion, and encoding.
    public var captureMilliseconds: [Double] = []
    public var convertMilliseconds: [Double] = []
    public var encodeMilliseconds: [Double] = []
    public var targetBitrates: [Int] = []

    public init() {}

    public var encodeMillisecondsMedian: Double? { Self.median(encodeMilliseconds) }
    public var captureMillisecondsMedian: Double? { Self.median(captureMilliseconds) }
    public var convertMillisecondsMedian: Double? { Self.median(convertMilliseconds) }

    static func median(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.sorted()[values.count / 2] }
}

/// Captures, encodes (VP8, screen-content settings) and sends one video track, on the encoding thread:
/// key frames when the receiver asks, the encoder's rate following the connection's estimate, and an
/// unchanged screen costing only a slow refresh.
@available(macOS 15.0, *)
public enum VideoSender {
    /// Prepares the encoder (tens of milliseconds at 1080p; `onReady` is called then), waits for the
    /// connection to be up, then runs until `duration` passes or `pictures` have been captured (either
    /// or both may be nil: no limit), or the task is cancelled. Start it as the session starts, so the
    /// set-up overlaps signaling, ICE and DTLS. It consumes the connection's `keyframeRequests` and
    /// `targetBitrates` streams.
    public static func run<Source: VideoSource>(
        source: sending Source, connection: PeerConnection, mid: String, options: VideoSendOptions = VideoSendOptions(),
        duration: Duration? = nil, pictures: Int? = nil, onReady: (@Sendable () -> Void)? = nil,
        onSent: (@Sendable (SentVideoFrame) -> Void)? = nil
    ) async throws -> VideoSendReport {
        let control = ControlBox()
        return try await withTaskExecutorPreference(MediaThreads.encoding) {
            try await withThrowingTaskGroup(of: VideoSendReport?.self) { group in
                group.addTask {
                    for await requested in connection.keyframeRequests where requested == mid {
                        control.state.withLock { $0.keyframeRequested = true; $0.requests += 1 }
                    }
                    return nil
                }
                group.addTask {
                    for await bitrate in connection.targetBitrates { control.state.withLock { $0.targetBitrate = bitrate } }
                    return nil
                }
                var loop = EncodeLoop(source: source, connection: connection, mid: mid, options: options, onReady: onReady, onSent: onSent)
                let report = try await loop.run(duration: duration, pictures: pictures, control: control)
                group.cancelAll()
                return report
            }
        }
    }

    /// What the connection's streams tell the frame loop: the latest estimate and pending key frame requests.
    struct Control: Sendable {
        var targetBitrate: Int?
        var keyframeRequested = false
        var requests = 0
    }

    final class ControlBox: Sendable {
        let state = Mutex(Control())
    }

    /// The frame loop; owned by the task that runs it.
    struct EncodeLoop<Source: VideoSource> {
        var source: Source
        let connection: PeerConnection
        let mid: String
        let options: VideoSendOptions
        let onReady: (@Sendable () -> Void)?
        let onSent: (@Sendable (SentVideoFrame) -> Void)?

        mutating func run(duration: Duration?, pictures: Int?, control: ControlBox) async throws -> VideoSendReport {
            var report = VideoSendReport()
            let settings = VP8EncoderSettings(width: source.width, height: source.height, bitrate: 1_000_000,
                                              frameRate: options.frameRate, cpuUsed: options.cpuUsed)
            let encoder = try VP8Encoder(settings: settings)
            // One capture and conversion now, thrown away: the first picture of the call then finds its
            // buffers' pages already mapped (a fresh 1080p frame costs several milliseconds of faults).
            _ = I420Frame(converting: try source.capture())
            onReady?()
            try await connection.connected(timeout: .seconds(30))
            var detector = ScreenChangeDetector(refreshInterval: options.refreshInterval)
            // The encoder's clock: real capture spacing, but a gap of skipped pictures counts as at most
            // two frame intervals, or CBR rate control would pour a long pause's budget into one frame.
            var encoderClock: Int64 = 0
            var lastEncodedAt: Duration?
            var appliedBitrate: Int?
            let clock = ContinuousClock()
            let start = clock.now
            let interval = Duration.seconds(1) / options.frameRate
            var tick = 0
            var number = 0
            while !Task.isCancelled {
                let due = start + interval * tick
                if let duration, due - start >= duration { break }
                if let pictures, report.framesCaptured >= pictures { break }
                do { try await clock.sleep(until: due) } catch { break }
                let state = control.state.withLock { state in
                    defer { state.keyframeRequested = false }
                    return state
                }
                report.keyframeRequests = state.requests
                if let target = state.targetBitrate, target != appliedBitrate {
                    try encoder.setBitrate(max(50_000, target - options.reservedBitrate))
                    appliedBitrate = target
                    report.targetBitrates.append(target)
                }
                let captureStart = clock.now
                let captured = try source.capture()
                let capturedAt = clock.now
                report.captureMilliseconds.append((capturedAt - captureStart).milliseconds)
                report.framesCaptured += 1
                let elapsed = capturedAt - start
                let changed = !options.changeDetection || detector.shouldEncode(captured, at: Instant.zero + elapsed)
                tick = max(tick + 1, Int((clock.now - start) / interval) + 1)  // never queue up missed ticks
                guard changed || state.keyframeRequested else {
                    report.framesUnchanged += 1
                    continue
                }
                var picture = I420Frame(converting: captured)
                if options.stampFrameNumbers { FrameStamp.paint(number, into: &picture) }
                report.convertMilliseconds.append((clock.now - capturedAt).milliseconds)
                // RFC 7741 §4.1: a 90 kHz clock, from the capture instant.
                let rtpTimestamp = UInt32(truncatingIfNeeded: elapsed.nanoseconds * 9 / 100_000)
                let gap = lastEncodedAt.map { min(elapsed - $0, interval * 2) } ?? .zero
                lastEncodedAt = elapsed
                encoderClock += gap.nanoseconds * 9 / 100_000
                let encodeStart = clock.now
                let frames = try encoder.encode(picture, pts: encoderClock, keyframe: state.keyframeRequested)
                report.encodeMilliseconds.append((clock.now - encodeStart).milliseconds)
                for frame in frames {
                    // Told before the frame leaves: a receiver in the same process may show it at once.
                    onSent?(SentVideoFrame(number: number, rtpTimestamp: rtpTimestamp, capturedAt: capturedAt,
                                           isKeyframe: frame.isKeyframe, bytes: frame.data.count, picture: picture))
                    connection.sendVideoFrame(frame.data, rtpTimestamp: rtpTimestamp, isKeyframe: frame.isKeyframe, mid: mid)
                    report.framesSent += 1
                    report.bytesSent += frame.data.count
                    if frame.isKeyframe { report.keyframes += 1 }
                }
                number += 1
            }
            return report
        }
    }
}
