import CMediaShims
import CVPX

/// A libvpx call that failed: the operation, libvpx's error code and its description.
public struct VPXError: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public let detail: String

    init(_ operation: String, _ code: vpx_codec_err_t, context: UnsafeMutablePointer<vpx_codec_ctx_t>? = nil) {
        self.operation = operation
        self.code = Int32(bitPattern: code.rawValue)
        var detail = String(cString: vpx_codec_err_to_string(code))
        if let context, let extra = vpx_codec_error_detail(context) {
            detail += ": " + String(cString: extra)
        }
        self.detail = detail
    }

    /// Throws unless `code` is VPX_CODEC_OK.
    static func check(_ code: vpx_codec_err_t, _ operation: String,
                      context: UnsafeMutablePointer<vpx_codec_ctx_t>? = nil) throws(VPXError) {
        guard code == VPX_CODEC_OK else { throw VPXError(operation, code, context: context) }
    }

    public var description: String { "\(operation) failed: \(detail)" }
}
