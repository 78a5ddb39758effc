import DataChannel
import DTLS
import NetworkSimulation
import PeerConnection
import RTP
import SDP
import SRTP
import TandemBase

/// Two sans-IO Peers wired through a `VirtualNetwork` on virtual time, with trickled candidates.
final class PeerPair {
    enum Side { case offerer, answerer }

    let offerer: Peer
    let answerer: Peer
    var network: VirtualNetwork
    private(set) var now = Instant.zero
    let offererAddress = TransportAddress(ip: .v4(10, 0, 0, 1), port: 5000)
    let answererAddress = TransportAddress(ip: .v4(10, 0, 0, 2), port: 6000)
    private(set) var events: [(side: Side, event: PeerEvent, at: Instant)] = []
    /// Every datagram either side put on the wire (for MTU checks and replay tests).
    private(set) var sent: [(side: Side, bytes: [UInt8])] = []
    /// Rewrites the answer before the offerer sees it (fingerprint tampering).
    var tamperAnswer: ((inout SessionDescription) -> Void)?
    /// Sees each event as it comes out of a Peer; it may call that Peer back (e.g. decode a frame and
    /// report the result) and what that puts out is drained in the same pump.
    var onEvent: ((Side, PeerEvent) -> Void)?
    /// Keep every event in `events` (off for long media runs, whose frames would pile up).
    var recordsEvents = true
    private(set) var mid = ""

    init(impairments: LinkImpairments = .perfect, seed: UInt64 = 7,
         answererDTLSRole: DTLSRole = .client, offererProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]) throws {
        var offererConfiguration = PeerConfiguration()
        offererConfiguration.srtpProfiles = offererProfiles
        var answererConfiguration = PeerConfiguration()
        answererConfiguration.answererDTLSRole = answererDTLSRole
        offerer = try Peer(configuration: offererConfiguration, certificate: DTLSCertificate(), random: SeededGenerator(seed: seed))
        answerer = try Peer(configuration: answererConfiguration, certificate: DTLSCertificate(), random: SeededGenerator(seed: seed &+ 1))
        network = VirtualNetwork(impairments: impairments, seed: seed &+ 2)
    }

    func peer(_ side: Side) -> Peer { side == .offerer ? offerer : answerer }

    /// Offer (one media section of `media`'s kind, and a data-channel section when `channels` is not
    /// empty) → answer, trickling candidates as they are gathered. Returns the offerer's channels, in order.
    @discardableResult
    func negotiate(media: MediaKind? = .audio, channels: [(label: String, options: DataChannelOptions)] = []) throws -> [DataChannelID] {
        if let media { mid = try offerer.addTransceiver(media) }
        let ids = try channels.map { try offerer.createDataChannel(label: $0.label, options: $0.options, at: now) }
        let offer = try offerer.createOffer()
        try offerer.setLocalDescription(offer, type: .offer, at: now)
        offerer.addLocalSocket(offererAddress, at: now)
        try answerer.setRemoteDescription(try SessionDescription(parsing: offer.serialized()), type: .offer, at: now)
        let answer = try answerer.createAnswer()
        try answerer.setLocalDescription(answer, type: .answer, at: now)
        answerer.addLocalSocket(answererAddress, at: now)
        var received = try SessionDescription(parsing: answer.serialized())
        tamperAnswer?(&received)
        try offerer.setRemoteDescription(received, type: .answer, at: now)
        pump()
        return ids
    }

    /// A second offer/answer from `side` with new ICE credentials (RFC 8445 §9).
    func restartICE(from side: Side) throws {
        let offering = peer(side), answering = peer(side == .offerer ? .answerer : .offerer)
        let offer = try offering.createOffer(iceRestart: true)
        try offering.setLocalDescription(offer, type: .offer, at: now)
        try answering.setRemoteDescription(try SessionDescription(parsing: offer.serialized()), type: .offer, at: now)
        let answer = try answering.createAnswer()
        try answering.setLocalDescription(answer, type: .answer, at: now)
        try offering.setRemoteDescription(try SessionDescription(parsing: answer.serialized()), type: .answer, at: now)
        pump()
    }

    /// Drains both Peers: transmits go on the network, candidates are trickled to the other side.
    func pump() {
        var progressed = true
        while progressed {
            progressed = false
            for side in [Side.offerer, .answerer] {
                while let output = peer(side).pollOutput() {
                    progressed = true
                    switch output {
                    case let .transmit(bytes, from, to):
                        sent.append((side, bytes))
                        network.send(bytes, from: from, to: to, at: now)
                    case let .event(event):
                        if recordsEvents { events.append((side, event, now)) }
                        onEvent?(side, event)
                        if case let .localCandidate(candidate) = event {
                            try? peer(side == .offerer ? .answerer : .offerer).addRemoteCandidate(candidate, at: now)
                        }
                    }
                }
            }
        }
    }

    /// Advances virtual time event by event until `condition` holds or `limit` passes; returns whether it held.
    @discardableResult
    func run(for limit: Duration, until condition: () -> Bool = { false }) -> Bool {
        let end = now + limit
        pump()
        var stalledSteps = 0
        while !condition() {
            let next = [offerer.pollTimeout(), answerer.pollTimeout(), network.nextDelivery].compactMap { $0 }.min()
            guard let next, next <= end else { now = end; return condition() }
            // A deadline that handling does not move is a busy loop in the real runtime too.
            stalledSteps = next <= now ? stalledSteps + 1 : 0
            precondition(stalledSteps < 10_000, "a Peer keeps reporting a deadline in the past (\(next) at \(now))")
            now = max(now, next)
            for datagram in network.deliver(upTo: now) {
                let target = datagram.to == offererAddress ? offerer : answerer
                target.handleDatagram(datagram.bytes, from: datagram.from, to: datagram.to, at: now)
            }
            if let t = offerer.pollTimeout(), t <= now { offerer.handleTimeout(at: now) }
            if let t = answerer.pollTimeout(), t <= now { answerer.handleTimeout(at: now) }
            pump()
        }
        return true
    }

    var bothConnected: Bool { offerer.connectionState == .connected && answerer.connectionState == .connected }

    func firstTime(_ side: Side, state: PeerConnectionState) -> Instant? {
        events.first { entry in
            if entry.side == side, case let .connectionStateChanged(s) = entry.event { return s == state }
            return false
        }?.at
    }

    func rtpReceived(by side: Side) -> [RTPPacket] {
        events.compactMap { entry in
            if entry.side == side, case let .rtp(_, packet) = entry.event { return packet }
            return nil
        }
    }

    func dataChannelEvents(_ side: Side) -> [DataChannelEvent] {
        events.compactMap { entry in
            if entry.side == side, case let .dataChannel(event) = entry.event { return event }
            return nil
        }
    }

    func messages(_ side: Side, on channel: DataChannelID) -> [DataChannelMessage] {
        dataChannelEvents(side).compactMap { event in
            if case let .message(id, message) = event, id == channel { return message }
            return nil
        }
    }

    /// The channels the remote side opened in-band, as `side` saw them.
    func remoteOpened(_ side: Side) -> [DataChannelInfo] {
        dataChannelEvents(side).compactMap { event in
            if case let .remoteOpened(info) = event { return info }
            return nil
        }
    }

    func isOpen(_ side: Side, _ channel: DataChannelID) -> Bool { peer(side).dataChannelState(channel) == .open }

    func closed(_ side: Side) -> [DataChannelID] {
        dataChannelEvents(side).compactMap { event in
            if case let .closed(id) = event { return id }
            return nil
        }
    }

    func failures(_ side: Side) -> [String] {
        events.compactMap { entry in
            if entry.side == side, case let .failure(reason) = entry.event { return reason }
            return nil
        }
    }
}
