import Testing
import RTP
import TandemBase
@testable import MediaTransport

@Suite struct VP8JitterBufferTests {
    /// A fake VP8 frame: the first byte's bit 0 is the inverse key frame flag (RFC 6386 §9.1).
    static func frameData(_ index: Int, key: Bool, size: Int = 2500) -> [UInt8] {
        [key ? 0x10 : 0x11] + (1..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    /// Frames 0..<count (key frames at the given indices) packetized at 1000 bytes, 3 packets each.
    static func stream(count: Int, keyframes: Set<Int> = [0], firstSequenceNumber: UInt16 = 1000)
        -> (frames: [[UInt8]], packets: [[RTPPacket]]) {
        var packetizer = VP8Packetizer(ssrc: 1, payloadType: 96, firstSequenceNumber: firstSequenceNumber, firstPictureID: 7,
                                       maxPayloadSize: 1000)
        var frames: [[UInt8]] = [], packets: [[RTPPacket]] = []
        for index in 0..<count {
            let frame = frameData(index, key: keyframes.contains(index))
            frames.append(frame)
            packets.append(packetizer.packetize(frame: frame, rtpTimestamp: UInt32(index * 3000)))
        }
        return (frames, packets)
    }

    static func at(_ milliseconds: Int64) -> Instant { .zero + .milliseconds(milliseconds) }

    static func drain(_ buffer: inout VP8JitterBuffer) -> [VP8JitterBuffer.Event] {
        var events: [VP8JitterBuffer.Event] = []
        while let event = buffer.pollEvent() { events.append(event) }
        return events
    }

    static func frames(_ events: [VP8JitterBuffer.Event]) -> [VP8Frame] {
        events.compactMap { if case let .frame(frame) = $0 { frame } else { nil } }
    }

    @Test func handsOutFramesInOrder() throws {
        let (frames, packets) = Self.stream(count: 4)
        var buffer = VP8JitterBuffer()
        for packet in packets.joined() { try buffer.insert(packet, at: .zero) }
        let events = Self.drain(&buffer)
        let out = Self.frames(events)
        #expect(events.count == 4)
        #expect(out.map(\.data) == frames)
        #expect(out.map(\.isKeyframe) == [true, false, false, false])
        #expect(out.map(\.pictureID) == [7, 8, 9, 10])
        #expect(out.map(\.rtpTimestamp) == [0, 3000, 6000, 9000])
        #expect(out.allSatisfy { !$0.followsSkippedFrames })
        #expect(buffer.packetCount == 0)
    }

    @Test func reordersPackets() throws {
        let (frames, packets) = Self.stream(count: 5, firstSequenceNumber: 65530)
        var generator = SeededGenerator(seed: 4)
        // Shuffle within windows of five packets: local reordering as on a real path.
        var order = Array(packets.joined())
        for start in stride(from: 0, to: order.count, by: 5) {
            order[start..<min(start + 5, order.count)].shuffle(using: &generator)
        }
        var buffer = VP8JitterBuffer()
        for (index, packet) in order.enumerated() {
            try buffer.insert(packet, at: Instant(nanoseconds: Int64(index) * 1_000_000))
        }
        let events = Self.drain(&buffer)
        #expect(Self.frames(events).map(\.data) == frames)
        #expect(!events.contains(.keyframeNeeded))
    }

    @Test func waitsForARetransmissionAndHoldsLaterFrames() throws {
        let (frames, packets) = Self.stream(count: 4)
        var buffer = VP8JitterBuffer()
        let lost = packets[1][1]
        for packet in packets.joined() where packet != lost { try buffer.insert(packet, at: Self.at(10)) }
        #expect(Self.frames(Self.drain(&buffer)).map(\.data) == [frames[0]])
        #expect(buffer.pollTimeout() == Self.at(260))
        // The retransmission arrives 60 ms later: everything follows in order.
        try buffer.insert(lost, at: Self.at(70))
        let events = Self.drain(&buffer)
        #expect(Self.frames(events).map(\.data) == Array(frames[1...]))
        #expect(!events.contains(.keyframeNeeded))
        #expect(buffer.pollTimeout() == nil)
    }

    @Test func givesUpOnALostFrameAndWaitsForAKeyframe() throws {
        let (frames, packets) = Self.stream(count: 7, keyframes: [0, 5])
        var buffer = VP8JitterBuffer()
        for packet in packets[0...3].joined() where packet != packets[1][0] { try buffer.insert(packet, at: .zero) }
        #expect(Self.frames(Self.drain(&buffer)).count == 1)
        let deadline = try #require(buffer.pollTimeout())
        buffer.handleTimeout(at: deadline - .milliseconds(1))
        #expect(Self.drain(&buffer).isEmpty)
        buffer.handleTimeout(at: deadline)
        // Frames 1 and 2 are given up (1 is incomplete, 2 predicts from it), then 3 too.
        #expect(Self.drain(&buffer) == [.keyframeNeeded, .keyframeNeeded])
        // Delta frame 4 cannot be decoded either; key frame 5 restarts the picture.
        for packet in packets[4...6].joined() { try buffer.insert(packet, at: deadline) }
        let events = Self.drain(&buffer)
        #expect(events.first == .keyframeNeeded)
        let out = Self.frames(events)
        #expect(out.map(\.data) == [frames[5], frames[6]])
        #expect(out.map(\.followsSkippedFrames) == [true, false])
        // The lost packet turning up late changes nothing.
        try buffer.insert(packets[1][0], at: deadline + .milliseconds(5))
        #expect(Self.drain(&buffer).isEmpty)
    }

    @Test func aKeyframeOvertakesAnIncompleteFrame() throws {
        let (frames, packets) = Self.stream(count: 3, keyframes: [0, 2])
        var buffer = VP8JitterBuffer()
        for packet in packets.joined() where packet != packets[1][2] { try buffer.insert(packet, at: .zero) }
        let out = Self.frames(Self.drain(&buffer))
        #expect(out.map(\.data) == [frames[0], frames[2]])
        #expect(out.map(\.followsSkippedFrames) == [false, true])
    }

    @Test func aKeyframeBehindABlockedFrameIsNotKeptWaiting() throws {
        // Frame 1 misses a packet, frame 2 waits for it, frame 3 is a key frame: show it at once.
        let (frames, packets) = Self.stream(count: 5, keyframes: [0, 3])
        var buffer = VP8JitterBuffer()
        for packet in packets.joined() where packet != packets[1][1] { try buffer.insert(packet, at: .zero) }
        let events = Self.drain(&buffer)
        #expect(Self.frames(events).map(\.data) == [frames[0], frames[3], frames[4]])
        #expect(!events.contains(.keyframeNeeded))
        #expect(buffer.pollTimeout() == nil && buffer.packetCount == 0)
    }

    @Test func aSequenceGapWithConsecutivePictureIDsIsNoLoss() throws {
        // A packet that carried no frame (say, padding) was lost: sequence numbers jump, picture ids do not.
        let (frames, packets) = Self.stream(count: 3)
        var buffer = VP8JitterBuffer()
        for packet in packets[0] { try buffer.insert(packet, at: .zero) }
        for var packet in packets[1...].joined() {
            packet.sequenceNumber &+= 1
            try buffer.insert(packet, at: .zero)
        }
        let events = Self.drain(&buffer)
        #expect(Self.frames(events).map(\.data) == frames)
        #expect(!events.contains(.keyframeNeeded))
    }

    @Test func temporalLayersSurviveTheLossOfAnUpperLayerFrame() throws {
        // L1T2: base frames (TID 0) chain through TL0PICIDX; a TID 1 frame predicts from its base.
        func packet(_ sequence: UInt16, pictureID: UInt16, tid: UInt8, tl0: UInt8, key: Bool) -> RTPPacket {
            let descriptor = VP8PayloadDescriptor(
                nonReference: tid > 0, startOfPartition: true, pictureID: .fifteenBit(pictureID), tl0PictureIndex: tl0,
                temporalLayer: .init(index: tid, layerSync: tid > 0))
            return RTPPacket(marker: true, payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(sequence) * 3000,
                             ssrc: 1, payload: descriptor.serialize() + Self.frameData(Int(sequence), key: key, size: 50))
        }
        let stream = [
            packet(1, pictureID: 1, tid: 0, tl0: 4, key: true),
            packet(2, pictureID: 2, tid: 1, tl0: 4, key: false),
            packet(3, pictureID: 3, tid: 0, tl0: 5, key: false),
            packet(4, pictureID: 4, tid: 1, tl0: 5, key: false),
            packet(5, pictureID: 5, tid: 0, tl0: 6, key: false),
        ]
        var buffer = VP8JitterBuffer()
        for packet in stream where packet.sequenceNumber != 2 && packet.sequenceNumber != 4 {
            try buffer.insert(packet, at: .zero)
        }
        #expect(Self.frames(Self.drain(&buffer)).map(\.pictureID) == [1, 3, 5])
        // Losing a base frame breaks the chain: the next base frame waits.
        var broken = VP8JitterBuffer()
        for packet in stream where packet.sequenceNumber != 3 { try broken.insert(packet, at: .zero) }
        #expect(Self.frames(Self.drain(&broken)).map(\.pictureID) == [1, 2])
    }

    @Test func joiningMidStreamAsksForAKeyframe() throws {
        let (frames, packets) = Self.stream(count: 4, keyframes: [0, 3])
        var buffer = VP8JitterBuffer()
        for packet in packets[1] { try buffer.insert(packet, at: .zero) }
        #expect(Self.drain(&buffer) == [.keyframeNeeded])
        for packet in packets[2...].joined() { try buffer.insert(packet, at: .zero) }
        let events = Self.drain(&buffer)
        #expect(events == [.keyframeNeeded, .frame(Self.frames(events).last!)])
        #expect(Self.frames(events).map(\.data) == [frames[3]])
    }

    @Test func ignoresDuplicatesAndRefusesBadPayloads() throws {
        let (frames, packets) = Self.stream(count: 2)
        var buffer = VP8JitterBuffer()
        for packet in packets[0] + packets[0] + packets[1] + [packets[0][1]] { try buffer.insert(packet, at: .zero) }
        #expect(Self.frames(Self.drain(&buffer)).map(\.data) == frames)
        let empty = RTPPacket(payloadType: 96, sequenceNumber: 5000, timestamp: 0, ssrc: 1, payload: [])
        #expect(throws: WireError.self) { try buffer.insert(empty, at: .zero) }
        let truncated = RTPPacket(payloadType: 96, sequenceNumber: 5000, timestamp: 0, ssrc: 1, payload: [0x80, 0x80])
        #expect(throws: WireError.self) { try buffer.insert(truncated, at: .zero) }
    }

    @Test func startsOverWhenFull() throws {
        let (_, packets) = Self.stream(count: 4)
        var buffer = VP8JitterBuffer(configuration: .init(maxPackets: 4))
        // Frame 0 never completes, so packets pile up until the limit.
        for packet in packets.joined() where packet != packets[0][2] { try buffer.insert(packet, at: .zero) }
        #expect(Self.drain(&buffer).contains(.keyframeNeeded))
        #expect(buffer.packetCount <= 4)
    }
}
