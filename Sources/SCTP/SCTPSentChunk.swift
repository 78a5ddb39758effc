import TandemBase

/// A DATA chunk that has a TSN and is not yet cumulatively acknowledged (RFC 9260 §6.1, §6.3).
struct SCTPSentChunk {
    enum State: Equatable {
        /// Sent and counted in the flight size.
        case inFlight
        /// Acknowledged by a gap ack block; stays until the cumulative TSN passes it.
        case acked
        /// Waiting in the retransmission queue, not counted in the flight size.
        case needsRetransmit
        /// Given up under partial reliability (RFC 3758 §3.5); a FORWARD TSN skips it.
        case abandoned
    }

    var data: SCTPDataChunk
    var sentAt: Instant
    /// Bytes the peer had acknowledged when this chunk was last sent (for delivery rate samples).
    var deliveredAtSend: Int
    var transmissions = 1
    var state = State.inFlight
    var missIndications = 0
    /// Marked by fast retransmit rather than a T3 expiry (for statistics).
    var markedByFastRetransmit = false
    /// Already retransmitted once by fast retransmit (§7.2.4 allows that only once).
    var fastRetransmitted = false
    var expiry: Instant?
    var maxRetransmits: Int?
    var messageFirstTSN: UInt32

    /// Bytes the chunk takes in the packet and in the congestion window: header, payload, padding.
    var size: Int { data.headerSize + data.payload.count + padding(data.payload.count) }
}
