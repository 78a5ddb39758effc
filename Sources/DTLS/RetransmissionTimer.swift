import TandemBase

/// The handshake retransmission timer in virtual time (RFC 6347 §4.2.4.1): armed when a flight goes out,
/// doubled after each retransmission up to a ceiling, disarmed when the peer's answer (or the end of the
/// handshake) arrives.
///
/// The initial value is 1 s, RFC 6347's recommendation, which is also what OpenSSL and pion use; shorter
/// first timeouts (some browsers start near 400 ms and adapt to the RTT) only help on lossy first flights.
struct RetransmissionTimer {
    let initialTimeout: Duration
    let maximumTimeout: Duration
    private(set) var deadline: Instant?
    private var current: Duration

    init(initialTimeout: Duration, maximumTimeout: Duration = .seconds(60)) {
        self.initialTimeout = initialTimeout
        self.maximumTimeout = maximumTimeout
        self.current = initialTimeout
    }

    /// A new flight was sent: its timer starts from the initial value.
    mutating func arm(at now: Instant) {
        current = initialTimeout
        deadline = now + current
    }

    /// The flight was retransmitted: wait twice as long (RFC 6347 §4.2.4.1), at most `maximumTimeout`.
    mutating func backOff(at now: Instant) {
        current = min(current * 2, maximumTimeout)
        deadline = now + current
    }

    mutating func disarm() { deadline = nil }

    func hasExpired(at now: Instant) -> Bool {
        guard let deadline else { return false }
        return now >= deadline
    }
}
