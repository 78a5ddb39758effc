import DataChannel
import DTLS
import ICE
import MediaTransport
import RTP
import SDP
import SRTP
import TandemBase

/// The sans-IO peer: ICE, DTLS, SRTP and RTP/RTCP for one bundled session (design notes §2).
///
/// It is told the time and given datagrams; it returns transmits, events and its next deadline.
/// One owner drives it (the runtime's event loop, or a test on virtual time).
public final class Peer {
    public let configuration: PeerConfiguration
    public let certificate: DTLSCertificate
    let dtlsContext: DTLSContext
    public private(set) var connectionState: PeerConnectionState = .new

    var random: SharedRandomGenerator
    var localCredentials: ICECredentials
    var pendingCredentials: ICECredentials?
    let sessionID: UInt64
    var sessionVersion: UInt64 = 1

    var sections: [MediaSection] = []
    public internal(set) var signalingState = SignalingState.stable
    /// A first offer/answer exchange has completed; later ones may only restart ICE.
    var negotiated = false
    var localDescriptionState: (type: SDPType, setup: SDPSetupRole)?
    var remoteTransport: RemoteTransport?
    var isOfferer = false

    var sockets: [TransportAddress] = []
    var ice: ICEAgent?
    var dtls: DTLSEndpoint?
    var dtlsRole: DTLSRole?
    var dtlsState: DTLSState = .new
    var srtp: SRTPSession?
    var srtpProfile: SRTPProtectionProfile?
    /// Where the last DTLS datagram came from: the reply path before ICE has selected a pair.
    var lastDTLSPath: (remote: TransportAddress, local: TransportAddress)?
    /// DTLS datagrams that arrived before the remote description (the answerer's ClientHello can beat
    /// the answer to the offerer); replayed when the endpoint starts, instead of waiting a retransmission.
    var earlyDTLS: [(bytes: [UInt8], remote: TransportAddress, local: TransportAddress)] = []
    static let earlyDTLSLimit = 16

    var localCandidates: [String] = []
    /// Every local socket has yielded its candidates (RTCIceGatheringState `complete`, W3C webrtc-pc §4.3.2).
    public internal(set) var gatheringComplete = false
    var nextRTCP: Instant?
    var roundTripTime: Duration?
    var counters = PeerCounters()
    let dataChannels: DataChannelEndpoint
    /// Transport-wide congestion control over everything this Peer sends, and the feedback it owes the
    /// remote sender (the video plane, `Peer+Video.swift`).
    var congestion: CongestionController
    var transportFeedback: TransportFeedbackGenerator?
    var announcedTargetBitrate: Int?
    /// While set, the pacer runs at the start-up factor (`PeerConfiguration.startupPacingFactor`).
    var startupPacingDeadline: Instant?

    var outputs: [PeerOutput] = []
    var outputIndex = 0

    enum DTLSState { case new, connecting, connected, failed, closed }
    /// RTCSignalingState, without provisional answers (W3C webrtc-pc §4.3.1).
    public enum SignalingState: Sendable { case stable, haveLocalOffer, haveRemoteOffer }

    /// The owner supplies the certificate: making one reads the wall clock (its validity period), which a
    /// sans-IO core never does (design notes §2).
    public init(configuration: PeerConfiguration, certificate: DTLSCertificate, random generator: any RandomNumberGenerator) throws {
        self.configuration = configuration
        self.certificate = certificate
        // Built now, off the connection's critical path (like a browser's RTCPeerConnection constructor).
        dtlsContext = try DTLSContext(certificate: self.certificate, srtpProfiles: configuration.srtpProfiles)
        dataChannels = DataChannelEndpoint(configuration: configuration.sctp)
        congestion = CongestionController(estimator: configuration.bandwidth)
        var generator = SharedRandomGenerator(generator)
        localCredentials = ICECredentials(ufrag: RandomToken.make(8, using: &generator), pwd: RandomToken.make(24, using: &generator))
        sessionID = UInt64.random(in: 1...(UInt64(1) << 62), using: &generator)
        random = generator
    }

    // MARK: Offer and answer (JSEP, RFC 8829)

    /// Adds a media section to offer; returns its mid.
    public func addTransceiver(_ kind: MediaKind, direction: SDPMediaDirection = .sendrecv) throws(PeerError) -> String {
        guard connectionState != .closed else { throw .closed }
        guard kind != .application else { throw .invalidState("data channels come with createDataChannel") }
        guard !negotiated, signalingState == .stable else { throw .invalidState("adding media after the first negotiation is not supported yet") }
        let mid = String(sections.count)
        var section = MediaSection(mid: mid, kind: kind, direction: direction, codecs: SupportedCodecs.local(for: kind), random: &random)
        section.useLocalExtensions()
        sections.append(section)
        return mid
    }

    /// An offer; once negotiated, a new offer may only restart ICE (new credentials, RFC 8445 §9).
    public func createOffer(iceRestart: Bool = false) throws(PeerError) -> SessionDescription {
        guard connectionState != .closed else { throw .closed }
        guard !sections.isEmpty else { throw .invalidState("add a transceiver before creating an offer") }
        guard signalingState == .stable else { throw .invalidState("an offer is already pending") }
        pendingCredentials = iceRestart && negotiated ? ICECredentials.random(using: &random) : nil
        if negotiated { sessionVersion += 1 }  // RFC 8829 §5.2.2: a changed description increments o=
        return Negotiation.describe(sections, local: localParameters(setup: negotiated ? establishedSetup : .actpass,
                                                                      credentials: pendingCredentials ?? localCredentials))
    }

    public func createAnswer() throws(PeerError) -> SessionDescription {
        guard connectionState != .closed else { throw .closed }
        guard signalingState == .haveRemoteOffer, let remote = remoteTransport else { throw .invalidState("set a remote offer before creating an answer") }
        if negotiated { sessionVersion += 1 }  // RFC 8829 §5.3.2
        return Negotiation.describe(sections, local: localParameters(setup: negotiated ? establishedSetup : answerSetup(for: remote.setup)))
    }

    public func setLocalDescription(_ description: SessionDescription, type: SDPType, at now: Instant) throws(PeerError) {
        guard connectionState != .closed else { throw .closed }
        let setup = description.media.lazy.compactMap { description.effectiveTransport(for: $0).setup }.first ?? .actpass
        switch type {
        case .offer:
            guard signalingState == .stable else { throw .invalidState("an offer is already pending") }
            if !negotiated {
                isOfferer = true
                startICE(role: .controlling, at: now)
            } else if let fresh = pendingCredentials {
                restartICE(with: fresh, at: now)
            }
            pendingCredentials = nil
            signalingState = .haveLocalOffer
        case .answer:
            guard signalingState == .haveRemoteOffer else { throw .invalidState("no remote offer to answer") }
            signalingState = .stable
            negotiated = true
        case .pranswer, .rollback:
            throw .invalidState("\(type.rawValue) is not supported")
        }
        localDescriptionState = (type, setup)
        if type == .answer { try startDTLSIfReady(at: now) }
        drainICE(at: now)
    }

    public func setRemoteDescription(_ description: SessionDescription, type: SDPType, at now: Instant) throws(PeerError) {
        guard connectionState != .closed else { throw .closed }
        let transport = try Negotiation.remoteTransport(description)
        let previous = remoteTransport
        switch type {
        case .offer:
            guard signalingState == .stable else { throw .invalidState("cannot take a remote offer while an offer is pending") }
            if !negotiated {
                sections = try Negotiation.answerSections(to: description, random: &random)
                guard sections.contains(where: { !$0.rejected }) else { throw .invalidDescription("no m= section this engine can carry (VP8 video, Opus audio or SCTP data channels)") }
                startICE(role: .controlled, at: now)
            } else {
                try Negotiation.checkUnchangedMedia(description, sections: sections)
            }
            signalingState = .haveRemoteOffer
        case .answer:
            guard signalingState == .haveLocalOffer else { throw .invalidState("no local offer for this answer") }
            guard transport.setup != .actpass else { throw .invalidDescription("an answer must not use a=setup:actpass (RFC 8842 §5.2)") }
            if !negotiated { try Negotiation.apply(answer: description, to: &sections) }
            signalingState = .stable
            negotiated = true
        case .pranswer, .rollback:
            throw .invalidState("\(type.rawValue) is not supported")
        }
        if let previous, previous.fingerprint != transport.fingerprint {
            throw .invalidDescription("the remote DTLS fingerprint changed; a new session is needed (RFC 8842 §5.5)")
        }
        remoteTransport = transport
        guard let ice else { throw .invalidState("ICE did not start") }
        // New remote credentials mean the remote side restarted ICE (RFC 8839 §4.4.1.1.1): restart ours too.
        let remoteRestarted = previous.map { $0.ufrag != transport.ufrag || $0.password != transport.password } ?? false
        if remoteRestarted && type == .offer { restartICE(with: ICECredentials.random(using: &random), at: now) }
        ice.setRemoteCredentials(ufrag: transport.ufrag, pwd: transport.password)
        if previous == nil || remoteRestarted {
            for candidate in transport.candidates { try addRemoteCandidate(candidate, at: now) }
            if transport.endOfCandidates { ice.remoteCandidatesComplete(at: now) }
        }
        if type == .answer { try startDTLSIfReady(at: now) }
        drainICE(at: now)
    }

    func restartICE(with credentials: ICECredentials, at now: Instant) {
        localCredentials = credentials
        localCandidates = []
        gatheringComplete = false
        ice?.restart(localCredentials: credentials, at: now)
    }

    /// The `a=setup` that keeps the DTLS roles already established (RFC 8842 §5.5: no new association).
    var establishedSetup: SDPSetupRole {
        dtlsRole == .server ? .passive : .active
    }

    /// A trickled remote candidate (RFC 8838); an empty string signals end-of-candidates.
    public func addRemoteCandidate(_ candidate: String, at now: Instant) throws(PeerError) {
        guard let ice, remoteTransport != nil else { throw .invalidState("set a remote description before adding candidates") }
        if candidate.trimmingPrefix("a=").trimmingPrefix("candidate:").allSatisfy(\.isWhitespace) {
            ice.remoteCandidatesComplete(at: now)
        } else {
            let parsed: ICECandidate
            do { parsed = try ICECandidate(sdp: candidate) } catch { throw .invalidDescription("unreadable candidate \(candidate): \(error)") }
            guard parsed.transport.lowercased() == "udp" else { return }  // TCP candidates (RFC 6544) are not used
            ice.addRemoteCandidate(parsed)
        }
        drainICE(at: now)
    }

    /// The local description with the candidates gathered so far (as `RTCPeerConnection.localDescription`).
    public var localDescription: (SDPType, SessionDescription)? {
        guard let state = localDescriptionState else { return nil }
        let description = Negotiation.describe(sections, local: localParameters(setup: state.setup),
                                               candidates: localCandidates, gatheringComplete: gatheringComplete)
        return (state.type, description)
    }

    /// The payload type negotiated for `codec` (e.g. "VP8") on `mid`.
    public func payloadType(for codec: String, mid: String) throws(PeerError) -> UInt8 {
        guard let section = sections.first(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard let match = section.codecs.first(where: { $0.rtpMap.encodingName.lowercased() == codec.lowercased() }) else {
            throw .invalidDescription("\(codec) was not negotiated on mid \(mid)")
        }
        return match.payloadType
    }

    func localParameters(setup: SDPSetupRole, credentials: ICECredentials? = nil) -> Negotiation.LocalParameters {
        let credentials = credentials ?? localCredentials
        return Negotiation.LocalParameters(sessionID: sessionID, version: sessionVersion, ufrag: credentials.ufrag,
                                           password: credentials.pwd, fingerprint: certificate.fingerprint, setup: setup,
                                           maxMessageSize: dataChannels.maxMessageSize)
    }

    /// The answerer picks its DTLS role from the offer's `a=setup` (RFC 8842 §5.3).
    func answerSetup(for offered: SDPSetupRole) -> SDPSetupRole {
        switch offered {
        case .active: .passive
        case .passive: .active
        case .actpass, .holdconn: configuration.answererDTLSRole == .client ? .active : .passive
        }
    }

    // MARK: Transport start-up

    /// Local sockets the Runtime has bound; ICE gathers host candidates on them (RFC 8445 §5.1.1.1).
    public func addLocalSocket(_ address: TransportAddress, at now: Instant) {
        guard !sockets.contains(address) else { return }
        sockets.append(address)
        ice?.addLocalSocket(address, at: now)
        drainICE(at: now)
    }

    func startICE(role: ICERole, at now: Instant) {
        guard ice == nil else { return }
        var iceConfiguration = ICEConfiguration()
        iceConfiguration.stunServers = configuration.stunServers
        let agent = ICEAgent(role: role, localCredentials: localCredentials, configuration: iceConfiguration, random: random)
        ice = agent
        for socket in sockets { agent.addLocalSocket(socket, at: now) }
        drainICE(at: now)
    }

    /// Creates the DTLS endpoint once both descriptions are known; the client starts once ICE connects.
    func startDTLSIfReady(at now: Instant) throws(PeerError) {
        guard dtls == nil, let remote = remoteTransport, let local = localDescriptionState else { return }
        let role: DTLSRole
        if isOfferer {
            role = remote.setup == .active ? .server : .client  // RFC 8842 §5.3: passive answer → we are active
        } else {
            role = local.setup == .active ? .client : .server
        }
        do {
            dtls = try DTLSEndpoint(role: role, context: dtlsContext, remoteFingerprint: remote.fingerprint, mtu: configuration.mtu)
        } catch {
            throw .invalidState("DTLS could not start: \(error)")
        }
        dtlsRole = role
        if role == .client, let ice, ice.selectedPair != nil { startDTLSHandshake(at: now) }
        let early = earlyDTLS
        earlyDTLS = []
        for datagram in early { route(datagram.bytes, from: datagram.remote, to: datagram.local, at: now) }
    }

    func startDTLSHandshake(at now: Instant) {
        guard let dtls, dtlsState == .new else { return }
        dtlsState = .connecting
        if dtlsRole == .client { dtls.start(at: now) }
        drainDTLS(at: now)
        updateConnectionState()
    }

    // MARK: Input

    /// A datagram from the network, demultiplexed by its first byte (RFC 7983 §7).
    /// The Peer takes the datagram's array (`consuming`): an SRTP packet is then decrypted in place in it.
    public func handleDatagram(_ bytes: consuming [UInt8], from remote: TransportAddress, to local: TransportAddress, at now: Instant) {
        guard connectionState != .closed else { return }
        counters.bytesReceived += bytes.count
        route(bytes, from: remote, to: local, at: now)
    }

    func route(_ bytes: consuming [UInt8], from remote: TransportAddress, to local: TransportAddress, at now: Instant) {
        switch DatagramKind.classify(bytes) {
        case .stun:
            if ice?.handleDatagram(bytes, from: remote, to: local, at: now) != true { counters.datagramsDropped += 1 }
            drainICE(at: now)
        case .dtls:
            guard let dtls else {
                if earlyDTLS.count < Self.earlyDTLSLimit { earlyDTLS.append((bytes, remote, local)) } else { counters.datagramsDropped += 1 }
                return
            }
            lastDTLSPath = (remote, local)
            if dtlsState == .new { dtlsState = .connecting }
            dtls.handleDatagram(bytes, at: now)
            drainDTLS(at: now)
        case .rtp:
            receiveRTP(bytes, at: now)
        case .rtcp:
            receiveRTCP(bytes, at: now)
        default:
            counters.datagramsDropped += 1
        }
    }

    public func handleTimeout(at now: Instant) {
        guard connectionState != .closed else { return }
        ice?.handleTimeout(at: now)
        drainICE(at: now)
        if let dtls, let deadline = dtls.pollTimeout(), deadline <= now {
            dtls.handleTimeout(at: now)
            drainDTLS(at: now)
        }
        if let nextRTCP, nextRTCP <= now { sendReports(at: now) }
        if srtp != nil { handleVideoTimeout(at: now) }
        if let deadline = dataChannels.pollTimeout(), deadline <= now {
            dataChannels.handleTimeout(at: now)
            drainDataChannels()
        }
    }

    // MARK: Output

    public func pollOutput() -> PeerOutput? {
        if outputIndex == outputs.count { flushDataChannels() }
        guard outputIndex < outputs.count else {
            if !outputs.isEmpty { outputs.removeAll(keepingCapacity: true); outputIndex = 0 }
            return nil
        }
        defer { outputIndex += 1 }
        return outputs[outputIndex]
    }

    public func pollTimeout() -> Instant? {
        guard connectionState != .closed else { return nil }
        return ice?.pollTimeout().earliest(dtls?.pollTimeout()).earliest(nextRTCP).earliest(dataChannels.pollTimeout())
            .earliest(srtp == nil ? nil : videoTimeout)
    }

    func emit(_ event: PeerEvent) { outputs.append(.event(event)) }

    func transmit(_ bytes: [UInt8], from local: TransportAddress, to remote: TransportAddress) {
        counters.bytesSent += bytes.count
        outputs.append(.transmit(bytes: bytes, from: local, to: remote))
    }

    /// Sends a non-STUN datagram (DTLS, SRTP) on the selected pair, or back where DTLS came from before one exists.
    func sendOnTransport(_ bytes: [UInt8]) {
        if let routed = ice?.transmit(bytes) {
            transmit(routed.bytes, from: routed.from, to: routed.to)
        } else if let path = lastDTLSPath {
            transmit(bytes, from: path.local, to: path.remote)
        } else {
            counters.datagramsDropped += 1
        }
    }

    func drainICE(at now: Instant) {
        guard let ice else { return }
        while let out = ice.pollTransmit() { transmit(out.bytes, from: out.from, to: out.to) }
        while let event = ice.pollEvent() {
            switch event {
            case let .localCandidate(candidate):
                let value = candidate.sdpValue
                localCandidates.append(value)
                emit(.localCandidate(value))
            case .gatheringComplete:
                gatheringComplete = true
                emit(.gatheringComplete)
            case let .stateChanged(state):
                emit(.iceConnectionStateChanged(state))
                if state == .failed { emit(.failure("ICE failed: no candidate pair works or consent expired (RFC 7675)")) }
            case .selectedPairChanged:
                if dtlsRole == .client { startDTLSHandshake(at: now) }
            }
        }
        updateConnectionState()
    }

    func drainDTLS(at now: Instant) {
        guard let dtls else { return }
        while let datagram = dtls.pollTransmit() { sendOnTransport(datagram) }
        while let event = dtls.pollEvent() {
            switch event {
            case let .connected(info):
                do {
                    srtp = try SRTPSession(profile: info.srtpProfile, keyingMaterial: info.srtpKeyingMaterial, role: dtlsRole == .server ? .server : .client)
                    srtpProfile = info.srtpProfile
                    dtlsState = .connected
                    nextRTCP = now + configuration.rtcpInterval / 2
                    startVideo(at: now)
                    startDataChannels(at: now)
                } catch {
                    dtlsState = .failed
                    emit(.failure("SRTP could not start: \(error)"))
                }
            case let .applicationData(packet):
                // RFC 8261 §5: each DTLS record carries one SCTP packet.
                receiveSCTP(packet, at: now)
            case .closed:
                dtlsState = .closed
            case let .failed(error):
                dtlsState = .failed
                emit(.failure("DTLS failed: \(error)"))
            }
        }
        updateConnectionState()
    }

    /// RTCPeerConnectionState from the ICE and DTLS transport states (W3C webrtc-pc §4.3.3).
    func updateConnectionState() {
        guard connectionState != .closed else { return }
        let iceState = ice?.connectionState ?? .new
        let next: PeerConnectionState
        if iceState == .failed || dtlsState == .failed {
            next = .failed
        } else if iceState == .disconnected {
            next = .disconnected
        } else if dtlsState == .closed {
            next = .closed
        } else if (iceState == .connected || iceState == .completed) && dtlsState == .connected {
            next = .connected
        } else if iceState == .new && dtlsState == .new {
            next = .new
        } else {
            next = .connecting
        }
        guard next != connectionState else { return }
        connectionState = next
        emit(.connectionStateChanged(next))
        if next == .closed { shutDown() }
    }

    // MARK: Stats and closing

    public func stats(at now: Instant) -> PeerStats {
        PeerStats(
            connectionState: connectionState, iceConnectionState: ice?.connectionState ?? .new,
            selectedPair: ice?.selectedPair.map { CandidatePairStats(local: $0.local.address, remote: $0.remote.address,
                                                                        localType: $0.local.type.rawValue, remoteType: $0.remote.type.rawValue) },
            dtlsRole: dtlsRole.map { $0 == .client ? "client" : "server" }, srtpProfile: srtpProfile?.description,
            bytesSent: counters.bytesSent, bytesReceived: counters.bytesReceived,
            rtpPacketsSent: counters.rtpPacketsSent, rtpPacketsReceived: counters.rtpPacketsReceived,
            rtcpPacketsSent: counters.rtcpPacketsSent, rtcpPacketsReceived: counters.rtcpPacketsReceived,
            srtpFailures: counters.srtpFailures, datagramsDropped: counters.datagramsDropped,
            goodbyesReceived: counters.goodbyesReceived,
            roundTripTime: roundTripTime,
            availableOutgoingBitrate: congestion.targetBitrate, transportFeedbackReceived: congestion.transportFeedbackCount,
            rembReceived: congestion.rembCount)
    }

    /// Closes the connection: close_notify to the peer (RFC 5246 §7.2.1), then ICE stops.
    public func close(at now: Instant) {
        guard connectionState != .closed else { return }
        sendGoodbye()
        dataChannels.abort(reason: "peer connection closed", at: now)
        drainDataChannels()
        if let dtls, dtlsState == .connected {
            dtls.close()
            while let datagram = dtls.pollTransmit() { sendOnTransport(datagram) }
        }
        connectionState = .closed
        emit(.connectionStateChanged(.closed))
        shutDown()
    }

    func shutDown() {
        ice?.close()
        nextRTCP = nil
    }
}

struct PeerCounters {
    var bytesSent = 0
    var bytesReceived = 0
    var rtpPacketsSent = 0
    var rtpPacketsReceived = 0
    var rtcpPacketsSent = 0
    var rtcpPacketsReceived = 0
    var srtpFailures = 0
    var datagramsDropped = 0
    var goodbyesReceived = 0
}
