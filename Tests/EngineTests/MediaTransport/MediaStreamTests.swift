import Testing
import RTP
import TandemBase
@testable import MediaTransport

private func at(_ milliseconds: Int64) -> Instant { .zero + .milliseconds(milliseconds) }

@Suite struct VideoStreamTests {
    static func keyframe(_ size: Int) -> [UInt8] { [0x10] + [UInt8](repeating: 0xAB, count: size - 1) }

    @Test func sendStreamPacesAnswersNacksWithRTXAndForwardsKeyframeRequests() {
        var stream = VideoSendStream(configuration: .init(
            ssrc: 5, payloadType: 96, maxPayloadSize: 1000, rtx: .init(ssrc: 6, payloadTypes: [96: 97], firstSequenceNumber: 0),
            initialPacingRate: 800_000, firstSequenceNumber: 10))
        stream.send(frame: Self.keyframe(5000), rtpTimestamp: 90, isKeyframe: true, at: at(0))
        var sent: [(RTPPacket, Instant)] = []
        var now = at(0)
        while let deadline = stream.pollTimeout(), now < at(1000) {
            now = max(now, deadline)
            while let packet = stream.pollTransmit(at: now) { sent.append((packet, now)) }
        }
        #expect(sent.map(\.0.sequenceNumber) == [10, 11, 12, 13, 14, 15])
        // Six packets of about 1 KB at 800 kbit/s, 10 ms each: the last leaves some 50 ms after
        // the first, less the 5 ms burst allowance, instead of all at once.
        #expect((sent.last?.1 ?? at(0)) - at(0) >= .milliseconds(35))
        stream.handle(.genericNack(senderSSRC: 9, mediaSSRC: 5, lost: [12]), at: now)
        let resend = stream.pollTransmit(at: now + .milliseconds(20))
        #expect(resend?.ssrc == 6 && resend?.payloadType == 97 && resend?.payload.prefix(2) == [0, 12])
        let early = stream.pollKeyframeRequest(at: now)
        #expect(!early)
        stream.handle(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 5), at: now)
        let requested = stream.pollKeyframeRequest(at: now + .milliseconds(300))
        #expect(requested)
    }

    @Test func sendStreamQueuesOneResendPerPacketAndDropsThemForAKeyframe() {
        var stream = VideoSendStream(configuration: .init(ssrc: 5, payloadType: 96, maxPayloadSize: 1000,
                                                          initialPacingRate: 100_000, firstSequenceNumber: 10))
        stream.send(frame: Self.keyframe(2900), rtpTimestamp: 0, isKeyframe: true, at: at(0))
        var now = at(0)
        var sent: [UInt16] = []
        while let deadline = stream.pollTimeout(), now < at(2000) {
            now = max(now, deadline)
            while let packet = stream.pollTransmit(at: now) { sent.append(packet.sequenceNumber) }
        }
        #expect(sent == [10, 11, 12])
        // Two NACKs for the same packets while the first resends still wait: one copy each.
        stream.handle(.genericNack(senderSSRC: 9, mediaSSRC: 5, lost: [10, 11]), at: now)
        stream.handle(.genericNack(senderSSRC: 9, mediaSSRC: 5, lost: [10, 11, 12]), at: now + .milliseconds(1))
        let queued = stream.queuedBytes
        #expect(queued > 0 && queued < 3 * 1100 + 100)
        // A new key frame makes those resends useless: only the key frame's packets remain.
        stream.send(frame: Self.keyframe(900), rtpTimestamp: 3000, isKeyframe: true, at: now + .milliseconds(2))
        var after: [UInt16] = []
        while let deadline = stream.pollTimeout(), now < at(4000) {
            now = max(now, deadline)
            while let packet = stream.pollTransmit(at: now) { after.append(packet.sequenceNumber) }
        }
        #expect(after == [13])
    }

    @Test func receiveStreamUnwrapsRTXAndAsksForWhatIsMissing() throws {
        var packetizer = VP8Packetizer(ssrc: 5, payloadType: 96, firstSequenceNumber: 100, firstPictureID: 0, maxPayloadSize: 500)
        let packets = packetizer.packetize(frame: Self.keyframe(1400), rtpTimestamp: 0)
        var stream = VideoReceiveStream(configuration: .init(localSSRC: 9, remoteSSRC: 5, payloadType: 96, rtxPayloadType: 97))
        stream.handle(packets[0], at: at(0))
        stream.handle(packets[2], at: at(1))
        let nack = stream.poll(at: at(1))
        #expect(nack == .feedback(.genericNack(senderSSRC: 9, mediaSSRC: 5, lost: [101])))
        stream.handle(RTXPacket.wrap(packets[1], payloadType: 97, ssrc: 6, sequenceNumber: 1), at: at(30))
        guard case let .frame(frame) = stream.poll(at: at(30)) else { Issue.record("no frame"); return }
        #expect(frame.data == Self.keyframe(1400) && frame.isKeyframe)
        // Garbage is counted, not fatal.
        stream.handle(RTPPacket(payloadType: 97, sequenceNumber: 2, timestamp: 0, ssrc: 6, payload: [0]), at: at(40))
        stream.handle(RTPPacket(payloadType: 100, sequenceNumber: 103, timestamp: 0, ssrc: 5, payload: [0x10, 1]), at: at(40))
        #expect(stream.packetsDiscarded == 2)
        // A frame the decoder could not show brings a PLI.
        stream.frameDecoded(shown: false)
        let pli = stream.poll(at: at(50))
        #expect(pli == .feedback(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 5)))
    }

    @Test func congestionControllerStampsPacketsAndFollowsFeedback() throws {
        var controller = CongestionController(firstSequenceNumber: 7,
                                              estimator: .init(initialBitrate: 1_000_000))
        var generator = TransportFeedbackGenerator(senderSSRC: 9, mediaSSRC: 5)
        for index in 0..<50 {
            var packet = RTPPacket(payloadType: 96, sequenceNumber: UInt16(index), timestamp: 0, ssrc: 5, payload: [UInt8](repeating: 0, count: 1000))
            try controller.stamp(&packet, extensionID: 3, at: at(Int64(index) * 10))
            let parsed = try RTPPacket.parse(packet.serialize())
            let number = try #require(TransportSequenceNumberExtension.sequenceNumber(in: parsed, id: 3))
            #expect(number == UInt16(7 + index))
            generator.received(number, at: at(Int64(index) * 10 + 20))
        }
        let feedback = generator.poll(at: at(600))
        #expect(!feedback.isEmpty)
        for message in feedback {
            let handled = try controller.handle(message, at: at(620))
            #expect(handled)
        }
        let remb = try controller.handle(ReceiverEstimatedMaximumBitrate(bitrate: 300_000, ssrcs: [5]).rtcp(senderSSRC: 9), at: at(630))
        #expect(remb)
        #expect(controller.targetBitrate == 300_000)
        let pliHandled = try controller.handle(.pictureLossIndication(senderSSRC: 9, mediaSSRC: 5), at: at(640))
        #expect(!pliHandled)
    }
}
