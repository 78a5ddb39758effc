import CMediaShims
import CVPX

/// One compressed VP8 frame as libvpx produced it.
public struct VP8EncodedFrame: Equatable, Sendable {
    public var data: [UInt8]
    public var isKeyframe: Bool
    /// Presentation time in 90 kHz units (the RTP clock of VP8, RFC 7741 §4.1).
    public var pts: Int64
}

/// A realtime VP8 encoder over libvpx, tuned for screen content: one-pass CBR, no lag,
/// error resilient, screen-content mode, key frames on request, live bitrate and frame-rate
/// changes. Input is I420 at the configured size. Owned by one caller (not Sendable).
public final class VP8Encoder {
    /// Time base of `pts`: the 90 kHz RTP clock.
    public static let clockRate: Int64 = 90_000

    public private(set) var settings: VP8EncoderSettings
    /// libvpx keeps pointers into the context, so it lives on the heap at a fixed address.
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private var configuration = vpx_codec_enc_cfg_t()
    private var image = vpx_image_t()
    private var keyframePending = false

    public init(settings: VP8EncoderSettings) throws(VPXError) {
        self.settings = settings
        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        do {
            try VPXError.check(tandem_media_vp8_encoder_config_default(&configuration), "vpx_codec_enc_config_default")
            Self.apply(settings, to: &configuration)
            try VPXError.check(tandem_media_vp8_encoder_init(context, &configuration, 0), "vpx_codec_enc_init", context: context)
        } catch {
            context.deallocate()
            throw error
        }
        do {
            try applyControls()
        } catch {
            vpx_codec_destroy(context)
            context.deallocate()
            throw error
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// The libvpx configuration for `settings` (also used by the benchmark's direct reference).
    public static func apply(_ settings: VP8EncoderSettings, to configuration: inout vpx_codec_enc_cfg_t) {
        configuration.g_w = UInt32(settings.width)
        configuration.g_h = UInt32(settings.height)
        configuration.g_timebase = vpx_rational(num: 1, den: Int32(clockRate))
        configuration.g_threads = UInt32(max(1, settings.threads))
        configuration.g_error_resilient = vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT)
        configuration.g_lag_in_frames = 0
        configuration.g_pass = VPX_RC_ONE_PASS
        configuration.rc_end_usage = VPX_CBR
        configuration.rc_target_bitrate = UInt32(max(1, settings.bitrate / 1000))
        configuration.rc_min_quantizer = UInt32(settings.minQuantizer)
        configuration.rc_max_quantizer = UInt32(settings.maxQuantizer)
        configuration.rc_undershoot_pct = 100
        configuration.rc_overshoot_pct = 15
        configuration.rc_buf_initial_sz = 500
        configuration.rc_buf_optimal_sz = 600
        configuration.rc_buf_sz = 1000
        configuration.rc_dropframe_thresh = 0
        configuration.kf_mode = VPX_KF_AUTO
        configuration.kf_min_dist = 0
        configuration.kf_max_dist = UInt32(max(1, settings.keyframeInterval))
    }

    /// The codec controls for `settings`, as (control id, value) pairs applied after init.
    public static func controls(for settings: VP8EncoderSettings) -> [(control: Int32, value: Int32)] {
        // Key frames may take several times the per-frame budget, scaled by the frame rate and
        // the 600 ms optimal buffer (the rule WebRTC's VP8 wrapper uses), at least 300 %.
        let maxIntraPercent = max(300, 600 * settings.frameRate / 20)
        return [
            (Int32(VP8E_SET_CPUUSED.rawValue), Int32(settings.cpuUsed)),
            (Int32(VP8E_SET_SCREEN_CONTENT_MODE.rawValue), settings.screenContent ? 1 : 0),
            (Int32(VP8E_SET_NOISE_SENSITIVITY.rawValue), 0),
            (Int32(VP8E_SET_STATIC_THRESHOLD.rawValue), 1),
            (Int32(VP8E_SET_MAX_INTRA_BITRATE_PCT.rawValue), Int32(maxIntraPercent)),
        ]
    }

    private func applyControls() throws(VPXError) {
        for (control, value) in Self.controls(for: settings) {
            try VPXError.check(tandem_media_vpx_control_int(context, control, value), "vpx_codec_control(\(control))",
                               context: context)
        }
    }

    /// Makes the next encoded frame a key frame (a PLI or FIR from a receiver, RFC 5104 §3.5.1).
    public func requestKeyframe() {
        keyframePending = true
    }

    /// Changes the target bitrate (bits per second) from the next frame on.
    public func setBitrate(_ bitsPerSecond: Int) throws(VPXError) {
        settings.bitrate = bitsPerSecond
        configuration.rc_target_bitrate = UInt32(max(1, bitsPerSecond / 1000))
        try VPXError.check(vpx_codec_enc_config_set(context, &configuration), "vpx_codec_enc_config_set", context: context)
    }

    /// Changes the frame rate that rate control plans for; frames are then `clockRate / fps` apart.
    public func setFrameRate(_ framesPerSecond: Int) throws(VPXError) {
        settings.frameRate = max(1, framesPerSecond)
        let maxIntraPercent = max(300, 600 * settings.frameRate / 20)
        try VPXError.check(
            tandem_media_vpx_control_int(context, Int32(VP8E_SET_MAX_INTRA_BITRATE_PCT.rawValue), Int32(maxIntraPercent)),
            "vpx_codec_control(VP8E_SET_MAX_INTRA_BITRATE_PCT)", context: context)
    }

    /// Encodes one picture shown at `pts` (90 kHz units); returns the frames libvpx produced
    /// (one, or none if rate control dropped it). A key frame is made if one was requested
    /// or `keyframe` is true.
    public func encode(_ frame: I420Frame, pts: Int64, keyframe: Bool = false) throws(VPXError) -> [VP8EncodedFrame] {
        guard frame.width == settings.width, frame.height == settings.height else {
            throw VPXError("encode \(frame.width)x\(frame.height) into a \(settings.width)x\(settings.height) encoder",
                           VPX_CODEC_INVALID_PARAM)
        }
        let flags: vpx_enc_frame_flags_t = keyframe || keyframePending ? vpx_enc_frame_flags_t(VPX_EFLAG_FORCE_KF) : 0
        keyframePending = false
        let duration = UInt(Self.clockRate) / UInt(settings.frameRate)
        let status = frame.y.withUnsafeBufferPointer { y in
            frame.u.withUnsafeBufferPointer { u in
                frame.v.withUnsafeBufferPointer { v in
                    let base = UnsafeMutablePointer(mutating: y.baseAddress)
                    vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(frame.width), UInt32(frame.height), 1, base)
                    image.planes.0 = base
                    image.planes.1 = UnsafeMutablePointer(mutating: u.baseAddress)
                    image.planes.2 = UnsafeMutablePointer(mutating: v.baseAddress)
                    image.stride.0 = Int32(frame.width)
                    image.stride.1 = Int32(frame.chromaWidth)
                    image.stride.2 = Int32(frame.chromaWidth)
                    return vpx_codec_encode(context, &image, pts, duration, flags, UInt(VPX_DL_REALTIME))
                }
            }
        }
        try VPXError.check(status, "vpx_codec_encode", context: context)
        return drainPackets()
    }

    private func drainPackets() -> [VP8EncodedFrame] {
        var frames: [VP8EncodedFrame] = []
        var iterator: vpx_codec_iter_t? = nil
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let output = packet.pointee.data.frame
            let bytes = UnsafeRawBufferPointer(start: output.buf, count: output.sz)
            frames.append(VP8EncodedFrame(
                data: Array(bytes), isKeyframe: output.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0,
                pts: output.pts))
        }
        return frames
    }
}
