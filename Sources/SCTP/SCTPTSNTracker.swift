/// The receiver's record of which TSNs arrived (RFC 9260 §6.2): the cumulative TSN and, above it,
/// the disjoint sorted ranges that become gap ack blocks.
struct SCTPTSNTracker {
    private(set) var cumulative: UInt32
    /// Received ranges above `cumulative + 1`, ascending, neither touching nor overlapping.
    private(set) var ranges: [(start: UInt32, end: UInt32)] = []

    init(cumulative: UInt32) { self.cumulative = cumulative }

    var hasGaps: Bool { !ranges.isEmpty }

    func isReceived(_ tsn: UInt32) -> Bool {
        if tsnLessOrEqual(tsn, cumulative) { return true }
        let index = firstRange(endingAtOrAfter: tsn)
        return index < ranges.count && tsnLessOrEqual(ranges[index].start, tsn)
    }

    /// Index of the first range whose end is not below `tsn` (binary search; ranges are sorted).
    private func firstRange(endingAtOrAfter tsn: UInt32) -> Int {
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if tsnLess(ranges[middle].end, tsn) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Records `tsn`; false if it had been received before (a duplicate).
    mutating func insert(_ tsn: UInt32) -> Bool {
        if tsnLessOrEqual(tsn, cumulative) { return false }
        if tsn == cumulative &+ 1 {
            cumulative = tsn
            absorbFirstRange()
            return true
        }
        // The first range that ends at tsn - 1 or later: tsn joins it, extends it, or goes before it.
        let index = firstRange(endingAtOrAfter: tsn &- 1)
        if index == ranges.count {
            ranges.append((tsn, tsn))
            return true
        }
        let range = ranges[index]
        if tsnLessOrEqual(range.start, tsn) && tsnLessOrEqual(tsn, range.end) { return false }
        if range.end &+ 1 == tsn {
            ranges[index].end = tsn
            if index + 1 < ranges.count, ranges[index + 1].start == tsn &+ 1 {
                ranges[index].end = ranges[index + 1].end
                ranges.remove(at: index + 1)
            }
        } else if tsn &+ 1 == range.start {
            ranges[index].start = tsn
        } else {
            ranges.insert((tsn, tsn), at: index)
        }
        return true
    }

    /// Moves the cumulative TSN to `newCumulative` as a FORWARD TSN asks (RFC 3758 §3.6).
    mutating func forward(to newCumulative: UInt32) {
        guard tsnLess(cumulative, newCumulative) else { return }
        cumulative = newCumulative
        ranges.removeAll { tsnLessOrEqual($0.end, newCumulative) }
        if let first = ranges.first, tsnLessOrEqual(first.start, newCumulative) {
            ranges[0].start = newCumulative &+ 1
        }
        absorbFirstRange()
    }

    private mutating func absorbFirstRange() {
        if let first = ranges.first, first.start == cumulative &+ 1 {
            cumulative = first.end
            ranges.removeFirst()
        }
    }

    /// Gap ack blocks as offsets from the cumulative TSN (§3.3.4), at most `limit` of them.
    func gapBlocks(limit: Int) -> [(start: UInt16, end: UInt16)] {
        var blocks: [(start: UInt16, end: UInt16)] = []
        for range in ranges.prefix(limit) {
            let start = range.start &- cumulative, end = range.end &- cumulative
            guard end <= UInt32(UInt16.max) else { break }
            blocks.append((UInt16(start), UInt16(end)))
        }
        return blocks
    }
}
