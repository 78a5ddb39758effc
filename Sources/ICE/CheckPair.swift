import TandemBase

/// Candidate pair states (RFC 8445 §6.1.2.6).
enum CheckState: Equatable {
    case frozen
    case waiting
    case inProgress
    case succeeded
    case failed

    var isPending: Bool { self == .frozen || self == .waiting || self == .inProgress }
}

/// A candidate pair in the check list or the valid list (RFC 8445 §6.1.2, §7.2.5.3.2).
final class CheckPair {
    let id: Int
    /// The credential generation (ICE restart counter) the pair belongs to.
    let generation: Int
    var local: ICECandidate
    var remote: ICECandidate
    var state: CheckState
    /// In the valid list: a check from this pair's local base succeeded (RFC 8445 §7.2.5.3.2).
    var isValid = false
    var nominated = false
    /// Controlled agent: USE-CANDIDATE arrived before this pair's own check succeeded (RFC 8445 §7.3.1.5).
    var nominateOnSuccess = false
    /// The valid pair that this pair's successful check produced.
    var validPairID: Int?

    init(id: Int, generation: Int, local: ICECandidate, remote: ICECandidate, state: CheckState) {
        self.id = id
        self.generation = generation
        self.local = local
        self.remote = remote
        self.state = state
    }

    /// The local socket this pair sends from.
    var socket: TransportAddress { local.base ?? local.address }

    /// RFC 8445 §6.1.3: the pair foundation joins the two candidate foundations.
    var foundation: String { local.foundation + ":" + remote.foundation }

    /// RFC 8445 §6.1.2.3: 2^32 × MIN(G,D) + 2 × MAX(G,D) + (G > D ? 1 : 0), G being the
    /// controlling agent's candidate priority.
    func priority(role: ICERole) -> UInt64 {
        let g = UInt64(role == .controlling ? local.priority : remote.priority)
        let d = UInt64(role == .controlling ? remote.priority : local.priority)
        return (min(g, d) << 32) + 2 * max(g, d) + (g > d ? 1 : 0)
    }

    var publicPair: ICECandidatePair { ICECandidatePair(local: local, remote: remote) }
}

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
