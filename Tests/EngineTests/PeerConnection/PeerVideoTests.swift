import Media
import MediaPipeline
import MediaTransport
import NetworkSimulation
import PeerConnection
import TandemBase
import Testing

/// A screen-sharing call between two sans-IO Peers on virtual time: the offerer encodes the synthetic
/// desktop with the real VP8 encoder at 30 fps, following the Peer's key frame requests and bitrate
/// estimate; the answerer decodes what its Peer hands out and reports each outcome back. Every picture
/// carries its number (`FrameStamp`), so each one shown is compared with its source.
final class VideoCall {
    struct Report {
        var framesEncoded = 0
        var keyframesEncoded = 0
        var keyframeRequestsSeen = 0
        var statistics: PlaybackStatistics
        /// Pictures shown whose stamp could not be read or matched no source (a damaged picture).
        var unmatched = 0
        var keyframesReceived: [Instant] = []
        var targets: [(at: Instant, bitrate: Int)] = []
        var bytesEncoded = 0
    }

    let pair: PeerPair
    let screen: SyntheticScreen
    let encoder: VP8Encoder
    let playback: VideoPlayback
    private let sources = SourceStore()
    private(set) var report: Report
    private var keyframeRequested = false
    private var frameIndex = 0
    let frameInterval = Duration.milliseconds(33)

    init(impairments: LinkImpairments, seed: UInt64 = 11, width: Int = 320, height: Int = 192,
         content: SyntheticScreen.Content = .scrolling) throws {
        pair = try PeerPair(impairments: impairments, seed: seed)
        screen = SyntheticScreen(width: width, height: height, content: content)
        // A fixed speed (negative cpu-used): with a positive one libvpx adapts to the encode time it
        // measures, and a virtual-time run would depend on how busy the machine is.
        encoder = try VP8Encoder(settings: VP8EncoderSettings(width: width, height: height, bitrate: 1_000_000, frameRate: 30, cpuUsed: -8))
        let sources = sources
        playback = try VideoPlayback(reference: { sources.source(of: $0) })
        report = Report(statistics: playback.statistics)
        pair.recordsEvents = false
        pair.onEvent = { [unowned self] side, event in handle(event, on: side) }
        try pair.negotiate(media: .video)
    }

    private func handle(_ event: PeerEvent, on side: PeerPair.Side) {
        switch (side, event) {
        case let (.answerer, .videoFrame(mid, frame)):
            if frame.isKeyframe { report.keyframesReceived.append(pair.now) }
            let shownBefore = playback.statistics.framesShown
            let psnrBefore = playback.statistics.psnrCount
            switch playback.handle(frame, at: pair.now) {
            case .shown, .hidden: pair.answerer.videoFrameDecoded(mid: mid, shown: true, at: pair.now)
            case .refused: pair.answerer.videoFrameDecoded(mid: mid, shown: false, at: pair.now)
            }
            if playback.statistics.framesShown > shownBefore, playback.statistics.psnrCount == psnrBefore { report.unmatched += 1 }
        case (.offerer, .keyframeRequested):
            keyframeRequested = true
            report.keyframeRequestsSeen += 1
        case let (.offerer, .targetBitrateChanged(bitrate)):
            report.targets.append((pair.now, bitrate))
            try? encoder.setBitrate(max(50_000, bitrate))
        default:
            break
        }
    }

    /// Connects, then sends a picture every 33 ms for `duration`; `during` runs before each picture.
    func run(for duration: Duration, during: (VideoCall) throws -> Void = { _ in }) throws -> Report {
        guard pair.run(for: .seconds(10), until: { pair.bothConnected }) else { throw PeerError.notConnected }
        let end = pair.now + duration
        while pair.now < end {
            try during(self)
            try sendPicture()
            pair.run(for: frameInterval)
        }
        pair.run(for: .milliseconds(500))  // what is in flight lands
        report.statistics = playback.statistics
        return report
    }

    func sendPicture() throws {
        var picture = I420Frame(converting: screen.frame(frameIndex))
        FrameStamp.paint(frameIndex, into: &picture)
        sources.record(frameIndex, picture)
        let rtpTimestamp = UInt32(truncatingIfNeeded: frameIndex * 3000)
        let keyframe = keyframeRequested
        keyframeRequested = false
        for frame in try encoder.encode(picture, pts: Int64(rtpTimestamp), keyframe: keyframe) {
            report.framesEncoded += 1
            report.bytesEncoded += frame.data.count
            if frame.isKeyframe { report.keyframesEncoded += 1 }
            try pair.offerer.sendVideoFrame(frame.data, rtpTimestamp: rtpTimestamp, isKeyframe: frame.isKeyframe, mid: pair.mid, at: pair.now)
        }
        frameIndex += 1
        pair.pump()
    }
}

/// Source pictures by number, for PSNR of what was shown.
final class SourceStore: @unchecked Sendable {
    // Used by one test's thread only (the playback's reference lookup runs inside `handle`).
    private var pictures: [Int: I420Frame] = [:]

    func record(_ number: Int, _ picture: I420Frame) {
        pictures[number & 0xFFFF] = picture
        pictures.removeValue(forKey: (number - 200) & 0xFFFF)
    }

    func source(of decoded: I420Frame) -> I420Frame? {
        FrameStamp.read(decoded).flatMap { pictures[$0] }
    }
}

@Suite struct PeerVideoTests {
    /// 50 ms round trip, random loss both ways: NACK and RTX repair most losses, a key frame the rest.
    @Test(arguments: [(0.05, UInt64(1)), (0.10, UInt64(2))])
    func videoKeepsGoingUnderRandomLoss(loss: Double, seed: UInt64) throws {
        let call = try VideoCall(impairments: LinkImpairments(delay: .milliseconds(25), loss: loss), seed: seed)
        let report = try call.run(for: .seconds(4))
        let statistics = report.statistics
        #expect(statistics.framesRefused == 0, "frames the decoder refused: \(statistics.framesRefused)")
        #expect(report.unmatched == 0, "pictures shown that match no source (damaged): \(report.unmatched)")
        #expect(statistics.framesShown >= report.framesEncoded * 9 / 10, "\(statistics.framesShown) of \(report.framesEncoded) shown")
        #expect((statistics.psnrMinimum ?? 0) >= 25, "worst PSNR \(statistics.psnrMinimum ?? 0)")
        #expect(statistics.longestGap <= .milliseconds(300), "longest freeze \(statistics.longestGap)")
        #expect(call.pair.network.counters.lost > 20, "the path really lost packets: \(call.pair.network.counters)")
    }

    /// A 1 Mbit/s bottleneck (drop-tail after 500 ms of queue) and an estimate starting at 1.5 Mbit/s: the
    /// transport-wide feedback brings it under the capacity within 5 s and keeps the queue short.
    @Test func theEstimateSettlesUnderA1MbitBottleneck() throws {
        let impairments = LinkImpairments(delay: .milliseconds(25), bitsPerSecond: 1_000_000)
        let call = try VideoCall(impairments: impairments, seed: 5, width: 640, height: 352, content: .video)
        var settledAt: Instant?
        let report = try call.run(for: .seconds(12)) { call in
            if settledAt == nil, call.pair.now >= .zero + .seconds(6) {
                settledAt = call.pair.now
                call.pair.network.resetCounters()
            }
        }
        let connectedAt = try #require(report.targets.first?.at)
        let late = report.targets.filter { $0.at >= connectedAt + .seconds(5) }.map(\.bitrate)
        let lastEarly = report.targets.last { $0.at < connectedAt + .seconds(5) }?.bitrate
        let settled = late + [lastEarly].compactMap { $0 }
        #expect(!settled.isEmpty)
        #expect(settled.allSatisfy { (400_000...1_100_000).contains($0) }, "targets after 5 s: \(settled)")
        #expect(call.pair.network.counters.worstQueueingDelay <= .milliseconds(200),
                "worst queueing delay after settling: \(call.pair.network.counters.worstQueueingDelay)")
        #expect(report.statistics.framesRefused == 0 && report.unmatched == 0)
        #expect(report.statistics.framesShown > 250, "frames shown: \(report.statistics.framesShown)")
    }

    /// The viewer asks for a key frame; the sender's Peer tells its encoder and the key frame arrives.
    @Test func aKeyframeRequestIsAnswered() throws {
        let call = try VideoCall(impairments: LinkImpairments(delay: .milliseconds(10)))
        var requestedAt: Instant?
        let report = try call.run(for: .seconds(2)) { call in
            if requestedAt == nil, call.pair.now >= .zero + .seconds(1) {
                requestedAt = call.pair.now
                try call.pair.answerer.requestKeyframe(mid: call.pair.mid, at: call.pair.now)
                call.pair.pump()
            }
        }
        let asked = try #require(requestedAt)
        #expect(report.keyframeRequestsSeen == 1)
        #expect(report.keyframesEncoded == 2, "the first frame and the one asked for")
        let answered = try #require(report.keyframesReceived.last)
        #expect(answered > asked && answered - asked < .milliseconds(150), "key frame \(answered - asked) after the request")
    }
}
