#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TandemBase

/// Decides which captured pictures are worth encoding: one that differs from the last one
/// encoded, or the same picture again once the refresh interval has passed (so a receiver that lost
/// the last frame still converges, and each refresh sharpens the picture). The interval starts at
/// `refreshInterval` after a change and doubles with each refresh of an unchanged picture, up to
/// `maximumRefreshInterval`: a still desktop then costs a frame every few seconds, where libvpx's
/// rate control would spend a frame's budget on every unchanged picture.
public struct ScreenChangeDetector: Sendable {
    public let refreshInterval: Duration
    public let maximumRefreshInterval: Duration
    private var lastEncoded: BGRAFrame?
    private var lastEncodedAt: Instant?
    private var currentInterval: Duration

    public init(refreshInterval: Duration = .seconds(1), maximumRefreshInterval: Duration = .seconds(8)) {
        self.refreshInterval = refreshInterval
        self.maximumRefreshInterval = max(refreshInterval, maximumRefreshInterval)
        currentInterval = refreshInterval
    }

    /// Whether to encode `frame`, captured at `now`; if so it becomes the reference for the next call.
    public mutating func shouldEncode(_ frame: BGRAFrame, at now: Instant) -> Bool {
        let unchanged = Self.samePixels(frame, lastEncoded)
        if unchanged {
            guard let lastEncodedAt, now - lastEncodedAt >= currentInterval else { return false }
            currentInterval = min(currentInterval * 2, maximumRefreshInterval)
        } else {
            currentInterval = refreshInterval
        }
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
