import CMediaShims
import CVPX

/// What the decoder made of one compressed frame.
public enum VP8DecodeResult: Equatable, Sendable {
    /// A picture to show.
    case picture(I420Frame)
    /// The frame decoded but libvpx marks it corrupted (VP8D_GET_FRAME_CORRUPTED): a reference
    /// it predicts from was lost or damaged. Not to be shown; ask for a key frame.
    case corrupted
    /// The frame could not be decoded (damaged data, or a delta frame before any key frame).
    case undecodable(VPXError)
    /// The frame decoded but is not meant to be shown (show_frame = 0).
    case hidden
}

/// A VP8 decoder over libvpx that never hands out a picture it knows to be wrong.
///
/// libvpx cannot tell that a whole frame is missing, so the caller (the jitter buffer, from the
/// picture ids) says so with `signalMissingFrames()`. The decoder then tracks which of the three
/// VP8 reference buffers (last, golden, altref; RFC 6386 §9.7) may hold a wrong picture: a frame
/// predicted from one of them is `.corrupted`, and so is every buffer it refreshes, until a key
/// frame or an intact refresh repairs them. libvpx's own VP8D_GET_FRAME_CORRUPTED covers damage
/// inside a frame. Owned by one caller (not Sendable).
public final class VP8Decoder {
    private static let allReferences = Int32(VP8_LAST_FRAME.rawValue | VP8_GOLD_FRAME.rawValue | VP8_ALTR_FRAME.rawValue)

    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private var sawKeyframe = false
    /// VP8_LAST_FRAME | VP8_GOLD_FRAME | VP8_ALTR_FRAME bits of the buffers that may be wrong.
    private var corruptedReferences = VP8Decoder.allReferences

    public init(threads: Int = 1) throws(VPXError) {
        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        var configuration = vpx_codec_dec_cfg_t(threads: UInt32(max(1, threads)), w: 0, h: 0)
        do {
            try VPXError.check(tandem_media_vp8_decoder_init(context, &configuration, 0), "vpx_codec_dec_init",
                               context: context)
        } catch {
            context.deallocate()
            throw error
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Says that one or more frames were lost before the next one. Any reference buffer may have
    /// been refreshed by the lost frames, so all are treated as wrong until repaired.
    public func signalMissingFrames() {
        corruptedReferences = Self.allReferences
    }

    /// Decodes one complete compressed frame.
    public func decode(_ frame: [UInt8]) -> VP8DecodeResult {
        guard !frame.isEmpty else {
            return .undecodable(VPXError("vpx_codec_decode of an empty frame", VPX_CODEC_CORRUPT_FRAME))
        }
        // RFC 6386 §9.1: bit 0 of the frame tag is 0 for a key frame.
        let isKeyframe = frame[0] & 0x01 == 0
        // libvpx accepts a delta frame before any key frame and shows grey; refuse it instead.
        guard isKeyframe || sawKeyframe else {
            return .undecodable(VPXError("vpx_codec_decode of a delta frame before any key frame", VPX_CODEC_UNSUP_BITSTREAM))
        }
        let status = frame.withUnsafeBufferPointer { bytes in
            vpx_codec_decode(context, bytes.baseAddress, UInt32(bytes.count), nil, 0)
        }
        guard status == VPX_CODEC_OK else {
            drainPictures()
            corruptedReferences = Self.allReferences
            return .undecodable(VPXError("vpx_codec_decode", status, context: context))
        }
        if isKeyframe {
            sawKeyframe = true
            corruptedReferences = 0
        }
        var corrupted: Int32 = 0, used: Int32 = 0, updated: Int32 = 0
        let queries = [
            tandem_media_vpx_control_get_int(context, Int32(VP8D_GET_FRAME_CORRUPTED.rawValue), &corrupted),
            tandem_media_vpx_control_get_int(context, Int32(VP8D_GET_LAST_REF_USED.rawValue), &used),
            tandem_media_vpx_control_get_int(context, Int32(VP8D_GET_LAST_REF_UPDATES.rawValue), &updated),
        ]
        let picture = drainPictures()
        let isCorrupted = queries.contains { $0 != VPX_CODEC_OK } || corrupted != 0 || used & corruptedReferences != 0
        if isCorrupted {
            corruptedReferences |= updated
            return .corrupted
        }
        corruptedReferences &= ~updated
        guard let picture else { return .hidden }
        return .picture(picture)
    }
    /// Copies out the last picture libvpx has ready (normally one per frame).
    @discardableResult
    private func drainPictures() -> I420Frame? {
        var iterator: vpx_codec_iter_t? = nil
        var last: I420Frame?
        while let image = vpx_codec_get_frame(context, &iterator) {
            last = Self.copy(image.pointee)
        }
        return last
    }

    private static func copy(_ image: vpx_image_t) -> I420Frame? {
        let width = Int(image.d_w), height = Int(image.d_h)
        guard width > 0, height > 0, image.fmt == VPX_IMG_FMT_I420 else { return nil }
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        func plane(_ pointer: UnsafeMutablePointer<UInt8>?, stride: Int32, width: Int, height: Int) -> [UInt8] {
            guard let pointer else { return [UInt8](repeating: 0, count: width * height) }
            var bytes = [UInt8](repeating: 0, count: width * height)
            bytes.withUnsafeMutableBufferPointer { destination in
                for row in 0..<height {
                    let source = UnsafeBufferPointer(start: pointer + row * Int(stride), count: width)
                    _ = UnsafeMutableBufferPointer(rebasing: destination[row * width..<(row + 1) * width])
                        .initialize(from: source)
                }
            }
            return bytes
        }
        return I420Frame(
            width: width, height: height,
            y: plane(image.planes.0, stride: image.stride.0, width: width, height: height),
            u: plane(image.planes.1, stride: image.stride.1, width: chromaWidth, height: chromaHeight),
            v: plane(image.planes.2, stride: image.stride.2, width: chromaWidth, height: chromaHeight))
    }
}
