import Media
import MediaTransport
import TandemBase

/// The viewer end of a video stream without a screen: decodes the frames the receive stream hands
/// out, never shows a picture the decoder refuses, and keeps what was seen (frames, rate, freezes and,
/// when the source is known, PSNR). Owned by one task.
public final class VideoPlayback {
    /// Finds the source picture a decoded one shows (e.g. from its frame stamp), for PSNR.
    public typealias ReferenceLookup = @Sendable (I420Frame) -> I420Frame?

    public enum Outcome {
        /// A new picture to show.
        case shown(I420Frame)
        /// A frame the decoder took that shows nothing new (a VP8 frame with show_frame = 0).
        case hidden
        /// The decoder refused the frame: the sender must send a key frame.
        case refused
    }

    private let decoder: VP8Decoder
    private let reference: ReferenceLookup?
    public private(set) var statistics: PlaybackStatistics

    public init(freezeThreshold: Duration = .milliseconds(300), reference: ReferenceLookup? = nil) throws {
        decoder = try VP8Decoder(threads: 2)
        statistics = PlaybackStatistics(freezeThreshold: freezeThreshold)
        self.reference = reference
    }

    /// Decodes one frame.
    public func handle(_ frame: VP8Frame, at now: Instant) -> Outcome {
        if frame.followsSkippedFrames { decoder.signalMissingFrames() }
        switch decoder.decode(frame.data) {
        case let .picture(picture):
            let psnr = reference?(picture).flatMap { picture.psnr(against: $0) }
            statistics.frameShown(at: now, psnr: psnr)
            return .shown(picture)
        case .hidden:
            return .hidden
        case .corrupted, .undecodable:
            statistics.frameRefused()
            return .refused
        }
    }
}
