/// Failed attempts counted per key (a user, an address, a tenant) over a window, and a lockout once a key reaches
/// its limit: against guessing session codes and passwords (design notes §4). Owned by one caller.
public struct AttemptLimiter: Sendable {
    struct Counter {
        var windowStart: Int64
        var count: Int
        var lockedUntil: Int64?
    }

    /// Failures are counted over this window (milliseconds).
    public let windowMilliseconds: Int64
    /// How long a key stays locked once it reaches its limit (milliseconds).
    public let lockoutMilliseconds: Int64
    private var counters: [String: Counter] = [:]

    public init(windowMilliseconds: Int64, lockoutMilliseconds: Int64) {
        self.windowMilliseconds = windowMilliseconds
        self.lockoutMilliseconds = lockoutMilliseconds
    }

    /// The latest time until which one of `keys` is locked, or nil when none is.
    public func lockedUntil(_ keys: [String], now: Int64) -> Int64? {
        keys.compactMap { counters[$0]?.lockedUntil }.filter { $0 > now }.max()
    }

    /// Counts a failure against every key; a key whose count reaches its limit is locked.
    public mutating func recordFailure(_ keys: [(key: String, limit: Int)], now: Int64) {
        for (key, limit) in keys {
            var counter = counters[key] ?? Counter(windowStart: now, count: 0, lockedUntil: nil)
            if now - counter.windowStart > windowMilliseconds {
                counter = Counter(windowStart: now, count: 0, lockedUntil: nil)
            }
            counter.count += 1
            if counter.count >= limit { counter.lockedUntil = now + lockoutMilliseconds }
            counters[key] = counter
        }
    }

    /// Forgets counters whose window and lockout are over.
    public mutating func purge(now: Int64) {
        counters = counters.filter { _, counter in
            now - counter.windowStart <= windowMilliseconds || (counter.lockedUntil ?? 0) > now
        }
    }
}
