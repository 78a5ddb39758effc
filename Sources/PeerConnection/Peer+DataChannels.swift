import DataChannel
import SCTP
import TandemBase

/// The Peer's data plane: data channels (RFC 8831) on an SCTP association carried in DTLS records
/// (RFC 8261), negotiated by the `m=application` section (RFC 8841).
extension Peer {
    /// Creates a data channel (W3C `createDataChannel`). The first one before the first offer adds the
    /// data-channel section to it; the channel opens once DTLS and SCTP are up.
    public func createDataChannel(label: String, options: DataChannelOptions = DataChannelOptions(), at now: Instant) throws(PeerError) -> DataChannelID {
        guard connectionState != .closed else { throw .closed }
        if !sections.contains(where: { $0.kind == .application && !$0.rejected }) {
            guard !negotiated, signalingState == .stable else {
                throw .invalidState("the session was negotiated without data channels; adding them needs renegotiation, which is not supported")
            }
            sections.append(MediaSection(mid: String(sections.count), kind: .application, direction: .sendrecv, codecs: [], random: &random))
        }
        let id: DataChannelID
        do { id = try dataChannels.createChannel(label: label, options: options, at: now) } catch { throw .dataChannel(error) }
        drainDataChannels()
        return id
    }

    public func send(_ message: DataChannelMessage, on channel: DataChannelID, at now: Instant) throws(PeerError) {
        guard connectionState != .closed else { throw .closed }
        do { try dataChannels.send(message, on: channel, at: now) } catch { throw .dataChannel(error) }
        drainDataChannels()
    }

    /// Closes one channel from this side (RFC 8831 §6.7); `.closed` follows when the peer has reset its side too.
    public func closeDataChannel(_ channel: DataChannelID, at now: Instant) {
        dataChannels.close(channel, at: now)
        drainDataChannels()
    }

    public func bufferedAmount(of channel: DataChannelID) -> Int { dataChannels.bufferedAmount(of: channel) }

    public func setBufferedAmountLowThreshold(_ bytes: Int, for channel: DataChannelID) {
        dataChannels.setBufferedAmountLowThreshold(bytes, for: channel)
    }

    public func dataChannelState(_ channel: DataChannelID) -> DataChannelState? { dataChannels.state(of: channel) }
    public func dataChannelInfo(_ channel: DataChannelID) -> DataChannelInfo? { dataChannels.info(of: channel) }

    /// The SCTP association's figures (nil before DTLS is up or without data channels).
    public var sctpStatistics: SCTPStatistics? { dataChannels.association?.statistics }

    /// The negotiated data-channel section, if the session has one.
    var dataSection: MediaSection? { sections.first { $0.kind == .application && !$0.rejected } }

    /// DTLS is up: start SCTP when a data-channel section was negotiated.
    func startDataChannels(at now: Instant) {
        guard let section = dataSection, let dtls else { return }
        dataChannels.start(isDTLSClient: dtlsRole == .client,
                           remoteMaxMessageSize: section.remoteMaxMessageSize.map { Int(clamping: $0) },
                           packetSize: dtls.maximumApplicationDataSize, random: random, at: now)
        drainDataChannels()
    }

    /// An SCTP packet out of a DTLS record (RFC 8261 §5). The messages it completes surface now; the
    /// SACK it calls for is built by `pollOutput`, once the owner has handed in the whole batch of
    /// datagrams that arrived together. RFC 9260 §6.2 asks for a SACK for at least every second packet,
    /// but nothing leaves before the batch ends, so SACKs built per packet would all go out together,
    /// each superseding the one before: the single SACK at the end acknowledges the same TSNs at the
    /// same moment (Linux TCP's receive offload sends one ACK per coalesced batch the same way). The
    /// runtime ends a batch after at most eight datagrams, which bounds the stretch between SACKs.
    func receiveSCTP(_ packet: [UInt8], at now: Instant) {
        dataChannels.handlePacket(packet, at: now)
        while let event = dataChannels.pollEvent() { emit(.dataChannel(event)) }
    }

    /// Sends what SCTP has to send after `receiveSCTP`; called when the owner polls the output.
    func flushDataChannels() {
        if dataChannels.hasUnpolledTransmit { drainDataChannels() }
    }

    /// Sends what SCTP produced, each packet in its own DTLS record, and surfaces channel events.
    func drainDataChannels() {
        if let dtls, dtlsState == .connected {
            while let packet = dataChannels.pollTransmit() {
                do {
                    try dtls.send(packet)
                } catch {
                    counters.datagramsDropped += 1
                    continue
                }
                while let datagram = dtls.pollTransmit() { sendOnTransport(datagram) }
            }
        }
        while let event = dataChannels.pollEvent() { emit(.dataChannel(event)) }
    }
}
