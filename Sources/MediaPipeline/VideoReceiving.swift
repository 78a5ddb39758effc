import Media
import MediaTransport
import TandemBase
import TandemRuntime

/// A picture that was decoded and shown.
public struct ReceivedVideoFrame: Sendable {
    public var picture: I420Frame
    public var rtpTimestamp: UInt32
    /// When the decoder was done with the frame, and how long decoding took.
    public var decodedAt: ContinuousClock.Instant
    public var decodeDuration: Duration
}

/// Receives and decodes one video track on the decoding thread: every frame the Peer hands out is
/// decoded, a frame the decoder refuses is never shown and asks for a key frame, and what was seen is
/// counted (frames, rate, freezes, PSNR against a known source).
@available(macOS 15.0, *)
public enum VideoReceiver {
    /// Runs until the connection's frame stream ends or the task is cancelled; consumes the connection's
    /// `incomingVideoFrames`. `onFrame` sees each shown picture (a viewer, a snapshot, a test).
    /// `onReady` is called once the decoder is set up.
    public static func run(connection: PeerConnection, mid: String, freezeThreshold: Duration = .milliseconds(300),
                           reference: VideoPlayback.ReferenceLookup? = nil, onReady: (@Sendable () -> Void)? = nil,
                           onFrame: (@Sendable (ReceivedVideoFrame) -> Void)? = nil) async throws -> PlaybackStatistics {
        try await withTaskExecutorPreference(MediaThreads.decoding) {
            let playback = try VideoPlayback(freezeThreshold: freezeThreshold, reference: reference)
            onReady?()
            let clock = ContinuousClock()
            let start = clock.now
            for await incoming in connection.incomingVideoFrames where incoming.mid == mid {
                let decodeStart = clock.now
                switch playback.handle(incoming.frame, at: Instant.zero + (decodeStart - start)) {
                case let .shown(picture):
                    let decodedAt = clock.now
                    connection.videoFrameDecoded(mid: mid, shown: true)
                    onFrame?(ReceivedVideoFrame(picture: picture, rtpTimestamp: incoming.frame.rtpTimestamp, decodedAt: decodedAt,
                                                decodeDuration: decodedAt - decodeStart))
                case .hidden:
                    connection.videoFrameDecoded(mid: mid, shown: true)
                case .refused:
                    connection.videoFrameDecoded(mid: mid, shown: false)
                }
            }
            return playback.statistics
        }
    }
}
