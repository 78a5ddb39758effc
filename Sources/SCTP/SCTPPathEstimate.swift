import TandemBase

/// The sender's view of the path from its acknowledgements, for `SCTPConfiguration.inFlightLimit`: the
/// lowest round-trip time seen lately and the highest delivery rate of the last rounds. Their product is
/// the bandwidth-delay product: what the path holds without a queue. Bytes in flight beyond it only
/// wait in a queue (a router's, or the receiver's socket buffer when its CPU is the bottleneck), and a
/// new message waits behind all of them.
///
/// Delivery rate samples follow the idea of BBR's (draft-ietf-ccwg-bbr §4.5): when a chunk sent once is
/// acknowledged, the bytes acknowledged since it was sent, over the time since it was sent. A round ends
/// when a chunk sent after the previous round ended is acknowledged.
struct SCTPPathEstimate {
    /// Rounds whose highest rate sample the estimate keeps.
    static let rateRounds = 10
    /// How long the lowest RTT stands before a newer, higher sample replaces it (a path may change).
    static let minRTTLifetime: Duration = .seconds(10)

    /// Bytes acknowledged (cumulatively or by gap blocks) so far.
    private(set) var delivered = 0
    private(set) var minRTT: Duration?
    private var minRTTAt: Instant = .zero
    /// The highest rate sample of each of the last rounds, in bytes per second; the last one is the current round's.
    private var roundRates: [Double] = [0]
    private var roundEndsAtDelivered = 0

    /// The highest delivery rate of the last `rateRounds` rounds, in bytes per second.
    var bandwidth: Double { roundRates.max() ?? 0 }

    /// The bandwidth-delay product in bytes, once both are measured.
    var bandwidthDelayProduct: Int? {
        guard let minRTT, bandwidth > 0 else { return nil }
        return Int(bandwidth * Double(minRTT.nanoseconds) / 1e9)
    }

    mutating func acknowledged(bytes: Int) { delivered += bytes }

    /// An RTT sample (RFC 9260 §6.3.1: from a chunk sent once).
    mutating func measured(roundTrip sample: Duration, at now: Instant) {
        if let minRTT, sample > minRTT, now - minRTTAt < Self.minRTTLifetime { return }
        minRTT = sample
        minRTTAt = now
    }

    /// A chunk sent once, at `sentAt` when `deliveredAtSend` bytes had been acknowledged, is acknowledged
    /// now (after `acknowledged(bytes:)` counted it).
    mutating func sample(deliveredAtSend: Int, sentAt: Instant, at now: Instant) {
        let elapsed = now - sentAt
        if deliveredAtSend >= roundEndsAtDelivered {
            roundEndsAtDelivered = delivered
            roundRates.append(0)
            if roundRates.count > Self.rateRounds { roundRates.removeFirst() }
        }
        guard elapsed > .zero else { return }
        let rate = Double(delivered - deliveredAtSend) / (Double(elapsed.nanoseconds) / 1e9)
        roundRates[roundRates.count - 1] = max(roundRates[roundRates.count - 1], rate)
    }
}
