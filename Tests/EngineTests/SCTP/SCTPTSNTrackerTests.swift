import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPTSNTrackerTests {
    /// Random arrival orders, with duplicates, across the 2^32 wrap, against a plain set.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func matchesAReferenceSet(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let start: UInt32 = 0xFFFF_FF80
        var tracker = SCTPTSNTracker(cumulative: start &- 1)
        var received = Set<UInt32>()
        for _ in 0..<600 {
            let tsn = start &+ UInt32.random(in: 0..<300, using: &random)
            #expect(tracker.insert(tsn) == received.insert(tsn).inserted)
            var cumulative = start &- 1
            while received.contains(cumulative &+ 1) { cumulative &+= 1 }
            #expect(tracker.cumulative == cumulative)
            for probe in 0..<300 where probe % 37 == 0 {
                let candidate = start &+ UInt32(probe)
                #expect(tracker.isReceived(candidate) == received.contains(candidate))
            }
            // Gap blocks cover exactly the received TSNs above the cumulative one.
            var covered = Set<UInt32>()
            for block in tracker.gapBlocks(limit: 1000) {
                for offset in block.start...block.end { covered.insert(cumulative &+ UInt32(offset)) }
            }
            #expect(covered == received.filter { tsnLess(cumulative, $0) })
        }
    }

    @Test func forwardMovesPastRangesItCovers() {
        var tracker = SCTPTSNTracker(cumulative: 10)
        for tsn: UInt32 in [13, 14, 17, 20, 21] { _ = tracker.insert(tsn) }
        tracker.forward(to: 15)
        #expect(tracker.cumulative == 15)
        #expect(tracker.gapBlocks(limit: 10).map { [$0.start, $0.end] } == [[2, 2], [5, 6]])
        _ = tracker.insert(16)
        #expect(tracker.cumulative == 17)
        tracker.forward(to: 12)
        #expect(tracker.cumulative == 17)
    }
}
