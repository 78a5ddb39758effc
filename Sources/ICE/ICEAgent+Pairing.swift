import TandemBase

extension ICEAgent {
    /// True once the controlling agent's nomination concluded this generation's checks (RFC 8445 §8.1.2).
    var checklistCompleted: Bool {
        pairs.contains { $0.generation == current.number && $0.nominated }
    }

    /// Local candidates that get paired: those that are their own base. Server-reflexive and
    /// peer-reflexive local candidates would duplicate the pair of their base (RFC 8445 §6.1.2.4).
    private func isPairable(_ local: ICECandidate) -> Bool {
        local.type == .host || local.type == .relay
    }

    func formPairs(remote: ICECandidate) {
        for local in localCandidates where isPairable(local) { addPair(local: local, remote: remote) }
    }

    func formPairs(local: ICECandidate) {
        for remote in remoteCandidates { addPair(local: local, remote: remote) }
    }

    /// RFC 8445 §6.1.2.2–6.1.2.5: pair candidates of the same family; a pair with the same local
    /// base and remote address as an existing one is redundant; the list is capped, dropping the
    /// lowest-priority frozen pairs. New pairs start Frozen and are unfrozen by foundation
    /// (§6.1.4.2). Once nomination completed this generation's checks, only a pair the peer
    /// nominates is added.
    @discardableResult
    func addPair(local: ICECandidate, remote: ICECandidate, state: CheckState = .frozen, evenIfCompleted: Bool = false) -> CheckPair? {
        guard local.address.ip.isIPv4 == remote.address.ip.isIPv4, evenIfCompleted || !checklistCompleted else { return nil }
        let socket = local.base ?? local.address
        if let existing = findPair(socket: socket, remote: remote.address) { return existing }
        let pair = CheckPair(id: nextPairID, generation: current.number, local: local, remote: remote, state: state)
        nextPairID += 1
        pairs.append(pair)
        let checklist = pairs.filter { $0.generation == current.number }
        if checklist.count > configuration.maximumPairs,
           let weakest = checklist.filter({ $0.state == .frozen }).min(by: { $0.priority(role: role) < $1.priority(role: role) }) {
            pairs.removeAll { $0.id == weakest.id }
            if weakest.id == pair.id { return nil }
        }
        return pair
    }

    /// The current generation's pair that sends from `socket` to `remote`, preferring the one in
    /// the check list (whose local candidate is its own base) over a valid pair built on a
    /// peer-reflexive local candidate.
    func findPair(socket: TransportAddress, remote: TransportAddress) -> CheckPair? {
        let matches = pairs.filter { $0.generation == current.number && $0.socket == socket && $0.remote.address == remote }
        return matches.first { $0.local.address == socket } ?? matches.first
    }

    /// The local candidate whose base is `socket` and which is its own base (host or relay).
    func baseCandidate(of socket: TransportAddress) -> ICECandidate? {
        localCandidates.first { $0.address == socket && isPairable($0) }
    }
}
