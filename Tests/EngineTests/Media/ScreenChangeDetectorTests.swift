import Testing
import TandemBase
@testable import Media

@Suite struct ScreenChangeDetectorTests {
    static func at(_ milliseconds: Int64) -> Instant { .zero + .milliseconds(milliseconds) }

    @Test func encodesChangesAndASlowRefreshOfAStaticScreen() {
        var detector = ScreenChangeDetector(refreshInterval: .seconds(1))
        let still = SyntheticScreen(width: 96, height: 64, content: .static)
        var encoded: [Int64] = []
        for index in 0..<90 where detector.shouldEncode(still.frame(index), at: Self.at(Int64(index) * 33)) {
            encoded.append(Int64(index) * 33)
        }
        // The first frame, then one refresh per second: 0, 1023 and 2046 ms.
        #expect(encoded == [0, 1023, 2046])
        let typing = SyntheticScreen(width: 96, height: 64, content: .typing)
        var typed = 0
        for index in 0..<30 where detector.shouldEncode(typing.frame(index), at: Self.at(3000 + Int64(index) * 33)) { typed += 1 }
        #expect(typed == 30)
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
