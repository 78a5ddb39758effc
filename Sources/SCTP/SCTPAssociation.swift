import TandemBase

/// A sans-IO SCTP association (RFC 9260) for WebRTC data channels carried over DTLS (RFC 8261).
///
/// Feed it received packets with `handlePacket`, expired timers with `handleTimeout`, and user
/// messages with `send`; then drain `pollTransmit`, `pollEvent` and `pollTimeout`. It reads no clock
/// and owns no socket. One owner drives it; it is not thread-safe.
///
/// Over DTLS, each application-data record is one packet for `handlePacket`, and each packet from
/// `pollTransmit` goes into one record, so `SCTPConfiguration.mtu` is the record payload budget. Both
/// WebRTC endpoints call `connect` once DTLS is up (RFC 8841 §9.3); the crossing INITs are resolved
/// by §5.2. After every call, drain `pollTransmit` and `pollEvent` until nil and re-arm the timer
/// from `pollTimeout`.
public final class SCTPAssociation {
    let configuration: SCTPConfiguration
    let localTag: UInt32
    let localInitialTSN: UInt32
    let cookieSecret: [UInt8]
    var nonceSource: SeededGenerator

    public internal(set) var state: SCTPAssociationState = .closed
    /// The association ended (or was never more than closed and then shut): input is ignored.
    var terminated = false
    /// The time of the last call that told us the time; pollTransmit stamps sent chunks with it.
    var now: Instant = .zero
    var stats = SCTPStatistics()

    // Output.
    /// Whole packets with their own verification tag (INIT, INIT ACK, ABORT, SHUTDOWN COMPLETE).
    var pendingPackets = RingBuffer<[UInt8]>()
    /// Control chunks for the next packet to the peer, in order.
    var controlChunks: [SCTPChunk] = []
    var events = RingBuffer<SCTPEvent>()
    /// The buffer of the last packet from `pollTransmit`, reused for the next one.
    var transmitBuffer: [UInt8] = []

    // The peer, as learnt from its INIT or INIT ACK.
    var peerTag: UInt32 = 0
    var peerSupportsForwardTSN = false
    var peerSupportsReconfig = false
    /// I-DATA and I-FORWARD TSN are in use (RFC 8260).
    var interleaving = false
    var outboundStreamCount: UInt16 = 0
    var inboundStreamCount: UInt16 = 0

    // Handshake (RFC 9260 §5.1): T1-init and T1-cookie.
    var initPacket: [UInt8]?
    var cookieEcho: SCTPChunk?
    var t1Deadline: Instant?
    var t1Interval: Duration
    var t1Retransmits = 0

    // Sender (RFC 9260 §6, §7).
    var sendQueue = SCTPSendQueue()
    var nextTSN: UInt32
    /// The peer's last cumulative TSN ack; `outstanding[i]` carries TSN `cumulativeAckTSN + 1 + i`.
    var cumulativeAckTSN: UInt32
    var outstanding = RingBuffer<SCTPSentChunk>()
    var flightSize = 0
    var retransmitQueue = RingBuffer<UInt32>()
    /// The gap blocks of the last SACK, as TSN ranges (their chunks are already marked acked).
    var previousGapBlocks: [(start: UInt32, end: UInt32)] = []
    var retransmitCount = 0
    /// Chunks just marked by fast retransmit go out in one packet regardless of cwnd (§7.2.4).
    var fastRetransmitBurst = false
    var congestionWindow: Int
    /// What `configuration.inFlightLimit` allows in flight now (Int.max without it or before a measurement).
    var inFlightCeiling = Int.max
    var path = SCTPPathEstimate()
    var slowStartThreshold: Int
    var partialBytesAcked = 0
    var fastRecoveryExitPoint: UInt32?
    var peerReceiveWindow: Int = 0
    var advancedPeerAckPoint: UInt32
    var forwardTSNPending = false
    var t3Deadline: Instant?
    var rto: Duration
    var srtt: Duration?
    var rttVariation: Duration = .zero
    /// The association error counter (§8.1).
    var errorCount = 0

    // Receiver (RFC 9260 §6.2).
    var tracker = SCTPTSNTracker(cumulative: 0)
    var reassembly: SCTPReassembly
    var interleavedReassembly: SCTPInterleavedReassembly
    var duplicateTSNs: [UInt32] = []
    var sackImmediately = false
    var sackOwed = false
    var packetsSinceSack = 0
    var delayedAckDeadline: Instant?
    var delivered: [SCTPReassembly.Message] = []

    // Heartbeat (RFC 9260 §8.3).
    var heartbeatDeadline: Instant?
    var heartbeatAckDeadline: Instant?
    var heartbeatNonce: UInt64?

    // Stream reset (RFC 6525).
    var pendingResetStreams: [UInt16] = []
    var reconfigRequest: (sequence: UInt32, streams: [UInt16], chunk: SCTPChunk)?
    var reconfigDeadline: Instant?
    var nextReconfigSequence: UInt32
    var peerNextReconfigSequence: UInt32 = 0
    var lastPeerReconfigResult: UInt32 = SCTPReconfigResult.successPerformed

    // Shutdown (RFC 9260 §9.2): T2-shutdown.
    var t2Deadline: Instant?

    /// The smallest packet size used, whatever the configuration asks for.
    public static let minimumMTU = 256

    public init(configuration: SCTPConfiguration = .init(), random: some RandomNumberGenerator) {
        var random = random
        var configuration = configuration
        // Room for INIT ACK with its cookie and for DATA with a useful payload.
        configuration.mtu = max(configuration.mtu, Self.minimumMTU)
        self.configuration = configuration
        // §5.1: the Initiate Tag must not be 0.
        var tag = random.next() as UInt32
        while tag == 0 { tag = random.next() }
        localTag = tag
        localInitialTSN = random.next()
        cookieSecret = random.bytes(32)
        nonceSource = SeededGenerator(seed: random.next())
        nextTSN = localInitialTSN
        cumulativeAckTSN = localInitialTSN &- 1
        advancedPeerAckPoint = cumulativeAckTSN
        nextReconfigSequence = localInitialTSN
        rto = configuration.initialRTO
        t1Interval = configuration.initialRTO
        // §7.2.1: initial cwnd = min(4 * MTU, max(2 * MTU, 4380)); ssthresh starts at the peer's window.
        congestionWindow = min(4 * configuration.mtu, max(2 * configuration.mtu, 4380))
        slowStartThreshold = Int(configuration.receiveWindow)
        reassembly = SCTPReassembly(maxMessageSize: configuration.maxMessageSize)
        interleavedReassembly = SCTPInterleavedReassembly(maxMessageSize: configuration.maxMessageSize)
    }

    // MARK: - Polling

    public func pollEvent() -> SCTPEvent? { events.popFirst() }

    public func pollTimeout() -> Instant? {
        guard !terminated else { return nil }
        var deadline = t1Deadline.earliest(t3Deadline).earliest(delayedAckDeadline).earliest(t2Deadline)
        deadline = deadline.earliest(heartbeatDeadline).earliest(heartbeatAckDeadline).earliest(reconfigDeadline)
        return deadline
    }

    public var statistics: SCTPStatistics {
        var snapshot = stats
        snapshot.congestionWindow = congestionWindow
        snapshot.slowStartThreshold = slowStartThreshold
        snapshot.outstandingBytes = flightSize
        snapshot.inFlightLimit = inFlightCeiling == .max ? nil : inFlightCeiling
        snapshot.peerReceiveWindow = peerReceiveWindow
        snapshot.rto = rto
        snapshot.srtt = srtt
        return snapshot
    }

    /// Bytes of `stream` queued or in flight and not yet acknowledged.
    public func bufferedAmount(stream: UInt16) -> Int { sendQueue.stream(stream)?.bufferedAmount ?? 0 }

    public func setBufferedAmountLowThreshold(_ bytes: Int, stream: UInt16) {
        sendQueue.streamCreating(stream).lowThreshold = max(0, bytes)
    }

    // MARK: - User calls

    /// Queues one user message. Its bytes are shared, not copied, until they are serialised.
    public func send(_ payload: [UInt8], stream: UInt16, ppid: UInt32, ordered: Bool,
                     reliability: SCTPReliability, at now: Instant) throws(SCTPSendError) {
        self.now = now
        guard state == .established else { throw .notEstablished }
        guard stream < outboundStreamCount else { throw .streamOutOfRange(stream) }
        if sendQueue.stream(stream)?.resetRequested == true { throw .streamResetting(stream) }
        let limit = configuration.sendBufferLimit
        guard payload.count <= limit else { throw .messageTooLarge(size: payload.count, limit: limit) }
        guard sendQueue.totalBuffered + payload.count <= limit else { throw .sendBufferFull(limit: limit) }
        var message = SCTPSendQueue.Message(payload: payload, ppid: ppid, ordered: ordered)
        switch reliability {
        case .reliable: break
        case let .maxRetransmits(count): message.maxRetransmits = Int(count)
        case let .maxPacketLifeTime(lifetime): message.expiry = now + lifetime
        }
        sendQueue.enqueue(message, stream: stream)
        stats.messagesSent += 1
    }

    /// Sends ABORT with a User-Initiated Abort cause (RFC 9260 §9.1) and closes at once.
    public func abort(reason: String, at now: Instant) {
        self.now = now
        guard !terminated else { return }
        if peerTag != 0 {
            sendPacket(tag: peerTag, [.abort(reflectedTag: false, causes: [.userInitiatedAbort(reason)])])
        }
        close(.abortedLocally(reason))
    }

    // MARK: - Helpers shared by the extensions

    /// Serialises a one-off packet with the given verification tag, ahead of the regular ones.
    func sendPacket(tag: UInt32, _ chunks: [SCTPChunk]) {
        let packet = SCTPPacket(sourcePort: configuration.localPort, destinationPort: configuration.remotePort,
                                verificationTag: tag, chunks: chunks)
        pendingPackets.append(packet.encode())
    }

    /// Ends the association and reports why; timers stop and queued data is dropped.
    func close(_ reason: SCTPCloseReason) {
        guard !terminated else { return }
        terminated = true
        state = .closed
        t1Deadline = nil
        t2Deadline = nil
        t3Deadline = nil
        delayedAckDeadline = nil
        heartbeatDeadline = nil
        heartbeatAckDeadline = nil
        reconfigDeadline = nil
        controlChunks.removeAll()
        outstanding.removeAll()
        retransmitQueue.removeAll()
        sendQueue = SCTPSendQueue()
        flightSize = 0
        events.append(.closed(reason))
    }

    /// Counts one more consecutive unanswered retransmission (§8.1); past the limit the peer is
    /// considered unreachable and the association fails. Returns false if it did.
    func countError(_ what: String) -> Bool {
        errorCount += 1
        guard errorCount <= configuration.maxRetransmitsBeforeAbort else {
            close(.failed("\(what) unanswered after \(configuration.maxRetransmitsBeforeAbort) retransmissions"))
            return false
        }
        return true
    }

    /// Exponential backoff of the RTO after a timer expiry (§6.3.3 E2), up to `maxTimerBackoff`.
    func backOffRTO() {
        let ceiling = min(configuration.maxTimerBackoff ?? configuration.maxRTO, configuration.maxRTO)
        rto = max(rto, min(rto * 2, ceiling))
    }

    /// RTO from a new round-trip measurement (§6.3.1).
    func measuredRoundTrip(_ sample: Duration) {
        let sample = max(sample, .zero)
        if let smoothed = srtt {
            let deviation = smoothed > sample ? smoothed - sample : sample - smoothed
            rttVariation = rttVariation * 3 / 4 + deviation / 4
            srtt = smoothed * 7 / 8 + sample / 8
        } else {
            srtt = sample
            rttVariation = sample / 2
        }
        rto = min(max((srtt ?? sample) + rttVariation * 4, configuration.minRTO), configuration.maxRTO)
    }

    func emit(_ event: SCTPEvent) { events.append(event) }
}
