import RTP
import TandemBase

/// The send side of one VP8 stream, sans-IO: encoded frames are packetized (RFC 7741) and paced;
/// packets are kept for retransmission and NACKs answered with them (RFC 4585, RFC 4588 RTX when
/// configured); PLI and FIR turn into key frame requests for the encoder (RFC 5104).
///
/// `send(frame:rtpTimestamp:at:)` and `handle(_:at:)` in, then `pollTransmit(at:)` until nil,
/// `pollKeyframeRequest(at:)` before encoding, and come back at `pollTimeout()`.
public struct VideoSendStream: Sendable {
    public struct Configuration: Equatable, Sendable {
        public var ssrc: UInt32
        public var payloadType: UInt8
        /// Largest RTP payload, VP8 payload descriptor included.
        public var maxPayloadSize: Int
        public var rtx: RetransmissionBuffer.RTXConfiguration?
        /// Pacing rate before `setRate` is called (bits per second).
        public var initialPacingRate: Int
        public var firstSequenceNumber: UInt16
        public var firstPictureID: UInt16
        /// Shortest spacing between key frames made on request.
        public var keyframeInterval: Duration

        public init(ssrc: UInt32, payloadType: UInt8, maxPayloadSize: Int = 1100, rtx: RetransmissionBuffer.RTXConfiguration? = nil,
                    initialPacingRate: Int = 2_500_000, firstSequenceNumber: UInt16 = 1, firstPictureID: UInt16 = 0,
                    keyframeInterval: Duration = .milliseconds(300)) {
            self.ssrc = ssrc
            self.payloadType = payloadType
            self.maxPayloadSize = maxPayloadSize
            self.rtx = rtx
            self.initialPacingRate = initialPacingRate
            self.firstSequenceNumber = firstSequenceNumber
            self.firstPictureID = firstPictureID
            self.keyframeInterval = keyframeInterval
        }
    }

    /// A packet in the pacer, and for a resend the original sequence number it repeats.
    struct Paced: Sendable {
        var packet: RTPPacket
        var resendOf: UInt16?
    }

    public let configuration: Configuration
    private var packetizer: VP8Packetizer
    private var pacer: Pacer<Paced>
    /// Original sequence numbers whose resend waits in the pacer: a repeated NACK does not queue
    /// another copy.
    private var queuedResends: Set<UInt16> = []
    private var retransmissions: RetransmissionBuffer
    private var keyframeRequests: KeyframeRequestFilter

    public init(configuration: Configuration) {
        self.configuration = configuration
        packetizer = VP8Packetizer(ssrc: configuration.ssrc, payloadType: configuration.payloadType,
                                   firstSequenceNumber: configuration.firstSequenceNumber,
                                   firstPictureID: configuration.firstPictureID, maxPayloadSize: configuration.maxPayloadSize)
        pacer = Pacer(rate: configuration.initialPacingRate)
        retransmissions = RetransmissionBuffer(configuration: .init(rtx: configuration.rtx))
        keyframeRequests = KeyframeRequestFilter(mediaSSRC: configuration.ssrc, minimumInterval: configuration.keyframeInterval)
    }

    /// Bytes waiting in the pacer.
    public var queuedBytes: Int { pacer.queuedBytes }

    /// The pacing rate (bits per second); usually a little above the encoder's target so that
    /// frames do not queue up (libwebrtc paces at 2.5× the estimate).
    public mutating func setRate(_ bitsPerSecond: Int) {
        pacer.setRate(bitsPerSecond)
    }

    public mutating func updateRoundTripTime(_ rtt: Duration) {
        retransmissions.updateRoundTripTime(rtt)
    }

    /// Queues an encoded frame. A key frame answers the pending requests and makes queued
    /// resends of older packets useless, so they are dropped.
    public mutating func send(frame: [UInt8], rtpTimestamp: UInt32, isKeyframe: Bool, at now: Instant) {
        if isKeyframe {
            keyframeRequests.keyframeSent(at: now)
            pacer.removeAll(priority: .retransmission)
            queuedResends.removeAll()
        }
        for packet in packetizer.packetize(frame: frame, rtpTimestamp: rtpTimestamp) {
            pacer.enqueue(Paced(packet: packet), size: packet.serializedSize, priority: .video, at: now)
        }
    }

    /// Takes feedback from the receiver: Generic NACK queues retransmissions ahead of new video,
    /// PLI and FIR become a key frame request. Other messages are ignored.
    public mutating func handle(_ feedback: RTCPFeedback, at now: Instant) {
        if let numbers = feedback.nackedSequenceNumbers, feedback.mediaSSRC == configuration.ssrc {
            for number in numbers where !queuedResends.contains(number) {
                guard let packet = retransmissions.resend(number, at: now) else { continue }
                queuedResends.insert(number)
                pacer.enqueue(Paced(packet: packet, resendOf: number), size: packet.serializedSize, priority: .retransmission,
                              at: now)
            }
            return
        }
        keyframeRequests.handle(feedback)
    }

    /// Whether the next frame should be a key frame (a request is pending and allowed now).
    public mutating func pollKeyframeRequest(at now: Instant) -> Bool {
        keyframeRequests.poll(at: now)
    }

    /// The next packet to put on the wire now; originals are kept for retransmission.
    public mutating func pollTransmit(at now: Instant) -> RTPPacket? {
        guard let paced = pacer.poll(at: now) else { return nil }
        if let original = paced.resendOf {
            queuedResends.remove(original)
            retransmissions.noteResent(original, at: now)
        } else {
            retransmissions.store(paced.packet, at: now)
        }
        return paced.packet
    }

    public func pollTimeout() -> Instant? {
        pacer.pollTimeout().earliest(keyframeRequests.pollTimeout())
    }
}
