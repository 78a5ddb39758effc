import TandemBase

/// What a viewer saw of a video stream: frames shown and refused, frame rate, freezes and, when the
/// frames can be matched to their source, PSNR. Fed with one call per decoded frame, in arrival order.
public struct PlaybackStatistics: Sendable, Equatable {
    /// A gap between two shown frames longer than this counts as a freeze (the WebRTC stats
    /// definition uses max(3 × average frame duration, average + 150 ms); a fixed bound is simpler
    /// to state in a test).
    public let freezeThreshold: Duration
    public private(set) var framesShown = 0
    /// Frames the decoder refused (corrupt or with a broken reference): never shown.
    public private(set) var framesRefused = 0
    public private(set) var freezes = 0
    public private(set) var longestGap: Duration = .zero
    public private(set) var firstShown: Instant?
    public private(set) var lastShown: Instant?
    private var psnrValues: [Double] = []

    public init(freezeThreshold: Duration = .milliseconds(300)) {
        self.freezeThreshold = freezeThreshold
    }

    public mutating func frameShown(at now: Instant, psnr: Double? = nil) {
        if let last = lastShown {
            let gap = now - last
            longestGap = max(longestGap, gap)
            if gap > freezeThreshold { freezes += 1 }
        } else {
            firstShown = now
        }
        lastShown = now
        framesShown += 1
        if let psnr { psnrValues.append(psnr) }
    }

    public mutating func frameRefused() {
        framesRefused += 1
    }

    /// Shown frames per second between the first and the last shown frame.
    public var framesPerSecond: Double? {
        guard let first = firstShown, let last = lastShown, framesShown > 1, last > first else { return nil }
        return Double(framesShown - 1) / (Double((last - first).nanoseconds) / 1e9)
    }

    public var psnrCount: Int { psnrValues.count }
    public var psnrMinimum: Double? { psnrValues.min() }
    public var psnrMedian: Double? {
        guard !psnrValues.isEmpty else { return nil }
        return psnrValues.sorted()[psnrValues.count / 2]
    }
}
