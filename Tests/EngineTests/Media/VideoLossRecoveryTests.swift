import Testing
import RTP
import TandemBase
@testable import Media
@testable import MediaTransport

/// Screen video from encoder to decoder through a lossy path on virtual time, with the whole
/// chain: `VP8Encoder` → `VideoSendStream` (packetizer, pacer, retransmission buffer with RTX,
/// key frame requests) → random loss both ways, 25 ms each way → `VideoReceiveStream` (RTX,
/// NACK, jitter buffer, PLI) → `VP8Decoder`.
struct LossyVideoSession {
    struct Report {
        var framesSent = 0
        var framesShown = 0
        var notShown = 0
        var longestFreeze = Duration.zero
        var worstPSNR = Double.infinity
        var nacksSent = 0
        var keyframeRequests = 0
    }

    let width = 160, height = 120, frameRate = 30
    let oneWay = Duration.milliseconds(25)
    var lossRate: Double
    /// A stretch of time during which every packet in either direction is lost.
    var outage: Range<Instant>?
    var generator: SeededGenerator
    var now = Instant.zero

    init(lossRate: Double, seed: UInt64, outage: Range<Instant>? = nil) {
        self.lossRate = lossRate
        self.outage = outage
        generator = SeededGenerator(seed: seed)
    }

    mutating func lost() -> Bool {
        if let outage, outage.contains(now) { return true }
        return Double(generator.next() % 10_000) / 10_000 < lossRate
    }

    mutating func run(for duration: Duration) throws -> Report {
        let (mediaSSRC, rtxSSRC, receiverSSRC): (UInt32, UInt32, UInt32) = (0x1000, 0x2000, 0x3000)
        let screen = SyntheticScreen(width: width, height: height, content: .scrolling)
        // A fixed speed: a positive cpu-used adapts to measured encode time, i.e. to the machine's load.
        let encoder = try VP8Encoder(settings: VP8EncoderSettings(width: width, height: height, bitrate: 300_000, frameRate: frameRate, cpuUsed: -8))
        var sender = VideoSendStream(configuration: .init(
            ssrc: mediaSSRC, payloadType: 96, maxPayloadSize: 300,
            rtx: .init(ssrc: rtxSSRC, payloadTypes: [96: 97], firstSequenceNumber: 100), initialPacingRate: 1_000_000,
            firstSequenceNumber: 60_000, keyframeInterval: .milliseconds(100)))
        var receiver = VideoReceiveStream(configuration: .init(localSSRC: receiverSSRC, remoteSSRC: mediaSSRC, payloadType: 96,
                                                               rtxPayloadType: 97))
        for rtt in [Duration.milliseconds(50)] {
            sender.updateRoundTripTime(rtt)
            receiver.updateRoundTripTime(rtt)
        }
        let decoder = try VP8Decoder()

        var toReceiver: [(arrival: Instant, packet: RTPPacket)] = []
        var toSender: [(arrival: Instant, feedback: RTCPFeedback)] = []
        var sources: [UInt32: I420Frame] = [:]
        var report = Report()
        var lastShown: Instant?
        now = .zero
        while now - .zero < duration {
            let millisecond = Int(now.nanoseconds / 1_000_000)
            if millisecond % (1000 / frameRate) == 0 {
                let index = millisecond / (1000 / frameRate)
                let source = I420Frame(converting: screen.frame(index))
                let timestamp = UInt32(index * 3000)
                sources[timestamp] = source
                let keyframe = sender.pollKeyframeRequest(at: now)
                for frame in try encoder.encode(source, pts: Int64(timestamp), keyframe: keyframe) {
                    report.framesSent += 1
                    sender.send(frame: frame.data, rtpTimestamp: timestamp, isKeyframe: frame.isKeyframe, at: now)
                }
            }
            while let packet = sender.pollTransmit(at: now) {
                if !lost() { toReceiver.append((now + oneWay, packet)) }
            }
            while let first = toReceiver.first, first.arrival <= now {
                toReceiver.removeFirst()
                receiver.handle(first.packet, at: now)
            }
            receiver.handleTimeout(at: now)
            while let output = receiver.poll(at: now) {
                switch output {
                case let .feedback(feedback):
                    if feedback.nackedSequenceNumbers != nil { report.nacksSent += 1 } else { report.keyframeRequests += 1 }
                    if !lost() { toSender.append((now + oneWay, feedback)) }
                case let .frame(frame):
                    guard case let .picture(picture) = decoder.decode(frame.data) else {
                        report.notShown += 1
                        receiver.frameDecoded(shown: false)
                        continue
                    }
                    report.framesShown += 1
                    if let source = sources[frame.rtpTimestamp], let psnr = picture.psnr(against: source) {
                        report.worstPSNR = min(report.worstPSNR, psnr)
                    }
                    if let lastShown { report.longestFreeze = max(report.longestFreeze, now - lastShown) }
                    lastShown = now
                }
            }
            while let first = toSender.first, first.arrival <= now {
                toSender.removeFirst()
                sender.handle(first.feedback, at: now)
            }
            now += .milliseconds(1)
        }
        return report
    }
}

@Suite struct VideoLossRecoveryTests {
    @Test(arguments: [(0.05, UInt64(1)), (0.10, UInt64(2))])
    func videoKeepsGoingUnderRandomLoss(lossRate: Double, seed: UInt64) throws {
        var session = LossyVideoSession(lossRate: lossRate, seed: seed)
        let report = try session.run(for: .seconds(3))
        #expect(report.notShown == 0, "frames decoded corrupted or not at all: \(report.notShown)")
        #expect(report.framesShown >= report.framesSent * 9 / 10, "\(report.framesShown) of \(report.framesSent) frames shown")
        #expect(report.longestFreeze <= .milliseconds(300), "longest freeze \(report.longestFreeze)")
        #expect(report.worstPSNR >= 25, "worst PSNR \(report.worstPSNR)")
        #expect(report.nacksSent > 0)
    }

    @Test func anOutageIsRepairedWithAKeyframeNotCorruptPictures() throws {
        // 1.2 s with nothing getting through outlasts the packets the sender keeps (1 s), so
        // NACK cannot repair it (a shorter outage is repaired by NACK alone).
        let outage = Instant.zero + .milliseconds(1000)..<Instant.zero + .milliseconds(2200)
        var session = LossyVideoSession(lossRate: 0.02, seed: 3, outage: outage)
        let report = try session.run(for: .seconds(4))
        #expect(report.notShown == 0)
        #expect(report.keyframeRequests > 0, "\(report)")
        // The picture freezes for the outage, the jitter buffer's patience (250 ms) and the key
        // frame's round trip, then goes on: all frames shown but those of 1.8 s (54 frames).
        #expect(report.longestFreeze < .milliseconds(1800), "\(report)")
        #expect(report.framesShown >= report.framesSent - 54, "\(report)")
    }
}
