import Testing
@testable import Media

@Suite struct VP8CodecTests {
    static let width = 320
    static let height = 240

    static func encoder(bitrate: Int = 800_000) throws -> VP8Encoder {
        try VP8Encoder(settings: VP8EncoderSettings(width: width, height: height, bitrate: bitrate))
    }

    static func source(_ content: SyntheticScreen.Content) -> SyntheticScreen {
        SyntheticScreen(width: width, height: height, content: content)
    }

    static func pts(_ index: Int) -> Int64 { Int64(index) * 3000 }

    @Test func roundTripKeepsTheSourceSharp() throws {
        let encoder = try Self.encoder()
        let decoder = try VP8Decoder()
        let screen = Self.source(.shapes)
        var psnrs: [Double] = []
        for index in 0..<30 {
            let source = I420Frame(converting: screen.frame(index))
            for frame in try encoder.encode(source, pts: Self.pts(index)) {
                guard case let .picture(picture) = decoder.decode(frame.data) else {
                    Issue.record("frame \(index) did not decode to a picture")
                    continue
                }
                psnrs.append(try #require(picture.psnr(against: source)))
            }
        }
        #expect(psnrs.count == 30)
        #expect(psnrs.min() ?? 0 >= 30, "PSNR per frame: \(psnrs)")
    }

    @Test func makesKeyframesOnlyWhenAsked() throws {
        let encoder = try Self.encoder()
        let screen = Self.source(.typing)
        var keyframes: [Bool] = []
        for index in 0..<8 {
            if index == 4 { encoder.requestKeyframe() }
            let frames = try encoder.encode(I420Frame(converting: screen.frame(index)), pts: Self.pts(index), keyframe: index == 6)
            keyframes += frames.map(\.isKeyframe)
        }
        #expect(keyframes == [true, false, false, false, true, false, true, false])
    }

    @Test func followsBitrateChanges() throws {
        let encoder = try Self.encoder(bitrate: 1_500_000)
        let screen = Self.source(.video)
        func bytes(_ range: Range<Int>) throws -> Int {
            try range.reduce(0) { total, index in
                try total + encoder.encode(I420Frame(converting: screen.frame(index)), pts: Self.pts(index))
                    .reduce(0) { $0 + $1.data.count }
            }
        }
        _ = try bytes(0..<10)
        let high = try bytes(10..<30)
        try encoder.setBitrate(100_000)
        try encoder.setFrameRate(15)
        #expect(encoder.settings.bitrate == 100_000 && encoder.settings.frameRate == 15)
        _ = try bytes(30..<40)
        let low = try bytes(40..<60)
        #expect(low * 2 < high, "bytes over 20 frames: \(high) at 1.5 Mbit/s, \(low) at 100 kbit/s")
    }

    @Test func refusesAPictureOfTheWrongSize() throws {
        let encoder = try Self.encoder()
        #expect(throws: VPXError.self) { try encoder.encode(I420Frame(width: 64, height: 64), pts: 0) }
    }

    @Test func flagsAFrameWhoseReferenceWasLost() throws {
        let encoder = try Self.encoder()
        let decoder = try VP8Decoder()
        let screen = Self.source(.scrolling)
        var frames: [VP8EncodedFrame] = []
        for index in 0..<8 { frames += try encoder.encode(I420Frame(converting: screen.frame(index)), pts: Self.pts(index)) }
        try #require(frames.count == 8)
        for frame in frames[0..<3] {
            guard case .picture = decoder.decode(frame.data) else { Issue.record("intact frame not shown"); return }
        }
        // Frame 3 is lost; the receiver's jitter buffer knows it from the picture ids and says so.
        decoder.signalMissingFrames()
        #expect(decoder.decode(frames[4].data) == .corrupted)
        #expect(decoder.decode(frames[5].data) == .corrupted)
        // Without the signal libvpx would have shown frame 4 predicted from frame 2.
        let unaware = try VP8Decoder()
        for frame in frames[0..<3] { _ = unaware.decode(frame.data) }
        guard case .picture = unaware.decode(frames[4].data) else { Issue.record("libvpx noticed the loss itself"); return }
        // A key frame repairs the picture.
        encoder.requestKeyframe()
        let keyframe = try #require(try encoder.encode(I420Frame(converting: screen.frame(8)), pts: Self.pts(8)).first)
        #expect(keyframe.isKeyframe)
        guard case .picture = decoder.decode(keyframe.data) else { Issue.record("key frame not shown"); return }
    }

    @Test func refusesDeltaFramesBeforeAKeyframeAndDamagedData() throws {
        let encoder = try Self.encoder()
        let screen = Self.source(.typing)
        var frames: [VP8EncodedFrame] = []
        for index in 0..<2 { frames += try encoder.encode(I420Frame(converting: screen.frame(index)), pts: Self.pts(index)) }
        let decoder = try VP8Decoder()
        guard case .undecodable = decoder.decode(frames[1].data) else { Issue.record("delta frame accepted first"); return }
        guard case .undecodable = decoder.decode([]) else { Issue.record("empty frame accepted"); return }
        // A key frame cut short after its header.
        guard case .undecodable = decoder.decode(Array(frames[0].data.prefix(12))) else {
            Issue.record("truncated key frame accepted"); return
        }
    }

    @Test func encodesA1080pDesktop() throws {
        let settings = VP8EncoderSettings(width: 1920, height: 1080, bitrate: 4_000_000)
        #expect(settings.cpuUsed == 16 && settings.threads == 2)
        let encoder = try VP8Encoder(settings: settings)
        let source = I420Frame(converting: SyntheticScreen(width: 1920, height: 1080, content: .static).frame(0))
        let frame = try #require(try encoder.encode(source, pts: 0).first)
        #expect(frame.isKeyframe)
        guard case let .picture(picture) = try VP8Decoder(threads: 2).decode(frame.data) else {
            Issue.record("1080p key frame did not decode"); return
        }
        #expect(try #require(picture.psnr(against: source)) >= 30)
    }
}
