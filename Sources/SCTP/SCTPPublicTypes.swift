import TandemBase

/// Settings of one association. Defaults follow RFC 9260 §16 with WebRTC-friendly timers.
public struct SCTPConfiguration: Sendable {
    public var localPort: UInt16 = 5000
    public var remotePort: UInt16 = 5000
    /// Largest SCTP packet, including the 12-byte common header (at least `SCTPAssociation.minimumMTU`).
    public var mtu: Int = 1200
    /// Largest message we accept to receive; a peer sending a larger one gets the association aborted.
    public var maxMessageSize: Int = 256 * 1024
    /// The a_rwnd we advertise, and the bound on bytes held for reassembly.
    public var receiveWindow: UInt32 = 4 * 1024 * 1024
    /// Bytes queued or in flight across all streams; send() throws beyond it.
    public var sendBufferLimit: Int = 16 * 1024 * 1024
    public var outboundStreams: UInt16 = 1024
    public var maxInboundStreams: UInt16 = 1024
    public var initialRTO: Duration = .milliseconds(1000)
    public var minRTO: Duration = .milliseconds(200)
    public var maxRTO: Duration = .milliseconds(60_000)
    /// Upper bound on the RTO after exponential backoff (§6.3.3 E2), or nil for `maxRTO`. A measured
    /// RTO above it is kept. On a lossy path a run of lost retransmissions otherwise doubles the timer
    /// towards a minute, which an interactive session cannot wait; a lower bound retries sooner, and
    /// `maxRetransmitsBeforeAbort` still ends an association whose peer is gone.
    public var maxTimerBackoff: Duration?
    public var delayedAckTimeout: Duration = .milliseconds(200)
    /// Association.Max.Retrans (also bounds INIT and COOKIE ECHO retransmissions, Max.Init.Retransmits).
    public var maxRetransmitsBeforeAbort: Int = 10
    /// HB.interval (RFC 9260 §8.3): an idle association sends a HEARTBEAT this long after its last one.
    public var heartbeatInterval: Duration = .seconds(30)
    /// Upper bound on the congestion window, or nil for none (the peer's window still applies). A fixed
    /// bound also bounds throughput to itself per round trip; `inFlightLimit` adapts to the path.
    public var maxCongestionWindow: Int?
    /// A bound on bytes in flight from the measured path, or nil for none (`cwnd` and
    /// `maxCongestionWindow` still apply). Loss-based congestion control (RFC 9260 §7) fills whatever
    /// queue the path has before it backs off, and a message sent during a bulk transfer waits behind
    /// everything in flight; this keeps the flight near what the path holds without a queue.
    public var inFlightLimit: InFlightLimit?
    /// Offer I-DATA (RFC 8260): if the peer offers it too, fragments of messages on different streams
    /// interleave, so a small message need not wait for a large one to be cut up. Off by default:
    /// Chromium does not offer it and aiortc does not know it; it serves endpoints of this stack.
    public var enableMessageInterleaving = false
    /// Valid.Cookie.Life (RFC 9260 §16).
    public var cookieLifetime: Duration = .seconds(60)

    public init() {}
}

/// At most `gain` times the bandwidth-delay product (the highest delivery rate of the last rounds times
/// the lowest RTT seen lately), and never less than `minimum` bytes, which covers what the receiver takes
/// in one batch of reads. With a gain of 2 the queue holds about one lowest RTT worth of data; the flight
/// can still double every round trip, as in slow start, while the path has room. RFC 9260 §7.2 lets a
/// sender be more conservative than §7 allows: this only ever sends less than cwnd would.
public struct InFlightLimit: Sendable, Equatable {
    public var gain: Double
    public var minimum: Int

    public init(gain: Double = 2, minimum: Int = 64 * 1024) {
        self.gain = gain
        self.minimum = minimum
    }
}

public enum SCTPReliability: Sendable, Equatable {
    case reliable
    /// Abandon a message once any of its chunks would be retransmitted more often than this (RFC 3758).
    case maxRetransmits(UInt16)
    /// Abandon a message not acknowledged within this time after send() (RFC 3758).
    case maxPacketLifeTime(Duration)
}

public enum SCTPAssociationState: Sendable, Equatable {
    case closed, cookieWait, cookieEchoed, established, shutdownPending, shutdownSent, shutdownReceived, shutdownAckSent
}

public enum SCTPEvent: Sendable, Equatable {
    /// The association is established.
    case connected
    /// One complete user message.
    case message(stream: UInt16, ppid: UInt32, payload: [UInt8])
    /// The peer reset (closed) these of its outgoing streams, our incoming ones (RFC 6525).
    case incomingStreamsReset([UInt16])
    /// The peer performed our reset request for these outgoing streams.
    case outgoingStreamsResetDone([UInt16])
    /// The stream's buffered amount fell to or below its threshold.
    case bufferedAmountLow(stream: UInt16)
    /// Shutdown complete, abort received or sent, or failure (too many retransmissions).
    case closed(SCTPCloseReason)
}

public enum SCTPCloseReason: Sendable, Equatable {
    case shutdown
    case abortedByPeer(String)
    case abortedLocally(String)
    case failed(String)
}

public enum SCTPSendError: Error, Sendable, Equatable {
    case notEstablished
    case messageTooLarge(size: Int, limit: Int)
    case sendBufferFull(limit: Int)
    case streamOutOfRange(UInt16)
    case streamResetting(UInt16)
}

/// Counters and the congestion-control state of an association.
public struct SCTPStatistics: Sendable, Equatable {
    public var packetsSent = 0
    public var packetsReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var dataChunksSent = 0
    public var dataChunksReceived = 0
    public var messagesSent = 0
    public var messagesReceived = 0
    /// Chunks retransmitted after three miss indications (RFC 9260 §7.2.4).
    public var fastRetransmissions = 0
    /// Chunks retransmitted after a T3-rtx expiry (RFC 9260 §6.3.3).
    public var timeoutRetransmissions = 0
    public var t3Expirations = 0
    /// Packets dropped as undecodable, with a bad checksum or a wrong verification tag.
    public var malformedPacketsDropped = 0
    public var verificationTagMismatches = 0
    public var duplicateTSNsReceived = 0
    /// DATA chunks dropped because the receive buffer was full.
    public var dataChunksDroppedNoBuffer = 0
    public var unknownChunksReceived = 0
    /// Messages given up under partial reliability (RFC 3758).
    public var messagesAbandoned = 0
    public var forwardTSNsSent = 0
    public var congestionWindow = 0
    public var slowStartThreshold = 0
    public var outstandingBytes = 0
    /// The bound `SCTPConfiguration.inFlightLimit` sets now; nil without one or before it is measured.
    public var inFlightLimit: Int?
    public var peerReceiveWindow = 0
    public var rto: Duration = .zero
    /// Smoothed round-trip time; nil before the first measurement.
    public var srtt: Duration?

    public init() {}
}

extension SCTPAssociationState {
    /// Established, or shutting down with data possibly still outstanding (RFC 9260 §9.2).
    var isUp: Bool {
        switch self {
        case .established, .shutdownPending, .shutdownSent, .shutdownReceived: true
        default: false
        }
    }

    /// States in which received DATA is still taken (§9.2: until our SHUTDOWN ACK or the peer's SHUTDOWN).
    var acceptsData: Bool {
        switch self {
        case .established, .shutdownPending, .shutdownSent: true
        default: false
        }
    }

    /// States in which queued user data may still be given TSNs (§9.2).
    var sendsNewData: Bool {
        switch self {
        case .established, .shutdownPending, .shutdownReceived: true
        default: false
        }
    }
}
