import STUN
import TandemBase

/// A full ICE agent (RFC 8445) with trickle (RFC 8838) and consent freshness (RFC 7675) for one
/// component over UDP, sans-IO: it never opens sockets or reads clocks. Its owner tells it which
/// local socket addresses exist, hands it datagrams and the time, and sends the `ICETransmit`s it
/// produces from the local address each one names.
public final class ICEAgent {
    /// Credentials of one ICE generation (each restart starts a new one, RFC 8445 §9).
    struct Generation {
        let number: Int
        let local: ICECredentials
        var remote: ICECredentials?
    }

    struct Consent {
        let pairID: Int
        var lastResponseAt: Instant
        var nextRequestAt: Instant
        var expired = false
    }

    let configuration: ICEConfiguration
    let tieBreaker: UInt64
    var random: any RandomNumberGenerator

    public internal(set) var role: ICERole
    public internal(set) var connectionState: ICEConnectionState = .new
    /// Local candidates of the current generation, including peer-reflexive ones learned from
    /// responses (which are not announced, RFC 8445 §7.2.5.3.1).
    public internal(set) var localCandidates: [ICECandidate] = []
    public internal(set) var remoteCandidates: [ICECandidate] = []

    var current: Generation
    /// The generation before a restart, kept while its pair still carries data (RFC 8445 §9).
    var previous: Generation?
    var sockets: [TransportAddress] = []
    var remoteEndOfCandidates = false
    var pairs: [CheckPair] = []
    var nextPairID = 0
    var triggeredChecks: [(pairID: Int, useCandidate: Bool)] = []
    var transactions: [[UInt8]: StunTransaction] = [:]
    var transactionSequence = 0
    var lastCheckSentAt: Instant?
    var checksStarted = false
    var firstValidAt: Instant?
    var nominationPairID: Int?
    var selectedPairID: Int?
    var consent: Consent?
    var gatheringAnnounced = false
    /// Since when every pair of the current generation has failed (see `failureGrace`).
    var exhaustedSince: Instant?
    var prflxRemoteCount = 0
    var lastNow: Instant = .zero
    var transmits: [ICETransmit] = []
    var events: [ICEEvent] = []
    var transmitIndex = 0
    var eventIndex = 0

    public init(role: ICERole, localCredentials: ICECredentials, configuration: ICEConfiguration = ICEConfiguration(),
                tieBreaker: UInt64? = nil, random: any RandomNumberGenerator) {
        self.role = role
        self.configuration = configuration
        self.random = random
        self.tieBreaker = tieBreaker ?? self.random.next()
        current = Generation(number: 0, local: localCredentials, remote: nil)
    }

    public var localCredentials: ICECredentials { current.local }

    /// The pair application data goes through, if any.
    public var selectedPair: ICECandidatePair? { selectedPairID.flatMap(pair(withID:))?.publicPair }

    // MARK: - Signalling input

    /// The peer's ufrag and password for the current generation (RFC 8839 §5.4).
    public func setRemoteCredentials(ufrag: String, pwd: String) {
        current.remote = ICECredentials(ufrag: ufrag, pwd: pwd)
    }

    /// A remote candidate from signalling (trickled or in the description). Candidates of another
    /// ufrag (an older generation, RFC 8838 §11), another component or a transport other than UDP
    /// are ignored.
    public func addRemoteCandidate(_ candidate: ICECandidate) {
        guard connectionState != .closed, candidate.component == 1, candidate.transport == "udp" else { return }
        if let ufrag = candidate.ufrag, let remote = current.remote, ufrag != remote.ufrag { return }
        var candidate = candidate
        candidate.base = nil
        if let index = remoteCandidates.firstIndex(where: { $0.address == candidate.address }) {
            // RFC 8445 §7.3.1.3: a signalled candidate replaces the peer-reflexive one learned earlier.
            guard remoteCandidates[index].type == .prflx else { return }
            remoteCandidates[index] = candidate
            for pair in pairs where pair.generation == current.number && pair.remote.address == candidate.address {
                pair.remote = candidate
            }
            return
        }
        remoteCandidates.append(candidate)
        formPairs(remote: candidate)
    }

    /// End-of-candidates from the peer (RFC 8838 §13): lets the agent conclude `failed`.
    public func remoteCandidatesComplete(at now: Instant) {
        remoteEndOfCandidates = true
        lastNow = max(lastNow, now)
        updateState(now)
    }

    // MARK: - Local sockets

    /// Announces a local UDP socket: yields a host candidate and starts server-reflexive
    /// gathering from it. Add every socket at the same instant, before the next `handleTimeout`:
    /// `.gatheringComplete` follows once no STUN server answer is outstanding.
    public func addLocalSocket(_ address: TransportAddress, at now: Instant) {
        guard connectionState != .closed, !sockets.contains(address) else { return }
        lastNow = max(lastNow, now)
        sockets.append(address)
        let host = hostCandidate(for: address)
        localCandidates.append(host)
        events.append(.localCandidate(host))
        gatheringAnnounced = false
        startServerReflexiveGathering(from: address, at: now)
        formPairs(local: host)
    }

    // MARK: - Restart and close

    /// ICE restart (RFC 8445 §9): new local credentials and fresh checks; data keeps flowing on the
    /// current pair (answering and consent-checking it with the old credentials) until a pair of
    /// the new generation is selected. Candidates are gathered again and announced anew; pass the
    /// peer's new credentials and candidates as they arrive.
    public func restart(localCredentials: ICECredentials, at now: Instant) {
        guard connectionState != .closed else { return }
        lastNow = max(lastNow, now)
        if let selected = selectedPairID.flatMap(pair(withID:)), selected.generation == current.number {
            previous = current
        }
        if consent?.expired == true {
            // Nothing worth keeping: the old pair lost consent.
            consent = nil
            selectedPairID = nil
            previous = nil
        }
        current = Generation(number: current.number + 1, local: localCredentials, remote: nil)
        let keep = selectedPairID
        pairs.removeAll { $0.id != keep }
        for (id, transaction) in transactions {
            if case .check = transaction.purpose { transactions[id] = nil }
        }
        triggeredChecks.removeAll()
        remoteCandidates.removeAll()
        remoteEndOfCandidates = false
        firstValidAt = nil
        nominationPairID = nil
        checksStarted = false
        exhaustedSince = nil
        localCandidates.removeAll()
        gatheringAnnounced = false
        for socket in sockets {
            let host = hostCandidate(for: socket)
            localCandidates.append(host)
            events.append(.localCandidate(host))
            startServerReflexiveGathering(from: socket, at: now)
        }
        updateState(now)
    }

    /// Stops the agent: no more transmits, timers or events after `.stateChanged(.closed)`.
    public func close() {
        guard connectionState != .closed else { return }
        transactions.removeAll()
        triggeredChecks.removeAll()
        transmits.removeAll()
        transmitIndex = 0
        consent = nil
        setState(.closed)
    }

    // MARK: - Output

    public func pollTransmit() -> ICETransmit? {
        guard transmitIndex < transmits.count else { return nil }
        let next = transmits[transmitIndex]
        transmitIndex += 1
        if transmitIndex == transmits.count {
            transmits.removeAll(keepingCapacity: true)
            transmitIndex = 0
        }
        return next
    }

    public func pollEvent() -> ICEEvent? {
        guard eventIndex < events.count else { return nil }
        let next = events[eventIndex]
        eventIndex += 1
        if eventIndex == events.count {
            events.removeAll(keepingCapacity: true)
            eventIndex = 0
        }
        return next
    }

    /// Addresses application (non-STUN) data to the selected pair; nil without a pair or once
    /// consent has expired (RFC 7675 §5.1: stop sending).
    public func transmit(_ bytes: [UInt8]) -> ICETransmit? {
        guard connectionState != .closed, consent?.expired != true,
              let pair = selectedPairID.flatMap(pair(withID:)) else { return nil }
        return ICETransmit(bytes: bytes, from: pair.socket, to: pair.remote.address)
    }

    // MARK: - Helpers shared by the extensions

    func pair(withID id: Int) -> CheckPair? { pairs.first { $0.id == id } }

    func send(_ transmit: ICETransmit) { transmits.append(transmit) }

    func setState(_ state: ICEConnectionState) {
        guard state != connectionState else { return }
        connectionState = state
        events.append(.stateChanged(state))
    }

    /// A uniform factor in [0.8, 1.2) (RFC 7675 §5.1 randomisation).
    func jitter(_ interval: Duration) -> Duration {
        let unit = Double(random.next() >> 11) / Double(UInt64(1) << 53)
        return .nanoseconds(Int64(Double(interval.nanoseconds) * (0.8 + 0.4 * unit)))
    }

    /// Host candidate for a socket; earlier sockets get the higher local preference (RFC 8445 §5.1.2.1).
    func hostCandidate(for socket: TransportAddress) -> ICECandidate {
        let index = sockets.firstIndex(of: socket) ?? 0
        let localPreference = UInt16(65535 - min(index, 65535))
        return ICECandidate(foundation: ICECandidate.foundation(type: .host, baseIP: socket.ip, serverIP: nil),
                            priority: ICECandidate.priority(type: .host, localPreference: localPreference),
                            address: socket, type: .host, base: socket)
    }
}
