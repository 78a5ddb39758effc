import Testing
import RTP
import TandemBase
@testable import Media
@testable import MediaTransport

/// Screen video from encoder to decoder through a lossy path on virtual time, with the whole
/// receive and repair chain: packetizer, retransmission buffer with RTX, NACK generator,
/// jitter buffer, key frame requests (PLI) and the decoder.
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
    var generator: SeededGenerator

    init(lossRate: Double, seed: UInt64) {
        self.lossRate = lossRate
        generator = SeededGenerator(seed: seed)
    }

    mutating func lost() -> Bool { Double(generator.next() % 10_000) / 10_000 < lossRate }

    mutating func run(for duration: Duration) throws -> Report {
        let (mediaSSRC, rtxSSRC, receiverSSRC): (UInt32, UInt32, UInt32) = (0x1000, 0x2000, 0x3000)
        let screen = SyntheticScreen(width: width, height: height, content: .scrolling)
        let encoder = try VP8Encoder(settings: VP8EncoderSettings(width: width, height: height, bitrate: 300_000, frameRate: frameRate))
        var packetizer = VP8Packetizer(ssrc: mediaSSRC, payloadType: 96, firstSequenceNumber: 60_000, firstPictureID: 0,
                                       maxPayloadSize: 300)
        var retransmissions = RetransmissionBuffer(configuration: .init(
            rtx: .init(ssrc: rtxSSRC, payloadTypes: [96: 97], firstSequenceNumber: 100)))
        var keyframeFilter = KeyframeRequestFilter(mediaSSRC: mediaSSRC, minimumInterval: .milliseconds(100))
        var nacks = NackGenerator()
        nacks.updateRoundTripTime(.milliseconds(50))
        var jitterBuffer = VP8JitterBuffer()
        var requester = KeyframeRequester(senderSSRC: receiverSSRC, mediaSSRC: mediaSSRC, minimumInterval: .milliseconds(100))
        let decoder = try VP8Decoder()

        var toReceiver: [(arrival: Instant, packet: RTPPacket)] = []
        var toSender: [(arrival: Instant, feedback: RTCPFeedback)] = []
        var sources: [UInt32: I420Frame] = [:]
        var report = Report()
        var lastShown: Instant?
        var now = Instant.zero
        func send(_ packet: RTPPacket, at now: Instant, _ session: inout LossyVideoSession) {
            if !session.lost() { toReceiver.append((now + session.oneWay, packet)) }
        }
        while now - .zero < duration {
            let millisecond = Int(now.nanoseconds / 1_000_000)
            if millisecond % (1000 / frameRate) == 0 {
                let index = millisecond / (1000 / frameRate)
                let source = I420Frame(converting: screen.frame(index))
                let timestamp = UInt32(index * 3000)
                sources[timestamp] = source
                let keyframe = keyframeFilter.poll(at: now)
                for frame in try encoder.encode(source, pts: Int64(timestamp), keyframe: keyframe) {
                    if frame.isKeyframe { keyframeFilter.keyframeSent(at: now) }
                    report.framesSent += 1
                    for packet in packetizer.packetize(frame: frame.data, rtpTimestamp: timestamp) {
                        retransmissions.store(packet, at: now)
                        send(packet, at: now, &self)
                    }
                }
            }
            // Receiver: RTX is unwrapped, every packet counts for NACK, VP8 goes to the jitter buffer.
            toReceiver.sort { $0.arrival < $1.arrival }
            while let first = toReceiver.first, first.arrival <= now {
                toReceiver.removeFirst()
                var packet = first.packet
                if packet.ssrc == rtxSSRC {
                    packet = try RTXPacket.unwrap(packet, originalPayloadType: 96, originalSSRC: mediaSSRC)
                }
                nacks.received(packet.sequenceNumber, at: now)
                try jitterBuffer.insert(packet, at: now)
            }
            jitterBuffer.handleTimeout(at: now)
            while let event = jitterBuffer.pollEvent() {
                switch event {
                case .keyframeNeeded:
                    requester.request()
                case let .frame(frame):
                    if frame.isKeyframe {
                        requester.keyframeReceived()
                        nacks.forget(before: frame.firstSequenceNumber)
                    }
                    guard case let .picture(picture) = decoder.decode(frame.data) else {
                        report.notShown += 1
                        requester.request()
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
            while let output = nacks.poll(at: now) {
                switch output {
                case let .nack(numbers):
                    report.nacksSent += 1
                    if !lost() {
                        toSender.append((now + oneWay, .genericNack(senderSSRC: receiverSSRC, mediaSSRC: mediaSSRC, lost: numbers)))
                    }
                case .keyframeNeeded:
                    requester.request()
                }
            }
            if let request = requester.poll(at: now) {
                report.keyframeRequests += 1
                if !lost() { toSender.append((now + oneWay, request)) }
            }
            // Sender: NACKs are answered from the retransmission buffer, PLIs make a key frame.
            while let first = toSender.first, first.arrival <= now {
                toSender.removeFirst()
                keyframeFilter.handle(first.feedback)
                for packet in retransmissions.handleNack(first.feedback.nackedSequenceNumbers ?? [], at: now) {
                    send(packet, at: now, &self)
                }
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
}
