import TandemBase

/// A send-side bandwidth estimate in the spirit of Google Congestion Control
/// (draft-ietf-rmcat-gcc-02): a delay-based AIMD controller driven by `DelayBasedDetector`,
/// capped by a loss-based controller (§6) and by any REMB the peer sends. The encoder and the
/// pacer follow `targetBitrate`.
public struct BandwidthEstimator: Sendable {
    public struct Configuration: Equatable, Sendable {
        public var initialBitrate: Int
        public var minBitrate: Int
        public var maxBitrate: Int

        public init(initialBitrate: Int = 1_000_000, minBitrate: Int = 50_000, maxBitrate: Int = 20_000_000) {
            self.initialBitrate = initialBitrate
            self.minBitrate = minBitrate
            self.maxBitrate = maxBitrate
        }
    }

    public let configuration: Configuration
    public private(set) var detector = DelayBasedDetector()
    /// The delay-based estimate (bits per second).
    public private(set) var delayBasedBitrate: Double
    /// The loss-based estimate (bits per second).
    public private(set) var lossBasedBitrate: Double
    /// The peer's REMB, if it sent one.
    public private(set) var remoteLimit: Double?
    /// The throughput the receiver saw over the last feedback window (bits per second).
    public private(set) var acknowledgedBitrate: Double?
    /// Fraction of packets the last feedback reported lost.
    public private(set) var lossFraction = 0.0
    private var lastUpdate: Instant?
    private var lastDecrease: Instant?
    private var lastLossDecrease: Instant?
    /// Throughput measured when the delay controller last backed off: the link's capacity.
    private var capacityEstimate: Double?
    private var roundTripTime: Duration = .milliseconds(100)
    private var recentArrivals: [(arrival: Duration, size: Int)] = []
    private var recentSends: [(sent: Instant, size: Int)] = []
    /// What the sender put on the wire over the last 500 ms of feedback (bits per second).
    public private(set) var sentBitrate: Double?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        delayBasedBitrate = Double(configuration.initialBitrate)
        lossBasedBitrate = Double(configuration.initialBitrate)
    }

    /// The bitrate to send at.
    public var targetBitrate: Int {
        var target = min(delayBasedBitrate, lossBasedBitrate)
        if let remoteLimit { target = min(target, remoteLimit) }
        return Int(min(max(target, Double(configuration.minBitrate)), Double(configuration.maxBitrate)))
    }

    public mutating func updateRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
    }

    /// A REMB from the peer caps the estimate (draft-alvestrand-rmcat-remb-03 §2).
    public mutating func handleREMB(_ remb: ReceiverEstimatedMaximumBitrate) {
        remoteLimit = Double(min(remb.bitrate, UInt64(Int64.max)))
    }

    /// Takes the results of one transport feedback message.
    public mutating func handle(_ results: [SentPacketResult], at now: Instant) {
        guard !results.isEmpty else { return }
        let signal = detector.update(results)
        measureThroughput(results)
        let lost = results.filter { $0.arrival == nil }.count
        lossFraction = Double(lost) / Double(results.count)
        let elapsed = min((lastUpdate.map { now - $0 } ?? .zero).milliseconds / 1000, 1)
        lastUpdate = now
        updateDelayBased(signal, elapsed: elapsed, at: now)
        updateLossBased(elapsed: elapsed, at: now)
    }

    /// Receive rate over the last 500 ms of arrivals, and send rate over the last 500 ms of sends.
    private mutating func measureThroughput(_ results: [SentPacketResult]) {
        recentSends.append(contentsOf: results.map { ($0.sentAt, $0.size) })
        if let newest = recentSends.map(\.sent).max() {
            recentSends.removeAll { newest - $0.sent > .milliseconds(500) }
            if let oldest = recentSends.map(\.sent).min() {
                let span = max((newest - oldest).milliseconds, 100) / 1000
                sentBitrate = Double(recentSends.reduce(0) { $0 + $1.size } * 8) / span
            }
        }
        for result in results {
            guard let arrival = result.arrival else { continue }
            recentArrivals.append((arrival, result.size))
        }
        guard let newest = recentArrivals.map(\.arrival).max() else { return }
        recentArrivals.removeAll { newest - $0.arrival > .milliseconds(500) }
        guard let oldest = recentArrivals.map(\.arrival).min() else { return }
        let span = max((newest - oldest).milliseconds, 100) / 1000
        acknowledgedBitrate = Double(recentArrivals.reduce(0) { $0 + $1.size } * 8) / span
    }

    /// AIMD (§5.5): back off to 85 % of the measured throughput on overuse, hold on underuse,
    /// otherwise grow: by 8 % a second while far from the last known capacity, and by about a
    /// packet per response time near it. Growth stops at 1.5× what actually gets through. A sender
    /// that is application limited (sends under 65 % of its estimate: a still screen, a small change)
    /// keeps its estimate rather than see it fall to what it happened to send, so the next burst of
    /// content is not starved; a sender that uses its estimate and gets less through comes down to it.
    private mutating func updateDelayBased(_ signal: DelayBasedDetector.Signal, elapsed: Double, at now: Instant) {
        let acknowledged = acknowledgedBitrate ?? delayBasedBitrate
        switch signal {
        case .overusing:
            guard lastDecrease.map({ now - $0 >= roundTripTime }) ?? true else { return }
            lastDecrease = now
            capacityEstimate = acknowledged
            delayBasedBitrate = min(delayBasedBitrate, 0.85 * acknowledged)
        case .underusing:
            break
        case .normal:
            let previous = delayBasedBitrate
            let nearCapacity = capacityEstimate.map { abs(acknowledged - $0) < 0.3 * $0 } ?? false
            if nearCapacity {
                let responseTime = 0.1 + roundTripTime.milliseconds / 1000
                delayBasedBitrate += max(4000, 1200 * 8 / responseTime) * elapsed
            } else {
                if let capacity = capacityEstimate, acknowledged > capacity * 1.3 { capacityEstimate = nil }
                delayBasedBitrate *= 1 + 0.08 * elapsed
            }
            let throughputLimit = 1.5 * acknowledged + 10_000
            if delayBasedBitrate > throughputLimit {
                let applicationLimited = (sentBitrate ?? previous) < 0.65 * previous
                delayBasedBitrate = applicationLimited ? max(previous, throughputLimit) : throughputLimit
            }
        }
        delayBasedBitrate = min(max(delayBasedBitrate, Double(configuration.minBitrate)), Double(configuration.maxBitrate))
    }

    /// Loss-based control (§6): above 10 % loss cut by half the loss fraction (at most once per
    /// 300 ms); below 2 % grow by 8 % a second; in between hold.
    private mutating func updateLossBased(elapsed: Double, at now: Instant) {
        if lossFraction > 0.1 {
            guard lastLossDecrease.map({ now - $0 >= .milliseconds(300) }) ?? true else { return }
            lastLossDecrease = now
            lossBasedBitrate = Double(targetBitrate) * (1 - 0.5 * lossFraction)
        } else if lossFraction < 0.02 {
            lossBasedBitrate = max(lossBasedBitrate * (1 + 0.08 * elapsed), delayBasedBitrate)
        }
        lossBasedBitrate = min(max(lossBasedBitrate, Double(configuration.minBitrate)), Double(configuration.maxBitrate))
    }
}
