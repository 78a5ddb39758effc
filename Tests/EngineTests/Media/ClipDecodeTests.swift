import Foundation
import Testing
import RTP
import TandemBase
@testable import Media
@testable import MediaTransport

/// The committed 320x240 VP8 clip (made outside this project) through the receive chain.
@Suite struct ClipDecodeTests {
    static func clipFrames() throws -> [IVFReader.Frame] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clip-320x240.ivf")
        var reader = try IVFReader([UInt8](try Data(contentsOf: path)))
        return try reader.readAllFrames()
    }

    @Test func decodesEveryFrameOfAForeignStream() throws {
        let decoder = try VP8Decoder()
        var shown = 0
        var last: I420Frame?
        for frame in try Self.clipFrames() {
            guard case let .picture(picture) = decoder.decode(frame.data) else { continue }
            #expect(picture.width == 320 && picture.height == 240)
            shown += 1
            last = picture
        }
        #expect(shown == 90)
        // A snapshot of the last picture is a valid PNG of the right size.
        let png = PNGWriter.png(of: try #require(last))
        #expect(Array(png.prefix(8)) == PNGWriter.signature)
        #expect(Array(png[16..<24]) == [0, 0, 1, 64, 0, 0, 0, 240])
    }

    @Test func packetizedReorderedAndReassembledItStillDecodes() throws {
        var packetizer = VP8Packetizer(ssrc: 1, payloadType: 96, firstSequenceNumber: 65000, firstPictureID: 32760,
                                       maxPayloadSize: 600)
        var packets: [RTPPacket] = []
        for (index, frame) in try Self.clipFrames().enumerated() {
            packets += packetizer.packetize(frame: frame.data, rtpTimestamp: UInt32(index * 3000))
        }
        var generator = SeededGenerator(seed: 9)
        for start in stride(from: 0, to: packets.count, by: 4) {
            packets[start..<min(start + 4, packets.count)].shuffle(using: &generator)
        }
        var buffer = VP8JitterBuffer()
        let decoder = try VP8Decoder()
        var shown = 0
        for packet in packets {
            try buffer.insert(packet, at: .zero)
            while let event = buffer.pollEvent() {
                guard case let .frame(frame) = event else { Issue.record("unexpected \(event)"); continue }
                if case .picture = decoder.decode(frame.data) { shown += 1 }
            }
        }
        #expect(shown == 90)
    }
}
