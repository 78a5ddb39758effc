/// A 64-bit NTP timestamp: seconds since 1900-01-01 and a 32-bit binary fraction (RFC 3550 §4).
///
/// Built from a wall-clock reading the caller passes in; nothing here reads a clock.
public struct NTPTimestamp: Equatable, Hashable, Comparable, Sendable {
    /// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
    public static let unixEpochOffsetSeconds: Int64 = 2_208_988_800

    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(seconds: UInt32, fraction: UInt32) {
        rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// The NTP time of a wall-clock instant given as time since the Unix epoch.
    public init(sinceUnixEpoch: Duration) {
        let nanoseconds = sinceUnixEpoch.nanoseconds
        let seconds = nanoseconds.quotientAndRemainderFloored(by: 1_000_000_000)
        let ntpSeconds = UInt32(truncatingIfNeeded: seconds.quotient + Self.unixEpochOffsetSeconds)
        // fraction = remainder / 1e9 · 2^32, rounded down.
        let fraction = UInt32((UInt64(seconds.remainder) << 32) / 1_000_000_000)
        self.init(seconds: ntpSeconds, fraction: fraction)
    }

    public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// The middle 32 bits (16.16 fixed point seconds), as used by LSR and DLSR (RFC 3550 §6.4.1).
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    /// Time since the Unix epoch, for timestamps within the current NTP era.
    public var sinceUnixEpoch: Duration {
        let nanoseconds = (UInt64(fraction) * 1_000_000_000) >> 32
        return .seconds(Int64(seconds) - Self.unixEpochOffsetSeconds) + .nanoseconds(Int64(nanoseconds))
    }

    public static func < (a: NTPTimestamp, b: NTPTimestamp) -> Bool { a.rawValue < b.rawValue }
}

extension Int64 {
    fileprivate func quotientAndRemainderFloored(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (q, r) = quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}

/// Round-trip time from a reception report about our own stream (RFC 3550 §6.4.1):
/// RTT = A − LSR − DLSR, where A is the middle 32 bits of the NTP time the report arrived.
public enum RoundTripTime {
    /// Nil when the report block carries no LSR (the peer has had no SR from us yet) or when the
    /// result would be negative (clock steps or a corrupt report).
    public static func compute(reportBlock: RTCPReportBlock, arrival: NTPTimestamp) -> Duration? {
        guard reportBlock.lastSenderReport != 0 else { return nil }
        let units = Int32(bitPattern: arrival.middle32 &- reportBlock.lastSenderReport &- reportBlock.delaySinceLastSenderReport)
        guard units >= 0 else { return nil }
        return .nanoseconds((Int64(units) * 1_000_000_000) >> 16)
    }
}
