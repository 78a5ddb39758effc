import DTLS
import ICE
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
    public private(set) var connectionState: PeerConnectionState = .new

    private var random: SharedRandomGenerator
    private var localCredentials: ICECredentials
    private var pendingCredentials: ICECredentials?
    private let sessionID: UInt64
    private var sessionVersion: UInt64 = 1

    private var sections: [MediaSection] = []
    private var signalingState = SignalingState.stable
    /// A first offer/answer exchange has completed; later ones may only restart ICE.
    private var negotiated = false
    private var localDescriptionState: (type: SDPType, setup: SDPSetupRole)?
    private var remoteTransport: RemoteTransport?
    private var isOfferer = false

    private var sockets: [TransportAddress] = []
    private var ice: ICEAgent?
    private var dtls: DTLSEndpoint?
    private var dtlsRole: DTLSRole?
    private var dtlsState: DTLSState = .new
    private var srtp: SRTPSession?
    private var srtpProfile: SRTPProtectionProfile?
    /// Where the last DTLS datagram came from: the reply path before ICE has selected a pair.
    private var lastDTLSPath: (remote: TransportAddress, local: TransportAddress)?
    /// DTLS datagrams that arrived before the remote description (the answerer's ClientHello can beat
    /// the answer to the offerer); replayed when the endpoint starts, instead of waiting a retransmission.
    private var earlyDTLS: [(bytes: [UInt8], remote: TransportAddress, local: TransportAddress)] = []
    private static let earlyDTLSLimit = 16

    private var localCandidates: [String] = []
    private var gatheringComplete = false
    private var nextRTCP: Instant?
    private var roundTripTime: Duration?
    private var counters = PeerCounters()

    private var outputs: [PeerOutput] = []
    private var outputIndex = 0

    private enum DTLSState { case new, connecting, connected, failed, closed }
    /// RTCSignalingState, without provisional answers (W3C webrtc-pc §4.3.1).
    private enum SignalingState { case stable, haveLocalOffer, haveRemoteOffer }

    public init(configuration: PeerConfiguration, certificate: DTLSCertificate? = nil, random generator: any RandomNumberGenerator) throws {
        self.configuration = configuration
        self.certificate = try certificate ?? DTLSCertificate()
        var generator = SharedRandomGenerator(generator)
        localCredentials = ICECredentials(ufrag: RandomToken.make(8, using: &generator), pwd: RandomToken.make(24, using: &generator))
        sessionID = UInt64.random(in: 1...(UInt64(1) << 62), using: &generator)
        random = generator
    }

    // MARK: Offer and answer (JSEP, RFC 8829)

    /// Adds a media section to offer; returns its mid.
    public func addTransceiver(_ kind: MediaKind, direction: SDPMediaDirection = .sendrecv) throws(PeerError) -> String {
        guard connectionState != .closed else { throw .closed }
        guard kind != .application else { throw .invalidState("data channels arrive with the SCTP issue") }
        guard !negotiated, signalingState == .stable else { throw .invalidState("adding media after the first negotiation is not supported yet") }
        let mid = String(sections.count)
        var section = MediaSection(mid: mid, kind: kind, direction: direction, codecs: SupportedCodecs.local(for: kind), random: &random)
        section.midExtensionID = 1
        sections.append(section)
        return mid
    }

    /// An offer; once negotiated, a new offer may only restart ICE (new credentials, RFC 8445 §9).
    public func createOffer(iceRestart: Bool = false) throws(PeerError) -> SessionDescription {
        guard connectionState != .closed else { throw .closed }
        guard !sections.isEmpty else { throw .invalidState("add a transceiver before creating an offer") }
        guard signalingState == .stable else { throw .invalidState("an offer is already pending") }
        pendingCredentials = iceRestart && negotiated ? ICECredentials.random(using: &random) : nil
        return Negotiation.describe(sections, local: localParameters(setup: negotiated ? establishedSetup : .actpass,
                                                                      credentials: pendingCredentials ?? localCredentials))
    }

    public func createAnswer() throws(PeerError) -> SessionDescription {
        guard connectionState != .closed else { throw .closed }
        guard signalingState == .haveRemoteOffer, let remote = remoteTransport else { throw .invalidState("set a remote offer before creating an answer") }
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
                guard sections.contains(where: { !$0.rejected }) else { throw .invalidDescription("no m= section this engine can carry (VP8 video or Opus audio)") }
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

    private func restartICE(with credentials: ICECredentials, at now: Instant) {
        localCredentials = credentials
        localCandidates = []
        gatheringComplete = false
        ice?.restart(localCredentials: credentials, at: now)
    }

    /// The `a=setup` that keeps the DTLS roles already established (RFC 8842 §5.5: no new association).
    private var establishedSetup: SDPSetupRole {
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

    private func localParameters(setup: SDPSetupRole, credentials: ICECredentials? = nil) -> Negotiation.LocalParameters {
        let credentials = credentials ?? localCredentials
        return Negotiation.LocalParameters(sessionID: sessionID, version: sessionVersion, ufrag: credentials.ufrag,
                                           password: credentials.pwd, fingerprint: certificate.fingerprint, setup: setup)
    }

    /// The answerer picks its DTLS role from the offer's `a=setup` (RFC 8842 §5.3).
    private func answerSetup(for offered: SDPSetupRole) -> SDPSetupRole {
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

    private func startICE(role: ICERole, at now: Instant) {
        guard ice == nil else { return }
        var iceConfiguration = ICEConfiguration()
        iceConfiguration.stunServers = configuration.stunServers
        let agent = ICEAgent(role: role, localCredentials: localCredentials, configuration: iceConfiguration, random: random)
        ice = agent
        for socket in sockets { agent.addLocalSocket(socket, at: now) }
        drainICE(at: now)
    }

    /// Creates the DTLS endpoint once both descriptions are known; the client starts once ICE connects.
    private func startDTLSIfReady(at now: Instant) throws(PeerError) {
        guard dtls == nil, let remote = remoteTransport, let local = localDescriptionState else { return }
        let role: DTLSRole
        if isOfferer {
            role = remote.setup == .active ? .server : .client  // RFC 8842 §5.3: passive answer → we are active
        } else {
            role = local.setup == .active ? .client : .server
        }
        do {
            dtls = try DTLSEndpoint(role: role, certificate: certificate, remoteFingerprint: remote.fingerprint,
                                    mtu: configuration.mtu, srtpProfiles: configuration.srtpProfiles)
        } catch {
            throw .invalidState("DTLS could not start: \(error)")
        }
        dtlsRole = role
        if role == .client, let ice, ice.selectedPair != nil { startDTLSHandshake(at: now) }
        let early = earlyDTLS
        earlyDTLS = []
        for datagram in early { route(datagram.bytes, from: datagram.remote, to: datagram.local, at: now) }
    }

    private func startDTLSHandshake(at now: Instant) {
        guard let dtls, dtlsState == .new else { return }
        dtlsState = .connecting
        if dtlsRole == .client { dtls.start(at: now) }
        drainDTLS(at: now)
        updateConnectionState()
    }

    // MARK: Input

    /// A datagram from the network, demultiplexed by its first byte (RFC 7983 §7).
    public func handleDatagram(_ bytes: [UInt8], from remote: TransportAddress, to local: TransportAddress, at now: Instant) {
        guard connectionState != .closed else { return }
        counters.bytesReceived += bytes.count
        route(bytes, from: remote, to: local, at: now)
    }

    private func route(_ bytes: [UInt8], from remote: TransportAddress, to local: TransportAddress, at now: Instant) {
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
    }

    // MARK: Output

    public func pollOutput() -> PeerOutput? {
        guard outputIndex < outputs.count else {
            if !outputs.isEmpty { outputs.removeAll(keepingCapacity: true); outputIndex = 0 }
            return nil
        }
        defer { outputIndex += 1 }
        return outputs[outputIndex]
    }

    public func pollTimeout() -> Instant? {
        guard connectionState != .closed else { return nil }
        return ice?.pollTimeout().earliest(dtls?.pollTimeout()).earliest(nextRTCP)
    }

    private func emit(_ event: PeerEvent) { outputs.append(.event(event)) }

    private func transmit(_ bytes: [UInt8], from local: TransportAddress, to remote: TransportAddress) {
        counters.bytesSent += bytes.count
        outputs.append(.transmit(bytes: bytes, from: local, to: remote))
    }

    /// Sends a non-STUN datagram (DTLS, SRTP) on the selected pair, or back where DTLS came from before one exists.
    private func sendOnTransport(_ bytes: [UInt8]) {
        if let routed = ice?.transmit(bytes) {
            transmit(routed.bytes, from: routed.from, to: routed.to)
        } else if let path = lastDTLSPath {
            transmit(bytes, from: path.local, to: path.remote)
        } else {
            counters.datagramsDropped += 1
        }
    }

    private func drainICE(at now: Instant) {
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

    private func drainDTLS(at now: Instant) {
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
                } catch {
                    dtlsState = .failed
                    emit(.failure("SRTP could not start: \(error)"))
                }
            case .applicationData:
                counters.applicationDataIgnored += 1  // data channels (SCTP) come with a later issue
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
    private func updateConnectionState() {
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

    // MARK: Media

    /// Sends an RTP packet on `mid`: the Peer sets its SSRC and the negotiated header extensions.
    public func sendRTP(_ packet: RTPPacket, mid: String, at now: Instant) throws(PeerError) {
        guard let index = sections.firstIndex(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard sections[index].sends else { throw .invalidState("mid \(mid) does not send") }
        guard let srtp, connectionState == .connected else { throw .notConnected }
        var outgoing = packet
        outgoing.ssrc = sections[index].localSSRC
        outgoing.extensions = []
        if let id = sections[index].midExtensionID, let element = try? RTPHeaderExtension(id: UInt8(truncatingIfNeeded: id), data: Array(mid.utf8)) {
            outgoing.extensions = [element]
        }
        var datagram = outgoing.serialize(spareCapacity: SRTPSession.maximumTrailerLength)
        do { try srtp.protectRTP(&datagram) } catch { counters.rtpSendErrors += 1; return }
        sections[index].sendStatistics.record(outgoing, at: now)
        counters.rtpPacketsSent += 1
        sendOnTransport(datagram)
    }

    /// Sends feedback about the stream received on `mid` (its media SSRC is filled in here).
    public func sendFeedback(_ feedback: RTCPFeedback, mid: String, at now: Instant) throws(PeerError) {
        guard let section = sections.first(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard let srtp, connectionState == .connected else { throw .notConnected }
        guard let mediaSSRC = section.receiveStatistics.keys.first ?? section.remoteSSRCs.first else { return }
        var outgoing = feedback
        outgoing.senderSSRC = section.localSSRC
        outgoing.mediaSSRC = mediaSSRC
        if var entries = outgoing.fullIntraRequestEntries {
            for i in entries.indices { entries[i].ssrc = mediaSSRC }
            outgoing = .fullIntraRequest(senderSSRC: section.localSSRC, entries: entries)
        }
        // RFC 5506 §5: with rtcp-rsize a feedback packet may travel alone (both sides offer it).
        guard let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound([.feedback(outgoing)])) else { return }
        sendOnTransport(protected)
    }

    private func receiveRTP(_ bytes: [UInt8], at now: Instant) {
        guard let srtp else { counters.datagramsDropped += 1; return }
        guard let plain = try? srtp.unprotectRTP(bytes), let packet = try? RTPPacket.parse(plain) else {
            counters.srtpFailures += 1
            return
        }
        guard let index = sectionIndex(for: packet) else { counters.rtpUnroutable += 1; return }
        if sections[index].receiveStatistics[packet.ssrc] == nil {
            sections[index].receiveStatistics[packet.ssrc] = RTPReceiveStatistics(ssrc: packet.ssrc, clockRate: sections[index].clockRate(payloadType: packet.payloadType))
            if !sections[index].remoteSSRCs.contains(packet.ssrc) { sections[index].remoteSSRCs.append(packet.ssrc) }
        }
        _ = sections[index].receiveStatistics[packet.ssrc]?.record(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp, arrival: now)
        counters.rtpPacketsReceived += 1
        emit(.rtp(mid: sections[index].mid, packet: packet))
    }

    /// Which section an RTP packet belongs to: by SSRC, then by the mid header extension, then by a
    /// payload type only one section uses (RFC 9143 §9.2).
    private func sectionIndex(for packet: RTPPacket) -> Int? {
        if let index = sections.firstIndex(where: { $0.remoteSSRCs.contains(packet.ssrc) && !$0.rejected }) { return index }
        for index in sections.indices where !sections[index].rejected {
            if let id = sections[index].midExtensionID, let data = packet.extensionData(id: UInt8(truncatingIfNeeded: id)) {
                let mid = String(decoding: data, as: UTF8.self)
                return sections.firstIndex { $0.mid == mid && !$0.rejected }
            }
        }
        let matches = sections.indices.filter { !sections[$0].rejected && sections[$0].codecs.contains { $0.payloadType == packet.payloadType } }
        return matches.count == 1 ? matches[0] : nil
    }

    private func receiveRTCP(_ bytes: [UInt8], at now: Instant) {
        guard let srtp else { counters.datagramsDropped += 1; return }
        guard let plain = try? srtp.unprotectRTCP(bytes), let packets = try? RTCPPacket.parseCompound(plain) else {
            counters.srtpFailures += 1
            return
        }
        counters.rtcpPacketsReceived += 1
        for packet in packets {
            switch packet {
            case let .senderReport(report):
                for index in sections.indices where sections[index].receiveStatistics[report.ssrc] != nil {
                    sections[index].receiveStatistics[report.ssrc]?.recordSenderReport(report.ntpTimestamp, arrival: now)
                }
                noteReportBlocks(report.reportBlocks, at: now)
            case let .receiverReport(report):
                noteReportBlocks(report.reportBlocks, at: now)
            case let .goodbye(goodbye):
                counters.goodbyesReceived += goodbye.ssrcs.count
            case let .feedback(feedback):
                // FIR names its target in the FCI; its media SSRC field is 0 (RFC 5104 §4.3.1.2).
                let target = feedback.fullIntraRequestEntries?.first?.ssrc ?? feedback.mediaSSRC
                if let section = sections.first(where: { $0.localSSRC == target }) {
                    emit(.feedback(mid: section.mid, feedback))
                }
            default:
                break
            }
        }
    }

    /// Round-trip time from report blocks about our streams (RFC 3550 §6.4.1).
    private func noteReportBlocks(_ blocks: [RTCPReportBlock], at now: Instant) {
        for block in blocks where sections.contains(where: { $0.localSSRC == block.ssrc }) {
            if let rtt = RoundTripTime.compute(reportBlock: block, arrival: ntpTime(at: now)) { roundTripTime = rtt }
        }
    }

    private func ntpTime(at now: Instant) -> NTPTimestamp {
        NTPTimestamp(sinceUnixEpoch: configuration.wallClockAtZero + .nanoseconds(now.nanoseconds))
    }

    /// One compound packet per interval: SR from each sending stream (or an RR), report blocks for
    /// every received stream, and SDES CNAME (RFC 3550 §6.1, §6.4).
    private func sendReports(at now: Instant) {
        // RFC 3550 §6.3.1: randomise the interval to 0.5–1.5 times its mean.
        nextRTCP = now + configuration.rtcpInterval * Double.random(in: 0.5...1.5, using: &random)
        guard let srtp, connectionState == .connected || connectionState == .disconnected, let first = sections.first(where: { !$0.rejected }) else { return }
        var blocks: [RTCPReportBlock] = []
        for index in sections.indices {
            for ssrc in sections[index].receiveStatistics.keys.sorted() {
                if let block = sections[index].receiveStatistics[ssrc]?.makeReportBlock(at: now) { blocks.append(block) }
            }
        }
        var packets: [RTCPPacket] = []
        let senders = sections.filter { $0.sends && $0.sendStatistics.packetCount > 0 }
        if senders.isEmpty {
            packets.append(.receiverReport(RTCPReceiverReport(ssrc: first.localSSRC, reportBlocks: Array(blocks.prefix(31)))))
        } else {
            for (i, section) in senders.enumerated() {
                packets.append(.senderReport(section.sendStatistics.makeSenderReport(ntpTime: ntpTime(at: now), at: now,
                                                                                      reportBlocks: i == 0 ? Array(blocks.prefix(31)) : [])))
            }
        }
        packets.append(.sourceDescription(RTCPSourceDescription(chunks: sections.filter { !$0.rejected }.map {
            RTCPSourceDescription.Chunk(ssrc: $0.localSSRC, items: [.init(type: .cname, text: $0.cname)])
        })))
        if let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound(packets)) {
            counters.rtcpPacketsSent += 1
            sendOnTransport(protected)
        }
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
            roundTripTime: roundTripTime)
    }

    /// Closes the connection: close_notify to the peer (RFC 5246 §7.2.1), then ICE stops.
    public func close(at now: Instant) {
        guard connectionState != .closed else { return }
        sendGoodbye()
        if let dtls, dtlsState == .connected {
            dtls.close()
            while let datagram = dtls.pollTransmit() { sendOnTransport(datagram) }
        }
        connectionState = .closed
        emit(.connectionStateChanged(.closed))
        shutDown()
    }

    /// RTCP BYE for every local source, in a compound packet that starts with an RR (RFC 3550 §6.1, §6.6).
    private func sendGoodbye() {
        let local = sections.filter { !$0.rejected }.map(\.localSSRC)
        guard let srtp, dtlsState == .connected, let first = local.first else { return }
        let packets: [RTCPPacket] = [.receiverReport(RTCPReceiverReport(ssrc: first, reportBlocks: [])),
                                     .goodbye(RTCPGoodbye(ssrcs: local))]
        if let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound(packets)) {
            counters.rtcpPacketsSent += 1
            sendOnTransport(protected)
        }
    }

    private func shutDown() {
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
    var rtpSendErrors = 0
    var rtpUnroutable = 0
    var srtpFailures = 0
    var datagramsDropped = 0
    var applicationDataIgnored = 0
    var goodbyesReceived = 0
}
