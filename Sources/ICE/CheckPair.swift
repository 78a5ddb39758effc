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
        // Priorities are at most 2^31 − 1 (RFC 8445 §5.1.2.1); a larger PRIORITY from the network is
        // capped so the sum cannot overflow.
        let g = UInt64(min(role == .controlling ? local.priority : remote.priority, 0x7FFF_FFFF))
        let d = UInt64(min(role == .controlling ? remote.priority : local.priority, 0x7FFF_FFFF))
        return (min(g, d) << 32) + 2 * max(g, d) + (g > d ? 1 : 0)
    }

    var publicPair: ICECandidatePair { ICECandidatePair(local: local, remote: remote) }
}
