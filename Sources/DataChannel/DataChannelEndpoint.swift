import SCTP
import TandemBase

/// WebRTC data channels (RFC 8831) over one SCTP association, opened in-band with DCEP (RFC 8832) or
/// pre-negotiated. Sans-IO, like the association it owns: the Peer hands it the SCTP packets that DTLS
/// decrypted and sends the ones it polls (RFC 8261: one SCTP packet per DTLS record).
public final class DataChannelEndpoint {
    /// Created by `start`, when DTLS is up and the record size it allows is known.
    public private(set) var association: SCTPAssociation?
    private var configuration: SCTPConfiguration
    public private(set) var counters = DataChannelCounters()

    private var channels: [DataChannelID: Channel] = [:]
    private var channelOnStream: [UInt16: DataChannelID] = [:]
    private var nextHandle = 0
    private var isDTLSClient = false
    private var remoteMaxMessageSize = Int.max
    private let streamLimit: UInt16
    private var events: [DataChannelEvent] = []
    private var eventIndex = 0

    private struct Channel {
        var info: DataChannelInfo
        var state: DataChannelState
        /// In-band channels opened here send ordered until the peer's DATA_CHANNEL_ACK (RFC 8832 §6).
        var awaitingAck: Bool
        var outgoingReset = false
        var incomingReset = false
    }

    public init(configuration: SCTPConfiguration = SCTPConfiguration()) {
        self.configuration = configuration
        streamLimit = min(configuration.outboundStreams, configuration.maxInboundStreams)
    }

    /// The largest message this side accepts, for `a=max-message-size` (RFC 8841 §6).
    public var maxMessageSize: Int { configuration.maxMessageSize }

    /// Starts the association once DTLS is up. The DTLS role decides stream-id parity (RFC 8832 §6: the
    /// client uses even ids, the server odd); the DTLS client sends INIT, the server answers it.
    /// `remoteMaxMessageSize` is the peer's `a=max-message-size`: nil when absent (64 KiB), 0 for no limit
    /// (RFC 8841 §6.1). `packetSize` is the largest DTLS record payload: one SCTP packet must fit one
    /// record (RFC 8261 §5).
    public func start(isDTLSClient: Bool, remoteMaxMessageSize: Int?, packetSize: Int, random: some RandomNumberGenerator, at now: Instant) {
        guard association == nil else { return }
        configuration.mtu = min(configuration.mtu, packetSize)
        let association = SCTPAssociation(configuration: configuration, random: random)
        self.association = association
        self.isDTLSClient = isDTLSClient
        switch remoteMaxMessageSize {
        case nil: self.remoteMaxMessageSize = 65_536
        case 0?: self.remoteMaxMessageSize = Int.max
        case let size?: self.remoteMaxMessageSize = size
        }
        if isDTLSClient { association.connect(at: now) }
        drainAssociation(at: now)
    }

    // MARK: Channels

    /// Creates a channel (W3C `createDataChannel`); it opens once the association is up.
    public func createChannel(label: String, options: DataChannelOptions = DataChannelOptions(), at now: Instant) throws(DataChannelError) -> DataChannelID {
        if options.negotiated {
            guard let stream = options.id else { throw .invalidOptions("a negotiated channel needs an id") }
            guard stream < streamLimit else { throw .invalidOptions("id \(stream) is beyond the \(streamLimit) streams of the association") }
            guard channelOnStream[stream] == nil else { throw .invalidOptions("id \(stream) is already in use") }
        } else if options.id != nil {
            throw .invalidOptions("only negotiated channels choose their id")
        }
        if let association, association.state == .closed { throw .closed }
        let id = DataChannelID(value: nextHandle)
        nextHandle += 1
        let info = DataChannelInfo(id: id, streamID: options.negotiated ? options.id : nil, label: label, options: options)
        channels[id] = Channel(info: info, state: .connecting, awaitingAck: !options.negotiated)
        if let stream = info.streamID { channelOnStream[stream] = id }
        if association?.state == .established { try openChannel(id, at: now) }
        return id
    }

    public func send(_ message: DataChannelMessage, on id: DataChannelID, at now: Instant) throws(DataChannelError) {
        guard let channel = channels[id] else { throw .unknownChannel(id) }
        guard channel.state == .open, let stream = channel.info.streamID else { throw .notOpen(id, channel.state) }
        guard message.byteCount <= remoteMaxMessageSize else { throw .messageTooLarge(size: message.byteCount, limit: remoteMaxMessageSize) }
        let (payload, ppid) = Self.encode(message)
        // RFC 8832 §6: until the ACK arrives, user messages go ordered so they cannot overtake the OPEN.
        let ordered = channel.info.options.ordered || channel.awaitingAck
        try submit(payload, stream: stream, ppid: ppid, ordered: ordered, reliability: channel.info.options.reliability, at: now)
        drainAssociation(at: now)
    }

    /// Closes a channel: its outgoing stream is reset (RFC 8831 §6.7); the peer resets its own in turn.
    public func close(_ id: DataChannelID, at now: Instant) {
        guard var channel = channels[id], channel.state == .connecting || channel.state == .open else { return }
        guard let stream = channel.info.streamID, let association, association.state == .established else {
            finish(id)
            return
        }
        channel.state = .closing
        channel.outgoingReset = false
        channels[id] = channel
        association.resetStreams([stream], at: now)
        drainAssociation(at: now)
    }

    public func state(of id: DataChannelID) -> DataChannelState? { channels[id]?.state }
    public func info(of id: DataChannelID) -> DataChannelInfo? { channels[id]?.info }

    /// Bytes queued or in flight on the channel's stream (W3C `bufferedAmount`).
    public func bufferedAmount(of id: DataChannelID) -> Int {
        guard let stream = channels[id]?.info.streamID else { return 0 }
        return association?.bufferedAmount(stream: stream) ?? 0
    }

    public func setBufferedAmountLowThreshold(_ bytes: Int, for id: DataChannelID) {
        guard let stream = channels[id]?.info.streamID else { return }
        association?.setBufferedAmountLowThreshold(bytes, stream: stream)
    }

    /// Ends the association gracefully (SHUTDOWN, RFC 9260 §9.2), as when the peer connection closes.
    public func shutdown(at now: Instant) {
        guard let association, association.state == .established else { return }
        association.shutdown(at: now)
        drainAssociation(at: now)
    }

    /// Ends the association at once (ABORT, RFC 9260 §9.1), as when the peer connection closes.
    public func abort(reason: String, at now: Instant) {
        if let association, association.state != .closed {
            association.abort(reason: reason, at: now)
            drainAssociation(at: now)
        }
        for id in channels.keys.sorted(by: { $0.value < $1.value }) { finish(id) }
    }

    // MARK: Input and output (driven by the Peer)

    /// One received SCTP packet. Its events are ready at once; what the association sends in reply
    /// (a SACK, DATA the SACK let through) may wait until the owner has handed in every packet that
    /// arrived together: `hasUnpolledTransmit` says whether `pollTransmit` has something to look at.
    public func handlePacket(_ packet: [UInt8], at now: Instant) {
        guard let association else {
            counters.packetsBeforeStart += 1
            return
        }
        association.handlePacket(packet, at: now)
        hasUnpolledTransmit = true
        drainAssociation(at: now)
    }

    public func handleTimeout(at now: Instant) {
        association?.handleTimeout(at: now)
        drainAssociation(at: now)
    }

    /// A packet was received since `pollTransmit` last returned nil.
    public private(set) var hasUnpolledTransmit = false

    public func pollTransmit() -> [UInt8]? {
        guard let packet = association?.pollTransmit() else {
            hasUnpolledTransmit = false
            return nil
        }
        return packet
    }
    public func pollTimeout() -> Instant? { association?.pollTimeout() }

    public func pollEvent() -> DataChannelEvent? {
        guard eventIndex < events.count else {
            if !events.isEmpty { events.removeAll(keepingCapacity: true); eventIndex = 0 }
            return nil
        }
        defer { eventIndex += 1 }
        return events[eventIndex]
    }

    // MARK: Internals

    private func drainAssociation(at now: Instant) {
        guard let association else { return }
        while let event = association.pollEvent() {
            switch event {
            case .connected:
                let pending = channels.values.filter { $0.state == .connecting }.map(\.info.id).sorted { $0.value < $1.value }
                for id in pending {
                    do { try openChannel(id, at: now) } catch { finish(id) }
                }
            case let .message(stream, ppid, payload):
                receive(payload, stream: stream, ppid: ppid, at: now)
            case let .incomingStreamsReset(streams):
                for stream in streams { incomingReset(stream, at: now) }
            case let .outgoingStreamsResetDone(streams):
                for stream in streams { outgoingResetDone(stream) }
            case let .bufferedAmountLow(stream):
                if let id = channelOnStream[stream] { events.append(.bufferedAmountLow(id)) }
            case .closed:
                for id in channels.keys.sorted(by: { $0.value < $1.value }) { finish(id) }
            }
        }
    }

    private func openChannel(_ id: DataChannelID, at now: Instant) throws(DataChannelError) {
        guard var channel = channels[id] else { return }
        if channel.info.streamID == nil {
            let stream = try freeStream()
            channel.info.streamID = stream
            channelOnStream[stream] = id
            let open = DCEPOpen(ordered: channel.info.options.ordered, reliability: channel.info.options.reliability,
                                priority: channel.info.options.priority, label: channel.info.label, protocol: channel.info.options.protocol)
            // RFC 8832 §6: DATA_CHANNEL_OPEN is sent reliably and ordered on the channel's stream.
            try submit(DCEPMessage.open(open).serialized(), stream: stream, ppid: PayloadProtocol.dcep, ordered: true, reliability: .reliable, at: now)
        }
        channel.state = .open
        channels[id] = channel
        events.append(.open(channel.info))
    }

    /// The lowest free stream id of this side's parity (RFC 8832 §6).
    private func freeStream() throws(DataChannelError) -> UInt16 {
        var stream: UInt16 = isDTLSClient ? 0 : 1
        while stream < streamLimit {
            if channelOnStream[stream] == nil { return stream }
            stream += 2
        }
        throw .noStreamAvailable
    }

    private func submit(_ payload: [UInt8], stream: UInt16, ppid: UInt32, ordered: Bool, reliability: ChannelReliability, at now: Instant) throws(DataChannelError) {
        let sctpReliability: SCTPReliability = switch reliability {
        case .reliable: .reliable
        case let .maxRetransmits(count): .maxRetransmits(count)
        case let .maxPacketLifeTime(lifetime): .maxPacketLifeTime(lifetime)
        }
        guard let association else { throw .closed }
        do {
            try association.send(payload, stream: stream, ppid: ppid, ordered: ordered, reliability: sctpReliability, at: now)
        } catch {
            switch error {
            case let .messageTooLarge(size, limit): throw .messageTooLarge(size: size, limit: limit)
            case let .sendBufferFull(limit): throw .sendBufferFull(limit: limit)
            case .notEstablished: throw .closed
            case .streamOutOfRange, .streamResetting:
                guard let id = channelOnStream[stream] else { throw .closed }
                throw .notOpen(id, channels[id]?.state ?? .closed)
            }
        }
    }

    private func receive(_ payload: [UInt8], stream: UInt16, ppid: UInt32, at now: Instant) {
        if ppid == PayloadProtocol.dcep {
            receiveDCEP(payload, stream: stream, at: now)
            return
        }
        guard let id = channelOnStream[stream], let channel = channels[id], channel.state == .open || channel.state == .closing else {
            counters.messagesOnUnknownStreams += 1
            return
        }
        let message: DataChannelMessage
        switch ppid {
        case PayloadProtocol.string:
            guard let text = String(validating: payload, as: UTF8.self) else {
                counters.invalidStrings += 1
                return
            }
            message = .string(text)
        case PayloadProtocol.binary: message = .binary(payload)
        // RFC 8831 §6.6: empty messages carry one ignored byte under their own PPIDs.
        case PayloadProtocol.emptyString: message = .string("")
        case PayloadProtocol.emptyBinary: message = .binary([])
        default:
            counters.unknownPayloadProtocols += 1
            return
        }
        // Any message from the peer on an in-band channel implies it saw our OPEN (RFC 8832 §6).
        channels[id]?.awaitingAck = false
        events.append(.message(id, message))
    }

    private func receiveDCEP(_ payload: [UInt8], stream: UInt16, at now: Instant) {
        let message: DCEPMessage
        do { message = try DCEPMessage(parsing: payload) } catch {
            counters.malformedDCEP += 1
            return
        }
        switch message {
        case .ack:
            guard let id = channelOnStream[stream] else {
                counters.malformedDCEP += 1
                return
            }
            channels[id]?.awaitingAck = false
        case let .open(open):
            // RFC 8832 §6: the peer opens with its own parity, on a stream that is not in use.
            let remoteParity: UInt16 = isDTLSClient ? 1 : 0
            guard stream % 2 == remoteParity, channelOnStream[stream] == nil, stream < streamLimit else {
                counters.malformedDCEP += 1
                return
            }
            let id = DataChannelID(value: nextHandle)
            nextHandle += 1
            let options = DataChannelOptions(ordered: open.ordered, reliability: open.reliability, protocol: open.protocol)
            let info = DataChannelInfo(id: id, streamID: stream, label: open.label, options: options)
            channels[id] = Channel(info: info, state: .open, awaitingAck: false)
            channelOnStream[stream] = id
            do {
                try submit(DCEPMessage.ack.serialized(), stream: stream, ppid: PayloadProtocol.dcep, ordered: true, reliability: .reliable, at: now)
            } catch {
                counters.malformedDCEP += 1
            }
            events.append(.remoteOpened(info))
        }
    }

    /// The peer reset its outgoing stream: the channel is closing; reset ours too (RFC 8831 §6.7).
    private func incomingReset(_ stream: UInt16, at now: Instant) {
        guard let id = channelOnStream[stream], var channel = channels[id] else { return }
        channel.incomingReset = true
        if channel.state == .open || channel.state == .connecting {
            channel.state = .closing
            channels[id] = channel
            association?.resetStreams([stream], at: now)
            return
        }
        channels[id] = channel
        if channel.outgoingReset { finish(id) }
    }

    private func outgoingResetDone(_ stream: UInt16) {
        guard let id = channelOnStream[stream], var channel = channels[id] else { return }
        channel.outgoingReset = true
        channels[id] = channel
        if channel.incomingReset { finish(id) }
    }

    /// The channel is closed; its stream id becomes free again.
    private func finish(_ id: DataChannelID) {
        guard let channel = channels.removeValue(forKey: id) else { return }
        if let stream = channel.info.streamID, channelOnStream[stream] == id { channelOnStream[stream] = nil }
        events.append(.closed(id))
    }

    private static func encode(_ message: DataChannelMessage) -> ([UInt8], UInt32) {
        switch message {
        case let .string(text): text.isEmpty ? ([0], PayloadProtocol.emptyString) : (Array(text.utf8), PayloadProtocol.string)
        case let .binary(bytes): bytes.isEmpty ? ([0], PayloadProtocol.emptyBinary) : (bytes, PayloadProtocol.binary)
        }
    }
}

/// Input the data-channel layer dropped, for stats and tests.
public struct DataChannelCounters: Sendable, Equatable {
    public var malformedDCEP = 0
    public var messagesOnUnknownStreams = 0
    public var unknownPayloadProtocols = 0
    public var invalidStrings = 0
    /// SCTP packets that arrived before DTLS was up (cannot happen with a conforming peer).
    public var packetsBeforeStart = 0
}
