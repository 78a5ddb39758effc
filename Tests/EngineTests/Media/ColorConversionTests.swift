import Testing
@testable import Media

@Suite struct ColorConversionTests {
    @Test func bgraToI420AndBackIsCloseToIdentity() throws {
        let source = SyntheticScreen(width: 320, height: 240, content: .shapes).frame(7)
        let back = BGRAFrame(converting: I420Frame(converting: source))
        #expect(back.width == 320 && back.height == 240)
        var totalError = 0
        for (a, b) in zip(source.pixels, back.pixels) { totalError += abs(Int(a) - Int(b)) }
        let meanError = Double(totalError) / Double(source.pixels.count)
        // Chroma is halved in each direction, so only edges between colours lose detail.
        #expect(meanError < 3, "mean absolute error \(meanError)")
        // Flat areas keep their colour within rounding.
        for (x, y) in [(2, 2), (160, 120), (300, 230)] {
            let (a, b) = (source.pixel(x: x, y: y), back.pixel(x: x, y: y))
            #expect(abs(Int(a.red) - Int(b.red)) <= 3 && abs(Int(a.green) - Int(b.green)) <= 3
                    && abs(Int(a.blue) - Int(b.blue)) <= 3 && b.alpha == 255, "\(a) became \(b) at (\(x), \(y))")
        }
    }

    @Test func convertsOddSizes() throws {
        let source = BGRAFrame(width: 33, height: 17, blue: 200, green: 100, red: 50)
        let i420 = I420Frame(converting: source)
        #expect(i420.u.count == 17 * 9 && i420.y.count == 33 * 17)
        let back = BGRAFrame(converting: i420)
        let (blue, green, red, _) = back.pixel(x: 32, y: 16)
        #expect(abs(Int(blue) - 200) <= 3 && abs(Int(green) - 100) <= 3 && abs(Int(red) - 50) <= 3)
    }

    @Test func psnrRanksDistortion() throws {
        let frame = I420Frame(converting: SyntheticScreen(width: 64, height: 48, content: .static).frame(0))
        var slightly = frame, badly = frame
        for index in stride(from: 0, to: frame.y.count, by: 7) {
            slightly.y[index] = slightly.y[index] &+ 2
            badly.y[index] = badly.y[index] &+ 60
        }
        let identical = try #require(frame.psnr(against: frame))
        let small = try #require(frame.psnr(against: slightly))
        let large = try #require(frame.psnr(against: badly))
        #expect(identical > small && small > large && large > 10)
        #expect(frame.psnr(against: I420Frame(width: 32, height: 48)) == nil)
    }

    @Test func refusesPlanesOfTheWrongSize() {
        #expect(I420Frame(width: 4, height: 4, y: [UInt8](repeating: 0, count: 16), u: [0, 0, 0, 0], v: [0, 0, 0]) == nil)
        #expect(BGRAFrame(width: 4, height: 4, stride: 16, pixels: [UInt8](repeating: 0, count: 63)) == nil)
    }
}

@Suite struct SyntheticScreenTests {
    static func differs(_ a: BGRAFrame, _ b: BGRAFrame) -> Int {
        zip(a.pixels, b.pixels).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
    }

    @Test func isDeterministicInTheFrameIndex() {
        for content in SyntheticScreen.Content.allCases {
            let screen = SyntheticScreen(width: 160, height: 120, content: content)
            #expect(screen.frame(12) == SyntheticScreen(width: 160, height: 120, content: content).frame(12))
        }
    }

    @Test func staticContentNeverChangesAndTheOthersDo() {
        let changes = Dictionary(uniqueKeysWithValues: SyntheticScreen.Content.allCases.map { content in
            let screen = SyntheticScreen(width: 160, height: 120, content: content)
            return (content, Self.differs(screen.frame(3), screen.frame(4)))
        })
        #expect(changes[.static] == 0)
        // Typing changes a few glyph-sized blocks; scrolling, video and shapes change much more.
        let typing = changes[.typing] ?? 0
        #expect(typing > 0 && typing < 160 * 120 * 4 / 50)
        for content in [SyntheticScreen.Content.scrolling, .video, .shapes] {
            #expect(changes[content] ?? 0 > typing, "\(content)")
        }
    }
}
