import Testing
import RTP
import TandemBase
@testable import MediaTransport

/// A sender, a bottleneck link and a receiver on virtual time, wired with the real pieces:
/// encoder output → pacer → transport-wide sequence numbers → a FIFO link of fixed capacity
/// (plus random loss and propagation delay) → feedback generator → feedback back to the
/// sender's adapter and estimator, which set the encoder's and the pacer's rates.
struct CongestionSimulation {
    struct Sample {
        var time: Instant
        var target: Int
    }

    var capacity: Int
    var lossRate: Double
    var oneWayDelay = Duration.milliseconds(25)
    var estimator: BandwidthEstimator
    var generator = SeededGenerator(seed: 21)
    var samples: [Sample] = []
    /// The encoder makes at most this much, whatever the estimate (a still or slowly changing screen).
    var applicationLimit: Int?
    /// (send time, queueing delay at the bottleneck) per packet.
    var queueDelays: [(Instant, Duration)] = []

    init(capacity: Int, lossRate: Double = 0, initialBitrate: Int) {
        self.capacity = capacity
        self.lossRate = lossRate
        estimator = BandwidthEstimator(configuration: .init(initialBitrate: initialBitrate))
        estimator.updateRoundTripTime(.milliseconds(50))
    }

    mutating func run(for duration: Duration) {
        var pacer = Pacer<Int>(rate: estimator.targetBitrate * 3 / 2)
        var adapter = TransportFeedbackAdapter()
        var receiver = TransportFeedbackGenerator(senderSSRC: 2, mediaSSRC: 1, interval: .milliseconds(50))
        var nextSequence: UInt16 = 0
        var linkFreeAt = Instant.zero
        var inFlight: [(arrival: Instant, sequence: UInt16)] = []
        var feedbackInFlight: [(arrival: Instant, message: RTCPFeedback)] = []
        var sizes: [UInt16: Int] = [:]
        let step = Duration.milliseconds(1)
        var now = Instant.zero
        while now - .zero < duration {
            // The encoder makes a frame every 33 ms at the current target, in 1200-byte packets.
            if (now.nanoseconds / 1_000_000) % 33 == 0 {
                var bytes = min(estimator.targetBitrate, applicationLimit ?? .max) / 8 / 30
                while bytes > 0 {
                    let size = min(1200, bytes)
                    pacer.enqueue(size, size: size, at: now)
                    bytes -= size
                }
            }
            while let size = pacer.poll(at: now) {
                let sequence = nextSequence
                nextSequence &+= 1
                adapter.sent(sequence, size: size, at: now)
                sizes[sequence] = size
                // Drop-tail is not needed: the queue is what the estimator must keep short.
                let start = max(now, linkFreeAt)
                linkFreeAt = start + .nanoseconds(Int64(size) * 8 * 1_000_000_000 / Int64(capacity))
                queueDelays.append((now, start - now))
                if Double(generator.next() % 10_000) / 10_000 >= lossRate {
                    inFlight.append((linkFreeAt + oneWayDelay, sequence))
                }
            }
            while let first = inFlight.first, first.arrival <= now {
                inFlight.removeFirst()
                receiver.received(first.sequence, at: first.arrival)
            }
            for message in receiver.poll(at: now) { feedbackInFlight.append((now + oneWayDelay, message)) }
            while let first = feedbackInFlight.first, first.arrival <= now {
                feedbackInFlight.removeFirst()
                if let feedback = try? TransportFeedback.from(first.message) {
                    estimator.handle(adapter.handle(feedback), at: now)
                    pacer.setRate(estimator.targetBitrate * 3 / 2)
                }
            }
            if (now.nanoseconds / 1_000_000) % 100 == 0 { samples.append(Sample(time: now, target: estimator.targetBitrate)) }
            now += step
        }
    }
}

@Suite struct BandwidthEstimatorTests {
    @Test func settlesUnderA1MbitBottleneckWithShortQueues() {
        var simulation = CongestionSimulation(capacity: 1_000_000, initialBitrate: 2_500_000)
        simulation.run(for: .seconds(12))
        let settled = simulation.samples.filter { $0.time >= .zero + .seconds(5) }.map(\.target)
        #expect(settled.allSatisfy { (500_000...1_100_000).contains($0) }, "targets after 5 s: \(settled)")
        let lateDelays = simulation.queueDelays.filter { $0.0 >= .zero + .seconds(5) }.map(\.1)
        #expect(lateDelays.max() ?? .zero <= .milliseconds(200), "worst queueing delay after 5 s: \(lateDelays.max() ?? .zero)")
        let average = settled.reduce(0, +) / max(1, settled.count)
        #expect(average >= 650_000, "average target after 5 s: \(average)")
    }

    @Test func growsWhenTheLinkHasRoom() {
        var simulation = CongestionSimulation(capacity: 10_000_000, initialBitrate: 500_000)
        simulation.run(for: .seconds(10))
        let last = simulation.samples.last?.target ?? 0
        #expect(last > 900_000, "target after 10 s on a 10 Mbit/s link: \(last)")
    }

    /// A sender that uses a tenth of its estimate keeps the estimate: when the screen starts moving,
    /// the encoder may spend it at once.
    @Test func anApplicationLimitedSenderKeepsItsEstimate() {
        var simulation = CongestionSimulation(capacity: 10_000_000, initialBitrate: 2_000_000)
        simulation.applicationLimit = 200_000
        simulation.run(for: .seconds(10))
        let last = simulation.samples.last?.target ?? 0
        #expect(last >= 2_000_000, "target after 10 s of sending 200 kbit/s: \(last)")
    }

    @Test func modestRandomLossDoesNotCollapseTheEstimate() {
        var simulation = CongestionSimulation(capacity: 10_000_000, lossRate: 0.05, initialBitrate: 1_000_000)
        simulation.run(for: .seconds(6))
        let last = simulation.samples.last?.target ?? 0
        #expect(last >= 800_000, "target after 6 s at 5 % loss: \(last)")
        #expect(simulation.estimator.lossFraction < 0.1)
    }

    @Test func heavyLossBacksOff() {
        var simulation = CongestionSimulation(capacity: 10_000_000, lossRate: 0.3, initialBitrate: 2_000_000)
        simulation.run(for: .seconds(3))
        let last = simulation.samples.last?.target ?? 0
        #expect(last < 1_000_000, "target after 3 s at 30 % loss: \(last)")
    }

    @Test func aREMBCapsTheTarget() {
        var estimator = BandwidthEstimator(configuration: .init(initialBitrate: 2_000_000))
        estimator.handleREMB(ReceiverEstimatedMaximumBitrate(bitrate: 700_000, ssrcs: [1]))
        #expect(estimator.targetBitrate == 700_000)
    }
}
