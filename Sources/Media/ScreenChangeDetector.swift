#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TandemBase

/// Decides which captured pictures are worth encoding: one that differs from the last one
/// encoded, or any once `refreshInterval` has passed without one (so a receiver that lost the
/// last frame still converges). An unchanged screen then costs a frame per interval instead of
/// a stream of frames that libvpx, in error-resilient mode, codes at about a byte per macroblock.
public struct ScreenChangeDetector: Sendable {
    public let refreshInterval: Duration
    private var lastEncoded: BGRAFrame?
    private var lastEncodedAt: Instant?

    public init(refreshInterval: Duration = .seconds(1)) {
        self.refreshInterval = refreshInterval
    }

    /// Whether to encode `frame`, captured at `now`; if so it becomes the reference for the next call.
    public mutating func shouldEncode(_ frame: BGRAFrame, at now: Instant) -> Bool {
        let due = lastEncodedAt.map { now - $0 >= refreshInterval } ?? true
        guard due || !Self.samePixels(frame, lastEncoded) else { return false }
        lastEncoded = frame
        lastEncodedAt = now
        return true
    }

    /// Byte equality of the visible pixels (rows compared with memcmp; stride padding ignored).
    static func samePixels(_ a: BGRAFrame, _ b: BGRAFrame?) -> Bool {
        guard let b, a.width == b.width, a.height == b.height else { return false }
        let rowBytes = a.width * 4
        return a.pixels.withUnsafeBytes { left in
            b.pixels.withUnsafeBytes { right in
                guard let left = left.baseAddress, let right = right.baseAddress else { return false }
                for row in 0..<a.height where memcmp(left + row * a.stride, right + row * b.stride, rowBytes) != 0 {
                    return false
                }
                return true
            }
        }
    }
}
