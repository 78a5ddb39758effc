import Testing
import TandemBase
@testable import Media

@Suite struct ScreenChangeDetectorTests {
    static func at(_ milliseconds: Int64) -> Instant { .zero + .milliseconds(milliseconds) }

    @Test func encodesChangesAndARefreshOfAStaticScreenThatSlowsDown() {
        var detector = ScreenChangeDetector(refreshInterval: .seconds(1), maximumRefreshInterval: .seconds(4))
        let still = SyntheticScreen(width: 96, height: 64, content: .static)
        var encoded: [Int64] = []
        for index in 0..<400 where detector.shouldEncode(still.frame(index), at: Self.at(Int64(index) * 33)) {
            encoded.append(Int64(index) * 33)
        }
        // The first frame, then refreshes 1, 2 and 4 s apart, then every 4 s.
        #expect(encoded == [0, 1023, 3036, 7062, 11088])
        let typing = SyntheticScreen(width: 96, height: 64, content: .typing)
        var typed = 0
        for index in 0..<30 where detector.shouldEncode(typing.frame(index), at: Self.at(14_000 + Int64(index) * 33)) { typed += 1 }
        #expect(typed == 30)
        // A change brings the interval back to its start: the next still picture refreshes after 1 s.
        let after = (0..<40).filter { detector.shouldEncode(typing.frame(29), at: Self.at(15_000 + Int64($0) * 33)) }
        #expect(after == [29], "\(after)")
    }

    @Test func comparesOnlyVisiblePixels() throws {
        let frame = BGRAFrame(width: 2, height: 2, blue: 1)
        var padded = [UInt8](repeating: 0xEE, count: 12 * 2)
        for row in 0..<2 { padded.replaceSubrange(row * 12..<row * 12 + 8, with: frame.pixels[row * 8..<row * 8 + 8]) }
        let strided = try #require(BGRAFrame(width: 2, height: 2, stride: 12, pixels: padded))
        #expect(ScreenChangeDetector.samePixels(frame, strided))
        #expect(!ScreenChangeDetector.samePixels(frame, BGRAFrame(width: 2, height: 2, blue: 2)))
        #expect(!ScreenChangeDetector.samePixels(frame, BGRAFrame(width: 2, height: 3, blue: 1)))
    }
}
