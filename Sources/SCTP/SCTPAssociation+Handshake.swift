import TandemBase

/// Association setup (RFC 9260 §5): the four-way handshake with a stateless State Cookie, and
/// collisions when both WebRTC endpoints send INIT at once (§5.2).
extension SCTPAssociation {
    /// Extensions we announce (RFC 5061 §4.2.7): RE-CONFIG (RFC 6525), FORWARD TSN (RFC 3758), and
    /// I-DATA with I-FORWARD TSN (RFC 8260 §2.2) when interleaving is enabled.
    var supportedExtensions: [UInt8] {
        [SCTPChunkType.reconfig, SCTPChunkType.forwardTSN]
            + (configuration.enableMessageInterleaving ? [SCTPChunkType.iData, SCTPChunkType.iForwardTSN] : [])
    }

    /// Sends INIT (§5.1 A). Either side may call this; the other side's INIT is handled as a collision.
    public func connect(at now: Instant) {
        self.now = now
        guard state == .closed, !terminated else { return }
        state = .cookieWait
        let chunk = SCTPChunk.initiation(localInitChunk(parameters: []))
        let packet = SCTPPacket(sourcePort: configuration.localPort, destinationPort: configuration.remotePort,
                                verificationTag: 0, chunks: [chunk]).encode()
        initPacket = packet
        pendingPackets.append(packet)
        t1Interval = configuration.initialRTO
        t1Deadline = now + t1Interval
    }

    func localInitChunk(parameters extra: [SCTPParameter]) -> SCTPInitChunk {
        SCTPInitChunk(initiateTag: localTag, advertisedReceiverWindow: configuration.receiveWindow,
                      outboundStreams: configuration.outboundStreams, inboundStreams: configuration.maxInboundStreams,
                      initialTSN: localInitialTSN,
                      parameters: extra + [.forwardTSNSupported, .supportedExtensions(supportedExtensions)])
    }

    /// §5.1 B, §5.2.1, §5.2.2: answer every valid INIT with an INIT ACK carrying a cookie; we keep no state.
    func handleInit(_ chunk: SCTPInitChunk, unrecognized: [[UInt8]]) {
        // §3.3.2: a zero Initiate Tag or zero stream counts make the INIT invalid.
        guard chunk.initiateTag != 0, chunk.outboundStreams != 0, chunk.inboundStreams != 0 else {
            stats.malformedPacketsDropped += 1
            return
        }
        let peer = Self.capabilities(chunk.parameters)
        let cookie = SCTPCookie(localTag: localTag, localInitialTSN: localInitialTSN, peerTag: chunk.initiateTag,
                                peerInitialTSN: chunk.initialTSN, peerReceiverWindow: chunk.advertisedReceiverWindow,
                                peerOutboundStreams: chunk.outboundStreams, peerInboundStreams: chunk.inboundStreams,
                                peerSupportsForwardTSN: peer.forwardTSN, peerSupportsReconfig: peer.reconfig,
                                peerSupportsInterleaving: peer.interleaving, createdAt: now)
        let parameters = [SCTPParameter.stateCookie(cookie.seal(secret: cookieSecret))]
            + unrecognized.map { SCTPParameter.unrecognizedParameter($0) }
        sendPacket(tag: chunk.initiateTag, [.initiationAck(localInitChunk(parameters: parameters))])
    }

    struct PeerCapabilities {
        var forwardTSN = false
        var reconfig = false
        var interleaving = false
    }

    static func capabilities(_ parameters: [SCTPParameter]) -> PeerCapabilities {
        var peer = PeerCapabilities()
        for parameter in parameters {
            switch parameter {
            case .forwardTSNSupported: peer.forwardTSN = true
            case let .supportedExtensions(types):
                peer.forwardTSN = peer.forwardTSN || types.contains(SCTPChunkType.forwardTSN)
                peer.reconfig = peer.reconfig || types.contains(SCTPChunkType.reconfig)
                peer.interleaving = peer.interleaving || types.contains(SCTPChunkType.iData)
            default: break
            }
        }
        return peer
    }

    /// §5.1 C: INIT ACK in COOKIE-WAIT; any other state discards it (§5.2.3).
    func handleInitAck(_ chunk: SCTPInitChunk, unrecognized: [[UInt8]]) {
        guard state == .cookieWait else { return }
        guard chunk.initiateTag != 0, chunk.outboundStreams != 0, chunk.inboundStreams != 0,
              let cookie = chunk.parameters.lazy.compactMap({ if case let .stateCookie(c) = $0 { c } else { nil } }).first
        else {
            stats.malformedPacketsDropped += 1
            return
        }
        adoptPeer(tag: chunk.initiateTag, initialTSN: chunk.initialTSN, window: chunk.advertisedReceiverWindow,
                  outbound: chunk.outboundStreams, inbound: chunk.inboundStreams, capabilities: Self.capabilities(chunk.parameters))
        state = .cookieEchoed
        let echo = SCTPChunk.cookieEcho(cookie: cookie)
        cookieEcho = echo
        controlChunks.append(echo)
        // §3.2.1: unrecognised parameters of an INIT ACK are reported in an ERROR bundled after COOKIE ECHO.
        if !unrecognized.isEmpty {
            controlChunks.append(.error(causes: unrecognized.map {
                SCTPErrorCause(code: SCTPCauseCode.unrecognizedParameters, info: $0)
            }))
        }
        initPacket = nil
        t1Interval = rto
        t1Retransmits = 0
        t1Deadline = now + t1Interval
    }

    func adoptPeer(tag: UInt32, initialTSN: UInt32, window: UInt32, outbound: UInt16, inbound: UInt16,
                   capabilities peer: PeerCapabilities) {
        peerTag = tag
        tracker = SCTPTSNTracker(cumulative: initialTSN &- 1)
        peerNextReconfigSequence = initialTSN
        peerReceiveWindow = Int(window)
        slowStartThreshold = Int(window)
        peerSupportsForwardTSN = peer.forwardTSN
        peerSupportsReconfig = peer.reconfig
        // RFC 8260 §2.2: I-DATA only when both ends offer it.
        interleaving = configuration.enableMessageInterleaving && peer.interleaving
        sendQueue.interleaving = interleaving
        // §5.1.1: each side may use no more outbound streams than the other allows inbound.
        outboundStreamCount = min(configuration.outboundStreams, inbound)
        inboundStreamCount = min(outbound, configuration.maxInboundStreams)
    }

    /// §5.1 D and §5.2.4: a COOKIE ECHO whose MAC and age check out establishes the association.
    func handleCookieEcho(_ bytes: [UInt8]) {
        guard let cookie = SCTPCookie.open(bytes, secret: cookieSecret), cookie.localTag == localTag,
              cookie.localInitialTSN == localInitialTSN else {
            stats.malformedPacketsDropped += 1
            return
        }
        // §5.1.5 step 3: a cookie older than its lifetime is stale; say so with the staleness in µs.
        let age = now - cookie.createdAt
        guard age <= configuration.cookieLifetime, age >= .zero else {
            let micros = UInt32(clamping: (age - configuration.cookieLifetime).nanoseconds / 1000)
            let staleness = [UInt8(micros >> 24), UInt8(micros >> 16 & 0xFF), UInt8(micros >> 8 & 0xFF), UInt8(micros & 0xFF)]
            sendPacket(tag: cookie.peerTag, [.error(causes: [SCTPErrorCause(code: SCTPCauseCode.staleCookie, info: staleness)])])
            return
        }
        switch state {
        case .closed, .cookieWait, .cookieEchoed:
            // Passive open, or the collision of §5.2.1 (both sent INIT; the peer's INIT ACK may be late).
            if state != .cookieEchoed || cookie.peerTag != peerTag {
                adoptPeer(tag: cookie.peerTag, initialTSN: cookie.peerInitialTSN, window: cookie.peerReceiverWindow,
                          outbound: cookie.peerOutboundStreams, inbound: cookie.peerInboundStreams,
                          capabilities: PeerCapabilities(forwardTSN: cookie.peerSupportsForwardTSN,
                                                         reconfig: cookie.peerSupportsReconfig,
                                                         interleaving: cookie.peerSupportsInterleaving))
            }
            controlChunks.removeAll { if case .cookieEcho = $0 { true } else { false } }
            controlChunks.append(.cookieAck)
            enterEstablished()
        default:
            // §5.2.4 case D: the peer lost our COOKIE ACK. A restart (case A, other tags) is not supported.
            if cookie.peerTag == peerTag { controlChunks.append(.cookieAck) }
        }
    }

    /// §5.1 E: COOKIE ACK in COOKIE-ECHOED.
    func handleCookieAck() {
        guard state == .cookieEchoed else { return }
        enterEstablished()
    }

    func enterEstablished() {
        state = .established
        t1Deadline = nil
        initPacket = nil
        cookieEcho = nil
        heartbeatDeadline = now + configuration.heartbeatInterval
        emit(.connected)
    }

    /// T1-init or T1-cookie expired (§5.1 C and E): resend with a doubled interval, or give up.
    func t1Expired() {
        t1Retransmits += 1
        guard t1Retransmits <= configuration.maxRetransmitsBeforeAbort else {
            close(.failed(state == .cookieWait ? "INIT unanswered" : "COOKIE ECHO unanswered"))
            return
        }
        t1Interval = min(t1Interval * 2, configuration.maxRTO)
        t1Deadline = now + t1Interval
        if state == .cookieWait, let packet = initPacket {
            pendingPackets.append(packet)
        } else if state == .cookieEchoed, let echo = cookieEcho {
            controlChunks.removeAll { if case .cookieEcho = $0 { true } else { false } }
            controlChunks.insert(echo, at: 0)
        }
    }
}
