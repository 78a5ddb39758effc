import Media
import TandemBase
import Testing

@Suite struct PlaybackAnalysisTests {
    @Test func freezesFrameRateAndPSNRFollowWhatWasShown() {
        var statistics = PlaybackStatistics(freezeThreshold: .milliseconds(300))
        var now = Instant(nanoseconds: 0)
        for index in 0..<30 {
            statistics.frameShown(at: now, psnr: Double(30 + index % 5))
            now = now + .milliseconds(index == 10 ? 400 : 33)
        }
        statistics.frameRefused()
        #expect(statistics.framesShown == 30)
        #expect(statistics.framesRefused == 1)
        #expect(statistics.freezes == 1)
        #expect(statistics.longestGap == .milliseconds(400))
        #expect(statistics.psnrMinimum == 30)
        #expect(statistics.psnrMedian == 32)
        let fps = try! #require(statistics.framesPerSecond)
        // 29 intervals: 28 of 33 ms and one of 400 ms.
        #expect(abs(fps - 29 / 1.324) < 0.01)
    }

    @Test func aToneSurvivesOpusAndIsFoundAtItsFrequency() throws {
        let tone = ToneSource(frequency: 440, amplitude: 0.4)
        let encoder = try OpusEncoder(channels: 1)
        let decoder = try OpusDecoder(channels: 1)
        var decoded: [Int16] = []
        for index in 0..<50 { decoded += try decoder.decode(try encoder.encode(tone.frame(index))) }
        let found = try #require(ToneAnalysis.dominantFrequency(Array(decoded.suffix(9_600)), sampleRate: 48_000))
        #expect(abs(found - 440) <= 5)
        #expect(ToneAnalysis.dominantFrequency([Int16](repeating: 0, count: 48_000), sampleRate: 48_000) == nil)
    }
}
