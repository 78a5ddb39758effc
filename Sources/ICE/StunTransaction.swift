import TandemBase

/// One outstanding STUN client transaction (RFC 8489 §6.2.1) and what it is for.
struct StunTransaction {
    enum Purpose {
        /// A connectivity check (RFC 8445 §7.2.4); `priority` is the PRIORITY it carried.
        case check(pairID: Int, useCandidate: Bool, sentRole: ICERole, priority: UInt32)
        /// Server-reflexive gathering (RFC 8445 §5.1.1.2).
        case gathering(socket: TransportAddress, server: TransportAddress)
        /// Consent freshness (RFC 7675 §5.1).
        case consent(pairID: Int)
    }

    /// Creation order, so that transactions due at the same instant are served reproducibly.
    let sequence: Int
    let purpose: Purpose
    let request: ICETransmit
    /// Key that authenticates the response (the peer's password); nil for gathering.
    let responseKey: [UInt8]?
    var rto: Duration
    var retransmitAt: Instant?
    var transmissionsLeft: Int
    var expiresAt: Instant
    /// RFC 8445 §7.3.1.4: a cancelled check is not retransmitted and its timeout is not a failure,
    /// but a late success still counts.
    var cancelled = false
}
