import TandemBase

/// Which agent nominates (RFC 8445 §2.3, §6.1.1).
public enum ICERole: Sendable, Equatable {
    case controlling
    case controlled

    var opposite: ICERole { self == .controlling ? .controlled : .controlling }
}

/// ICE username fragment and password (RFC 8445 §5.3, RFC 8839 §5.4).
public struct ICECredentials: Hashable, Sendable {
    public var ufrag: String
    public var pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    /// Fresh credentials: 8-character ufrag (≥ 24 bits of randomness) and 24-character password
    /// (≥ 128 bits), drawn from `ice-char` (RFC 8445 §5.3, RFC 8839 §5.4).
    public static func random(using random: inout some RandomNumberGenerator) -> ICECredentials {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func draw(_ count: Int) -> String {
            String((0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        return ICECredentials(ufrag: draw(8), pwd: draw(24))
    }
}

/// The ICE connection state, as `RTCIceConnectionState` (W3C webrtc-pc §5.6.4).
public enum ICEConnectionState: Sendable, Equatable {
    case new
    case checking
    case connected
    case completed
    case disconnected
    case failed
    case closed
}

/// Something the agent reports to its owner.
public enum ICEEvent: Sendable, Equatable {
    /// A local candidate to signal to the peer (RFC 8838 §4: trickled as soon as known).
    case localCandidate(ICECandidate)
    /// Every local candidate has been announced (end-of-candidates may be signalled).
    case gatheringComplete
    case stateChanged(ICEConnectionState)
    /// The pair that application data now goes through.
    case selectedPairChanged(ICECandidatePair)
}

/// A datagram to send from one of the agent's local sockets.
public struct ICETransmit: Sendable, Equatable {
    public var bytes: [UInt8]
    /// The local socket address to send from.
    public var from: TransportAddress
    public var to: TransportAddress

    public init(bytes: [UInt8], from: TransportAddress, to: TransportAddress) {
        self.bytes = bytes
        self.from = from
        self.to = to
    }
}

/// Timers and servers of an agent. Defaults follow the RFCs where they give numbers.
public struct ICEConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates (RFC 8445 §5.1.1.2).
    public var stunServers: [TransportAddress]
    /// Ta, the pacing of connectivity checks (RFC 8445 §14.2: 50 ms by default).
    public var checkInterval: Duration
    /// Lower bound of a check's first retransmission timeout (RFC 8445 §14.3: 500 ms).
    public var minimumCheckRTO: Duration
    /// Rc, transmissions of one connectivity check (RFC 8489 §6.2.1: 7).
    public var checkTransmissions: Int
    /// Rm: after the last transmission, a check fails when Rm × RTO pass without answer (RFC 8489 §6.2.1: 16).
    public var checkFinalWaitMultiplier: Int
    /// How long a STUN server may take to answer during gathering before it is given up.
    public var stunServerTimeout: Duration
    /// How long the controlling agent waits, after its first valid pair, for a better pair to
    /// succeed before it nominates the best valid pair it has (regular nomination, RFC 8445 §8.1.1).
    public var nominationDelay: Duration
    /// Mean interval of consent checks on the selected pair, randomised ×0.8–1.2 (RFC 7675 §5.1: 5 s).
    public var consentInterval: Duration
    /// Without a consent response for this long the state becomes `disconnected` (a local liveness
    /// heuristic, W3C webrtc-pc §5.6.4); it returns to `connected`/`completed` on the next response.
    /// The default (8 s) exceeds the longest normal gap between responses (1.2 × 5 s plus retransmissions).
    public var disconnectedTimeout: Duration
    /// Consent expires, and the state becomes `failed`, this long after the last consent response
    /// (RFC 7675 §5.1: 30 s).
    public var consentTimeout: Duration
    /// How long every pair must have failed, after end-of-candidates, before the state becomes
    /// `failed`: checks from the peer may still arrive and yield peer-reflexive pairs (RFC 8838 §8).
    public var failureGrace: Duration
    /// Largest number of candidate pairs kept in the check list (RFC 8445 §6.1.2.5: 100).
    public var maximumPairs: Int

    public init(stunServers: [TransportAddress] = [], checkInterval: Duration = .milliseconds(50),
                minimumCheckRTO: Duration = .milliseconds(500), checkTransmissions: Int = 7,
                checkFinalWaitMultiplier: Int = 16, stunServerTimeout: Duration = .seconds(5),
                nominationDelay: Duration = .milliseconds(500), consentInterval: Duration = .seconds(5),
                disconnectedTimeout: Duration = .seconds(8), consentTimeout: Duration = .seconds(30),
                failureGrace: Duration = .seconds(2), maximumPairs: Int = 100) {
        self.stunServers = stunServers
        self.checkInterval = checkInterval
        self.minimumCheckRTO = minimumCheckRTO
        self.checkTransmissions = checkTransmissions
        self.checkFinalWaitMultiplier = checkFinalWaitMultiplier
        self.stunServerTimeout = stunServerTimeout
        self.nominationDelay = nominationDelay
        self.consentInterval = consentInterval
        self.disconnectedTimeout = disconnectedTimeout
        self.consentTimeout = consentTimeout
        self.failureGrace = failureGrace
        self.maximumPairs = maximumPairs
    }
}

/// A local and a remote candidate between which a connectivity check succeeded.
public struct ICECandidatePair: Hashable, Sendable {
    public var local: ICECandidate
    public var remote: ICECandidate

    public init(local: ICECandidate, remote: ICECandidate) {
        self.local = local
        self.remote = remote
    }
}
