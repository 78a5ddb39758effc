import TandemBase

/// The delay-gradient part of Google Congestion Control (draft-ietf-rmcat-gcc-02 §5): packets
/// sent within 5 ms form a group; the change in one-way delay between groups is smoothed,
/// its trend over the last 20 groups is fitted by least squares, and the trend compared with a
/// threshold that adapts to the path says whether the bottleneck queue grows (overuse),
/// drains (underuse) or holds (normal).
public struct DelayBasedDetector: Sendable {
    public enum Signal: Equatable, Sendable {
        case normal
        case overusing
        case underusing
    }

    struct Group {
        var firstSent: Instant
        var lastSent: Instant
        var lastArrival: Duration
        var firstArrival: Duration
    }

    /// Packets sent within this span of the group's first one belong to the group (§5.2).
    static let burstSpan = Duration.milliseconds(5)
    static let windowSize = 20
    static let smoothing = 0.9
    static let thresholdGain = 4.0
    /// Threshold adaptation rates when the trend is below / above it (§5.4).
    static let decreaseRate = 0.039, increaseRate = 0.0087
    static let overuseTime = 10.0

    public private(set) var signal: Signal = .normal
    /// The adaptive threshold, in milliseconds.
    public private(set) var threshold = 12.5
    private var current: Group?
    private var previous: Group?
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var samples: [(time: Double, delay: Double)] = []
    private var firstArrival: Duration?
    private var deltaCount = 0
    private var previousTrend = 0.0
    private var overuseStart: Double?
    private var overuseCount = 0
    private var lastThresholdUpdate: Double?

    public init() {}

    /// Feeds the packets that arrived, in sending order; returns the signal after them.
    @discardableResult
    public mutating func update(_ results: [SentPacketResult]) -> Signal {
        for result in results {
            guard let arrival = result.arrival else { continue }
            add(sentAt: result.sentAt, arrival: arrival)
        }
        return signal
    }

    private mutating func add(sentAt: Instant, arrival: Duration) {
        guard var group = current else {
            current = Group(firstSent: sentAt, lastSent: sentAt, lastArrival: arrival, firstArrival: arrival)
            return
        }
        if sentAt < group.firstSent { return }  // reordered into an older group: ignore
        if sentAt - group.firstSent <= Self.burstSpan {
            group.lastSent = max(group.lastSent, sentAt)
            group.lastArrival = max(group.lastArrival, arrival)
            current = group
            return
        }
        if let previous {
            let sendDelta = (group.lastSent - previous.lastSent).milliseconds
            let arrivalDelta = (group.lastArrival - previous.lastArrival).milliseconds
            addDelta(arrivalDelta - sendDelta, arrivalTime: group.lastArrival)
        }
        previous = group
        current = Group(firstSent: sentAt, lastSent: sentAt, lastArrival: arrival, firstArrival: arrival)
    }

    /// Trendline filter (§5.3 as deployed in libwebrtc): accumulate, smooth, fit a line.
    private mutating func addDelta(_ delayDelta: Double, arrivalTime: Duration) {
        deltaCount += 1
        accumulatedDelay += delayDelta
        smoothedDelay = Self.smoothing * smoothedDelay + (1 - Self.smoothing) * accumulatedDelay
        let origin = firstArrival ?? arrivalTime
        firstArrival = origin
        let time = (arrivalTime - origin).milliseconds
        samples.append((time, smoothedDelay))
        if samples.count > Self.windowSize { samples.removeFirst() }
        guard samples.count == Self.windowSize else { return }
        let slope = Self.slope(samples) ?? previousTrend
        detect(trend: slope, now: time)
        previousTrend = slope
    }

    static func slope(_ points: [(time: Double, delay: Double)]) -> Double? {
        let count = Double(points.count)
        let meanTime = points.reduce(0) { $0 + $1.time } / count
        let meanDelay = points.reduce(0) { $0 + $1.delay } / count
        var numerator = 0.0, denominator = 0.0
        for point in points {
            numerator += (point.time - meanTime) * (point.delay - meanDelay)
            denominator += (point.time - meanTime) * (point.time - meanTime)
        }
        return denominator == 0 ? nil : numerator / denominator
    }

    /// Over-use detector with adaptive threshold (§5.4).
    private mutating func detect(trend: Double, now: Double) {
        let modified = Double(min(deltaCount, 60)) * trend * Self.thresholdGain
        if modified > threshold {
            let start = overuseStart ?? now
            overuseStart = start
            overuseCount += 1
            if now - start >= Self.overuseTime, overuseCount > 1, trend >= previousTrend {
                overuseStart = nil
                overuseCount = 0
                signal = .overusing
            }
        } else if modified < -threshold {
            overuseStart = nil
            overuseCount = 0
            signal = .underusing
        } else {
            overuseStart = nil
            overuseCount = 0
            signal = .normal
        }
        adaptThreshold(modified, now: now)
    }

    private mutating func adaptThreshold(_ modified: Double, now: Double) {
        let last = lastThresholdUpdate ?? now
        lastThresholdUpdate = now
        // Very large excursions (a path change) do not move the threshold (§5.4).
        guard abs(modified) <= threshold + 15 else { return }
        let rate = abs(modified) < threshold ? Self.decreaseRate : Self.increaseRate
        threshold += rate * (abs(modified) - threshold) * min(now - last, 100)
        threshold = min(max(threshold, 6), 600)
    }
}
