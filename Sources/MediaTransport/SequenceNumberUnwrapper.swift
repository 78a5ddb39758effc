/// Extends 16-bit RTP sequence numbers to a 64-bit count that does not wrap (RFC 3550 §A.1):
/// each number is placed as the value nearest to the last one unwrapped.
public struct SequenceNumberUnwrapper: Sendable {
    private var last: Int64?

    public init() {}

    public mutating func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        guard let last else {
            self.last = Int64(sequenceNumber)
            return Int64(sequenceNumber)
        }
        let delta = Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: last)))
        let value = last + delta
        if value > last { self.last = value }
        return value
    }
}
