import ArgumentParser
import CMediaShims
import CVPX
import Media
import TandemBase

/// `tandem-bench vp8`: encode time and bitrate of `VP8Encoder` against libvpx called directly
/// with the same configuration and controls, on the same synthetic desktop frames in one run.
struct VP8Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vp8",
        abstract: "VP8 encode ms/frame and bits/s: VP8Encoder versus libvpx called directly (same settings, same frames)."
    )

    @Option(help: "Picture width.")
    var width = 1920

    @Option(help: "Picture height.")
    var height = 1080

    @Option(help: "Desktop content: \(SyntheticScreen.Content.allCases.map(\.rawValue).joined(separator: ", ")).")
    var content = "typing"

    @Option(help: "Frames to encode.")
    var frames = 300

    @Option(help: "Frames per second (sets the timestamps and the rate control's frame budget).")
    var fps = 30

    @Option(help: "Target bitrate in bits per second.")
    var bitrate = 2_500_000

    @Option(help: "libvpx cpu-used; the default is chosen by resolution.")
    var cpuUsed: Int?

    @Option(help: "Encoder threads; the default is chosen by resolution.")
    var threads: Int?

    @Flag(help: "Also run VP8Encoder behind a ScreenChangeDetector (unchanged frames skipped, refresh every second).")
    var changeDetection = false

    mutating func validate() throws {
        guard SyntheticScreen.Content(rawValue: content) != nil else { throw ValidationError("unknown --content \(content)") }
        guard frames > 0, fps > 0, bitrate > 0, width >= 32, height >= 32 else {
            throw ValidationError("--frames, --fps and --bitrate must be positive, the picture at least 32x32")
        }
    }

    mutating func run() throws {
        guard let content = SyntheticScreen.Content(rawValue: content) else { return }
        let settings = VP8EncoderSettings(width: width, height: height, bitrate: bitrate, frameRate: fps,
                                          cpuUsed: cpuUsed, threads: threads)
        let screen = SyntheticScreen(width: width, height: height, content: content)
        let wrapped = try VP8Encoder(settings: settings)
        let direct = try DirectVP8Encoder(settings: settings)
        let detected = changeDetection ? try VP8Encoder(settings: settings) : nil
        var detector = ScreenChangeDetector()
        var detectedFrames = 0, detectedBytes = 0
        var wrappedTimes: [Double] = [], directTimes: [Double] = []
        var wrappedBytes = 0, directBytes = 0, wrappedKeyframe = 0, directKeyframe = 0
        let clock = ContinuousClock()
        print("vp8: \(width)x\(height) \(content.rawValue), \(frames) frames at \(fps) fps, target \(bitrate) bit/s,"
              + " cpu-used \(settings.cpuUsed), \(settings.threads) thread(s), \(String(cString: vpx_codec_version_str()))")
        for index in 0..<frames {
            // The picture is made and converted outside the clock; the two encoders alternate
            // which one goes first so that neither always meets a warmer cache.
            let picture = I420Frame(converting: screen.frame(index))
            let pts = Int64(index) * VP8Encoder.clockRate / Int64(fps)
            func timeWrapped() throws {
                var output: [VP8EncodedFrame] = []
                let elapsed = try clock.measure { output = try wrapped.encode(picture, pts: pts) }
                wrappedTimes.append(Self.milliseconds(elapsed))
                for frame in output {
                    wrappedBytes += frame.data.count
                    if frame.isKeyframe { wrappedKeyframe = max(wrappedKeyframe, frame.data.count) }
                }
            }
            func timeDirect() throws {
                var sizes: (total: Int, keyframe: Int) = (0, 0)
                let elapsed = try clock.measure { sizes = try direct.encode(picture, pts: pts) }
                directTimes.append(Self.milliseconds(elapsed))
                directBytes += sizes.total
                directKeyframe = max(directKeyframe, sizes.keyframe)
            }
            if index % 2 == 0 { try timeWrapped(); try timeDirect() } else { try timeDirect(); try timeWrapped() }
            if let detected, detector.shouldEncode(screen.frame(index), at: .zero + .nanoseconds(pts * 1_000_000_000 / 90_000)) {
                detectedFrames += 1
                detectedBytes += try detected.encode(picture, pts: pts).reduce(0) { $0 + $1.data.count }
            }
        }
        let seconds = Double(frames) / Double(fps)
        let (wrappedSummary, directSummary) = (Summary(wrappedTimes), Summary(directTimes))
        let wrappedMean = wrappedTimes.reduce(0, +) / Double(frames), directMean = directTimes.reduce(0, +) / Double(frames)
        print("encoder             mean ms/frame  median   p90      bits/s        largest key frame")
        for (name, mean, summary, bytes, keyframe) in [("libvpx direct", directMean, directSummary, directBytes, directKeyframe),
                                                       ("VP8Encoder", wrappedMean, wrappedSummary, wrappedBytes, wrappedKeyframe)] {
            print(name + String(repeating: " ", count: max(0, 18 - name.count)) + " \(pad(format(mean, decimals: 3), 13)) \(pad(format(summary.median, decimals: 3), 7))"
                  + " \(pad(format(summary.p90, decimals: 3), 7)) \(pad(format(Double(bytes * 8) / seconds, decimals: 0), 12))"
                  + " \(pad("\(keyframe) B", 14))")
        }
        print("VP8Encoder/direct: \(format(wrappedMean / directMean * 100, decimals: 1)) % of the direct mean encode time (target <= 110 %)")
        if changeDetection {
            print("with change detection: \(detectedFrames) of \(frames) frames encoded,"
                  + " \(format(Double(detectedBytes * 8) / seconds, decimals: 0)) bits/s")
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}

/// libvpx driven with nothing in between: the reference the wrapper is measured against. It
/// takes `VP8Encoder`'s configuration and controls, so both encode with the same settings.
final class DirectVP8Encoder {
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private let settings: VP8EncoderSettings
    private var image = vpx_image_t()

    init(settings: VP8EncoderSettings) throws {
        self.settings = settings
        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        var configuration = vpx_codec_enc_cfg_t()
        guard tandem_media_vp8_encoder_config_default(&configuration) == VPX_CODEC_OK else {
            throw ValidationError("vpx_codec_enc_config_default failed")
        }
        VP8Encoder.apply(settings, to: &configuration)
        guard tandem_media_vp8_encoder_init(context, &configuration, 0) == VPX_CODEC_OK else {
            throw ValidationError("vpx_codec_enc_init failed")
        }
        for (control, value) in VP8Encoder.controls(for: settings) {
            guard tandem_media_vpx_control_int(context, control, value) == VPX_CODEC_OK else {
                throw ValidationError("vpx_codec_control(\(control)) failed")
            }
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Encodes one picture; returns the bytes produced and the size of a key frame among them.
    func encode(_ frame: I420Frame, pts: Int64) throws -> (total: Int, keyframe: Int) {
        let duration = UInt(VP8Encoder.clockRate) / UInt(settings.frameRate)
        let status = frame.y.withUnsafeBufferPointer { y in
            frame.u.withUnsafeBufferPointer { u in
                frame.v.withUnsafeBufferPointer { v in
                    let base = UnsafeMutablePointer(mutating: y.baseAddress)
                    vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(frame.width), UInt32(frame.height), 1, base)
                    image.planes.1 = UnsafeMutablePointer(mutating: u.baseAddress)
                    image.planes.2 = UnsafeMutablePointer(mutating: v.baseAddress)
                    image.stride.0 = Int32(frame.width)
                    image.stride.1 = Int32(frame.chromaWidth)
                    image.stride.2 = Int32(frame.chromaWidth)
                    return vpx_codec_encode(context, &image, pts, duration, 0, UInt(VPX_DL_REALTIME))
                }
            }
        }
        guard status == VPX_CODEC_OK else { throw ValidationError("vpx_codec_encode failed") }
        var total = 0, keyframe = 0
        var iterator: vpx_codec_iter_t? = nil
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let output = packet.pointee.data.frame
            total += output.sz
            if output.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0 { keyframe = output.sz }
        }
        return (total, keyframe)
    }
}
