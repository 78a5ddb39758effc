import RTP
import TandemBase

/// The RTX payload format (RFC 4588 §4): a retransmission travels on its own SSRC and payload
/// type, with its own sequence numbers, and its payload starts with the original sequence number
/// (OSN) followed by the original payload.
public enum RTXPacket {
    /// Wraps `original` as an RTX packet (RFC 4588 §4): timestamp, marker and header extensions
    /// are kept, CSRCs too.
    public static func wrap(_ original: RTPPacket, payloadType: UInt8, ssrc: UInt32, sequenceNumber: UInt16) -> RTPPacket {
        var packet = original
        packet.payloadType = payloadType
        packet.ssrc = ssrc
        packet.sequenceNumber = sequenceNumber
        packet.payload = [UInt8(truncatingIfNeeded: original.sequenceNumber >> 8), UInt8(truncatingIfNeeded: original.sequenceNumber)]
            + original.payload
        packet.paddingLength = 0
        return packet
    }

    /// Restores the original packet from an RTX packet, given the original stream's payload type
    /// and SSRC (from the SDP `apt` parameter and the ssrc-group FID, RFC 4588 §8).
    /// An RTX packet with no payload after the OSN is padding and throws.
    public static func unwrap(_ rtx: RTPPacket, originalPayloadType: UInt8, originalSSRC: UInt32) throws(WireError) -> RTPPacket {
        guard rtx.payload.count > 2 else {
            throw .invalid("RTX packet of \(rtx.payload.count) bytes has no original payload (RFC 4588 §4)")
        }
        var packet = rtx
        packet.payloadType = originalPayloadType
        packet.ssrc = originalSSRC
        packet.sequenceNumber = UInt16(rtx.payload[0]) << 8 | UInt16(rtx.payload[1])
        packet.payload = Array(rtx.payload[2...])
        return packet
    }
}

/// Keeps recently sent RTP packets so that NACKed ones can be sent again (RFC 4585 §3.2,
/// RFC 4588). Bounded by bytes and by age; a packet is resent at most once per round-trip time
/// (an earlier copy may still be on its way). With RTX negotiated, resends are wrapped in RTX.
public struct RetransmissionBuffer: Sendable {
    /// The RTX stream for resends (RFC 4588 §8): its SSRC, its first sequence number, and the
    /// RTX payload type for each original payload type (the `apt` mapping).
    public struct RTXConfiguration: Equatable, Sendable {
        public var ssrc: UInt32
        public var payloadTypes: [UInt8: UInt8]
        public var firstSequenceNumber: UInt16

        public init(ssrc: UInt32, payloadTypes: [UInt8: UInt8], firstSequenceNumber: UInt16) {
            self.ssrc = ssrc
            self.payloadTypes = payloadTypes
            self.firstSequenceNumber = firstSequenceNumber
        }
    }

    public struct Configuration: Equatable, Sendable {
        public var maxBytes: Int
        public var maxAge: Duration
        public var rtx: RTXConfiguration?

        public init(maxBytes: Int = 4 << 20, maxAge: Duration = .seconds(1), rtx: RTXConfiguration? = nil) {
            self.maxBytes = maxBytes
            self.maxAge = maxAge
            self.rtx = rtx
        }
    }

    struct Entry: Sendable {
        var packet: RTPPacket
        var sentAt: Instant
        var lastResent: Instant?
        var size: Int
    }

    public let configuration: Configuration
    /// Sent packets in sending order, keyed by unwrapped sequence number.
    private var entries: [Int64: Entry] = [:]
    private var order: [Int64] = []
    private var orderStart = 0
    private var unwrapper = SequenceNumberUnwrapper()
    private var nextRTXSequenceNumber: UInt16
    private var roundTripTime: Duration = .milliseconds(100)
    public private(set) var storedBytes = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        nextRTXSequenceNumber = configuration.rtx?.firstSequenceNumber ?? 0
    }

    public var packetCount: Int { entries.count }

    public mutating func updateRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
    }

    /// Remembers a packet just sent; a packet already held (a resend without RTX) is kept as it was.
    public mutating func store(_ packet: RTPPacket, at now: Instant) {
        let sequence = unwrapper.unwrap(packet.sequenceNumber)
        guard entries[sequence] == nil else { return }
        let size = packet.serializedSize
        order.append(sequence)
        entries[sequence] = Entry(packet: packet, sentAt: now, lastResent: nil, size: size)
        storedBytes += size
        evict(at: now)
    }

    /// Notes that the resend of `sequenceNumber` actually left (a pacer may hold it a while):
    /// the round-trip time before it may be resent again counts from here.
    public mutating func noteResent(_ sequenceNumber: UInt16, at now: Instant) {
        let sequence = unwrapper.unwrap(sequenceNumber)
        entries[sequence]?.lastResent = now
    }

    /// The packets to send again for a Generic NACK (`RTCPFeedback.nackedSequenceNumbers`):
    /// those still held and not resent within the last round-trip time, as RTX packets when
    /// RTX is configured for their payload type.
    public mutating func handleNack(_ sequenceNumbers: [UInt16], at now: Instant) -> [RTPPacket] {
        sequenceNumbers.compactMap { resend($0, at: now) }
    }

    /// The packet to send again for one NACKed sequence number, or nil if it is no longer held
    /// or was resent less than a round-trip time ago.
    public mutating func resend(_ sequenceNumber: UInt16, at now: Instant) -> RTPPacket? {
        evict(at: now)
        let sequence = unwrapper.unwrap(sequenceNumber)
        guard var entry = entries[sequence] else { return nil }
        if let lastResent = entry.lastResent, now - lastResent < roundTripTime { return nil }
        entry.lastResent = now
        entries[sequence] = entry
        guard let rtx = configuration.rtx, let payloadType = rtx.payloadTypes[entry.packet.payloadType] else {
            return entry.packet
        }
        defer { nextRTXSequenceNumber &+= 1 }
        return RTXPacket.wrap(entry.packet, payloadType: payloadType, ssrc: rtx.ssrc, sequenceNumber: nextRTXSequenceNumber)
    }

    /// Drops the oldest packets beyond the byte limit or the age limit.
    private mutating func evict(at now: Instant) {
        while orderStart < order.count {
            let sequence = order[orderStart]
            guard let entry = entries[sequence] else { orderStart += 1; continue }
            guard storedBytes > configuration.maxBytes || now - entry.sentAt > configuration.maxAge else { break }
            entries[sequence] = nil
            storedBytes -= entry.size
            orderStart += 1
        }
        if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
