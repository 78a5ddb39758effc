/// A point on a monotonic timeline, in nanoseconds from an arbitrary origin.
///
/// Protocol cores never read a clock (design notes §2): whoever drives them says what time it is,
/// so tests can run seconds of protocol on a virtual clock in microseconds.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds + d.nanoseconds) }
    public static func - (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds - d.nanoseconds) }
    public static func += (a: inout Instant, d: Duration) { a = a + d }
    public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }

    public var description: String { "t+\(Double(nanoseconds) / 1e6)ms" }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating far outside any protocol timer's range).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in (fractional) milliseconds, for reports and statistics.
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }
}

extension Optional where Wrapped == Instant {
    /// The earlier of two optional deadlines; `nil` means "no deadline".
    public func earliest(_ other: Instant?) -> Instant? {
        switch (self, other) {
        case let (a?, b?): Swift.min(a, b)
        case let (a?, nil): a
        case let (nil, b): b
        }
    }
}
