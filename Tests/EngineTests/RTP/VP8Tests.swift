import Foundation
import Testing
import TandemBase
@testable import RTP

@Suite struct VP8PayloadDescriptorTests {
    @Test(arguments: [
        // RFC 7741 §4.2 layouts: first octet only.
        ("10", VP8PayloadDescriptor(startOfPartition: true)),
        ("23", VP8PayloadDescriptor(nonReference: true, startOfPartition: false, partitionIndex: 3)),
        // X with I: 7-bit picture id 0x55.
        ("90 80 55", VP8PayloadDescriptor(startOfPartition: true, pictureID: .sevenBit(0x55))),
        // X with I: 15-bit picture id 0x1234 (M bit set).
        ("90 80 92 34", VP8PayloadDescriptor(startOfPartition: true, pictureID: .fifteenBit(0x1234))),
        // Every extension: 15-bit id, TL0PICIDX, TID 2 with Y, KEYIDX 17.
        ("b1 f0 ff ff 07 b1", VP8PayloadDescriptor(
            nonReference: true, startOfPartition: true, partitionIndex: 1, pictureID: .fifteenBit(0x7FFF),
            tl0PictureIndex: 7, temporalLayer: .init(index: 2, layerSync: true), keyIndex: 17)),
        // K alone: the TID/Y bits of the shared octet are not used.
        ("80 10 05", VP8PayloadDescriptor(startOfPartition: false, keyIndex: 5)),
        // T alone.
        ("80 20 40", VP8PayloadDescriptor(startOfPartition: false, temporalLayer: .init(index: 1, layerSync: false))),
        // L alone.
        ("80 40 09", VP8PayloadDescriptor(startOfPartition: false, tl0PictureIndex: 9)),
        // Written by aiortc 1.16.0's VpxPayloadDescriptor, which always uses the 15-bit form.
        ("80 80 80 55", VP8PayloadDescriptor(startOfPartition: false, pictureID: .fifteenBit(0x55))),
        ("92 f0 81 2c 07 b1", VP8PayloadDescriptor(
            startOfPartition: true, partitionIndex: 2, pictureID: .fifteenBit(300), tl0PictureIndex: 7,
            temporalLayer: .init(index: 2, layerSync: true), keyIndex: 17)),
    ])
    func roundTrips(hex: String, descriptor: VP8PayloadDescriptor) throws {
        let bytes = try hexBytes(hex)
        let (parsed, offset) = try VP8PayloadDescriptor.parse(bytes + [0x9D, 0x01])
        #expect(parsed == descriptor)
        #expect(offset == bytes.count)
        #expect(descriptor.size == bytes.count)
        #expect(descriptor.serialize() == bytes)
    }

    @Test func reportsPictureIDValues() {
        #expect(VP8PayloadDescriptor.PictureID.sevenBit(0x7F).value == 127)
        #expect(VP8PayloadDescriptor.PictureID.fifteenBit(0x7FFF).value == 32767)
    }

    @Test(arguments: ["", "80", "80 80", "80 80 81", "80 40", "80 20", "80 c0 01"])
    func refusesTruncatedDescriptors(hex: String) throws {
        let bytes = try hexBytes(hex)
        #expect(throws: WireError.self) { try VP8PayloadDescriptor.parse(bytes) }
    }
}

@Suite struct VP8PacketizerTests {
    static func frame(_ count: Int) -> [UInt8] {
        var generator = SeededGenerator(seed: UInt64(count))
        return generator.bytes(count)
    }

    @Test(arguments: [
        (1, 1200, [1]),
        (1196, 1200, [1196]),
        (1197, 1200, [599, 598]),
        (2392, 1200, [1196, 1196]),
        (2393, 1200, [798, 798, 797]),
        (10, 5, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (10, 1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
    ])
    func splitsFramesIntoBalancedPayloads(frameSize: Int, maxPayloadSize: Int, chunkSizes: [Int]) throws {
        var packetizer = VP8Packetizer(ssrc: 0x1234, payloadType: 96, firstSequenceNumber: 65534, firstPictureID: 0x7FFF,
                                       maxPayloadSize: maxPayloadSize)
        let frame = Self.frame(frameSize)
        let packets = packetizer.packetize(frame: frame, rtpTimestamp: 3000)
        #expect(packets.map { $0.payload.count - 4 } == chunkSizes)
        #expect(packets.allSatisfy { $0.payload.count <= max(maxPayloadSize, 5) })
        #expect(packets.map(\.sequenceNumber) == (0..<packets.count).map { 65534 &+ UInt16($0) })
        #expect(packets.map(\.marker) == (0..<packets.count).map { $0 == packets.count - 1 })
        #expect(packets.allSatisfy { $0.timestamp == 3000 && $0.ssrc == 0x1234 && $0.payloadType == 96 })
        for (index, packet) in packets.enumerated() {
            let (descriptor, offset) = try VP8PayloadDescriptor.parse(packet.payload)
            #expect(descriptor.startOfPartition == (index == 0))
            #expect(descriptor.partitionIndex == 0)
            #expect(descriptor.pictureID == .fifteenBit(0x7FFF))
            #expect(offset == 4)
        }
        #expect(packetizer.nextSequenceNumber == 65534 &+ UInt16(packets.count))
        #expect(packetizer.nextPictureID == 0)  // 15-bit wrap
    }

    @Test func producesNothingForAnEmptyFrame() {
        var packetizer = VP8Packetizer(ssrc: 1, payloadType: 96, firstSequenceNumber: 0, firstPictureID: 0, maxPayloadSize: 1200)
        #expect(packetizer.packetize(frame: [], rtpTimestamp: 0).isEmpty)
        #expect(packetizer.nextPictureID == 0)
    }

    @Test func reassemblesWhatItPacketizedThroughTheWire() throws {
        var packetizer = VP8Packetizer(ssrc: 1, payloadType: 96, firstSequenceNumber: 100, firstPictureID: 5, maxPayloadSize: 300)
        var assembler = VP8FrameAssembler()
        for (index, size) in [5000, 17, 1100, 296, 297].enumerated() {
            let frame = Self.frame(size)
            var output: [[UInt8]] = []
            for packet in packetizer.packetize(frame: frame, rtpTimestamp: UInt32(index * 3000)) {
                let received = try RTPPacket.parse(packet.serialize())
                if let frame = try assembler.push(received) { output.append(frame) }
            }
            #expect(output == [frame])
        }
    }

    @Test func dropsAFrameWithAMissingPacket() throws {
        var packetizer = VP8Packetizer(ssrc: 1, payloadType: 96, firstSequenceNumber: 0, firstPictureID: 0, maxPayloadSize: 100)
        var assembler = VP8FrameAssembler()
        let broken = packetizer.packetize(frame: Self.frame(500), rtpTimestamp: 0)
        for (index, packet) in broken.enumerated() where index != 2 {
            #expect(try assembler.push(packet) == nil)
        }
        // Starting mid-frame yields nothing either, and the next whole frame comes through.
        let next = Self.frame(250)
        let packets = packetizer.packetize(frame: next, rtpTimestamp: 3000)
        #expect(try assembler.push(packets[1]) == nil)
        var output: [[UInt8]] = []
        for packet in packets { if let frame = try assembler.push(packet) { output.append(frame) } }
        #expect(output == [next])
    }

    @Test func tellsKeyFramesFromTheFrameTag() {
        #expect(VP8FrameAssembler.isKeyFrame([0x70, 0x66, 0x00, 0x9D, 0x01, 0x2A]))
        #expect(!VP8FrameAssembler.isKeyFrame([0x71, 0x02, 0x00]))
        #expect(!VP8FrameAssembler.isKeyFrame([]))
    }
}

@Suite struct IVFReaderTests {
    static let clipPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/clip-320x240.ivf")

    @Test func readsTheCommittedClip() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.clipPath))
        var reader = try IVFReader(bytes)
        #expect(reader.header.fourCC == "VP80")
        #expect(reader.header.width == 320)
        #expect(reader.header.height == 240)
        #expect(reader.header.timebaseDenominator == 30)
        #expect(reader.header.timebaseNumerator == 1)
        let frames = try reader.readAllFrames()
        #expect(frames.count == 90)
        #expect(reader.header.frameCount == 90)
        #expect(frames.map(\.timestamp) == (0..<90).map(UInt64.init))
        #expect(VP8FrameAssembler.isKeyFrame(try #require(frames.first).data))
        // A VP8 key frame carries the start code 9d 01 2a after the 3-byte frame tag (RFC 6386 §9.1).
        #expect(try #require(frames.first).data[3..<6] == [0x9D, 0x01, 0x2A])
        #expect(try reader.nextFrame() == nil)
    }

    @Test func refusesDamagedFiles() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.clipPath))
        #expect(throws: WireError.self) { try IVFReader(Array(bytes.prefix(31))) }
        var wrongSignature = bytes
        wrongSignature[0] = 0x41
        #expect(throws: WireError.self) { try IVFReader(wrongSignature) }
        let cutInFrame = try IVFReader(Array(bytes.prefix(32 + 12 + 10)))
        #expect(throws: WireError.self) { var reader = cutInFrame; _ = try reader.nextFrame() }
        let cutInHeader = try IVFReader(Array(bytes.prefix(32 + 5)))
        #expect(throws: WireError.self) { var reader = cutInHeader; _ = try reader.nextFrame() }
    }
}
