import Testing
import RTP
import TandemBase
@testable import Media
@testable import MediaTransport

/// The parsers and receive paths of the media modules, fed truncations, bit flips and random
/// bytes, either decode or throw; none reads out of bounds (which would trap and fail the run).
@Suite struct MediaParserRobustnessTests {
    static func validSamples() throws -> [[UInt8]] {
        let feedback = TransportFeedback(baseSequenceNumber: 7, referenceTime: 9, feedbackPacketCount: 1,
                                         receiveDeltas: [4, nil, -300, 255, nil, nil, nil, nil, nil, nil, nil, 1])
        let remb = ReceiverEstimatedMaximumBitrate(bitrate: 1_234_567, ssrcs: [1, 2]).rtcp(senderSSRC: 3)
        let wav = WAVAudio(sampleRate: 8000, channels: 1, samples: [1, 2, 3, -4]).serialize()
        let vp8 = VP8PayloadDescriptor(startOfPartition: true, pictureID: .fifteenBit(300), tl0PictureIndex: 1,
                                       temporalLayer: .init(index: 1, layerSync: true)).serialize() + [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A]
        return [feedback.serializeFCI(), remb.fci, wav, vp8]
    }

    /// Runs every parser and receive path on `bytes`; the jitter buffer and stream get them as
    /// VP8 and RTX payloads with a sequence number taken from the input.
    static func parseEverything(_ bytes: [UInt8], into buffer: inout VP8JitterBuffer, stream: inout VideoReceiveStream) {
        _ = try? TransportFeedback(fci: bytes)
        _ = try? ReceiverEstimatedMaximumBitrate.from(
            RTCPFeedback(kind: .payloadSpecific, format: 15, senderSSRC: 1, mediaSSRC: 0, fci: Array("REMB".utf8) + bytes))
        _ = try? WAVAudio(parsing: Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8) + bytes)
        let sequence = UInt16(bytes.first ?? 0) << 8 | UInt16(bytes.last ?? 0)
        let packet = RTPPacket(marker: bytes.count % 2 == 0, payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(bytes.count),
                               ssrc: 5, payload: bytes)
        try? buffer.insert(packet, at: .zero)
        while buffer.pollEvent() != nil {}
        stream.handle(packet, at: .zero)
        var rtx = packet
        rtx.payloadType = 97
        stream.handle(rtx, at: .zero)
        while stream.poll(at: .zero) != nil {}
    }

    @Test func survivesEveryTruncationAndBitFlipOfValidInput() throws {
        var buffer = VP8JitterBuffer()
        var stream = VideoReceiveStream(configuration: .init(localSSRC: 1, remoteSSRC: 5, payloadType: 96, rtxPayloadType: 97))
        for sample in try Self.validSamples() {
            for length in 0...sample.count { Self.parseEverything(Array(sample.prefix(length)), into: &buffer, stream: &stream) }
            for bit in 0..<(sample.count * 8) {
                var flipped = sample
                flipped[bit / 8] ^= 1 << (bit % 8)
                Self.parseEverything(flipped, into: &buffer, stream: &stream)
            }
        }
    }

    @Test func survivesRandomInput() {
        var generator = SeededGenerator(seed: 4588)
        var buffer = VP8JitterBuffer()
        var stream = VideoReceiveStream(configuration: .init(localSSRC: 1, remoteSSRC: 5, payloadType: 96, rtxPayloadType: 97))
        for _ in 0..<1000 {
            Self.parseEverything(generator.bytes(Int.random(in: 0..<64, using: &generator)), into: &buffer, stream: &stream)
        }
    }

    @Test func theDecoderSurvivesGarbageAndRecoversOnAKeyframe() throws {
        let encoder = try VP8Encoder(settings: VP8EncoderSettings(width: 64, height: 48, bitrate: 200_000))
        let keyframe = try #require(try encoder.encode(I420Frame(width: 64, height: 48, y: 90), pts: 0).first)
        var generator = SeededGenerator(seed: 6386)
        let decoder = try VP8Decoder()
        guard case .picture = decoder.decode(keyframe.data) else { Issue.record("key frame not shown"); return }
        for index in 0..<300 {
            var bytes = generator.bytes(Int.random(in: 12..<400, using: &generator))
            // A plausible frame tag (RFC 6386 §9.1: shown, first partition of 10 bytes), key frames
            // with the start code and a 64x48 size, so that libvpx reads into the random data.
            bytes[0] = index % 2 == 0 ? 0x50 : 0x51
            bytes[1] = 0x01
            bytes[2] = 0x00
            if index % 2 == 0 { bytes.replaceSubrange(3..<10, with: [0x9D, 0x01, 0x2A, 0x40, 0x00, 0x30, 0x00]) }
            _ = decoder.decode(bytes)
        }
        // Whatever the garbage did to the references, a key frame brings the picture back.
        guard case let .picture(picture) = decoder.decode(keyframe.data) else { Issue.record("no recovery"); return }
        #expect(picture.width == 64 && picture.height == 48)
    }
}
