import RTP
import TandemBase

/// The receive side of one VP8 stream, sans-IO: RTX packets are unwrapped (RFC 4588), gaps are
/// NACKed (RFC 4585 §6.2.1), frames are ordered and checked by the jitter buffer, and a broken
/// picture turns into PLI or FIR (RFC 4585 §6.3.1, RFC 5104 §4.3.1) at a limited rate.
///
/// `handle(_:at:)` for each RTP packet, `handleTimeout(at:)` at `pollTimeout()`, then drain
/// `poll(at:)`. Tell it what the decoder made of each frame with `frameDecoded(_:)`.
public struct VideoReceiveStream: Sendable {
    public enum Output: Equatable, Sendable {
        /// A complete frame whose references are intact: decode it.
        case frame(VP8Frame)
        /// Feedback to send to the media sender.
        case feedback(RTCPFeedback)
    }

    public struct Configuration: Equatable, Sendable {
        public var localSSRC: UInt32
        public var remoteSSRC: UInt32
        public var payloadType: UInt8
        /// The RTX payload type (`apt` = `payloadType`), if negotiated.
        public var rtxPayloadType: UInt8?
        public var keyframeMethod: KeyframeRequester.Method
        public var jitterBuffer: VP8JitterBuffer.Configuration
        public var nack: NackGenerator.Configuration

        public init(localSSRC: UInt32, remoteSSRC: UInt32, payloadType: UInt8, rtxPayloadType: UInt8? = nil,
                    keyframeMethod: KeyframeRequester.Method = .pictureLossIndication,
                    jitterBuffer: VP8JitterBuffer.Configuration = .init(), nack: NackGenerator.Configuration = .init()) {
            self.localSSRC = localSSRC
            self.remoteSSRC = remoteSSRC
            self.payloadType = payloadType
            self.rtxPayloadType = rtxPayloadType
            self.keyframeMethod = keyframeMethod
            self.jitterBuffer = jitterBuffer
            self.nack = nack
        }
    }

    public let configuration: Configuration
    private var jitterBuffer: VP8JitterBuffer
    private var nacks: NackGenerator
    private var keyframeRequester: KeyframeRequester
    private var outputs: [Output] = []
    /// Packets that could not be used (bad RTX, bad VP8 descriptor, unknown payload type).
    public private(set) var packetsDiscarded = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
        jitterBuffer = VP8JitterBuffer(configuration: configuration.jitterBuffer)
        nacks = NackGenerator(configuration: configuration.nack)
        keyframeRequester = KeyframeRequester(senderSSRC: configuration.localSSRC, mediaSSRC: configuration.remoteSSRC,
                                              method: configuration.keyframeMethod)
    }

    public mutating func updateRoundTripTime(_ rtt: Duration) {
        nacks.updateRoundTripTime(rtt)
        keyframeRequester.updateRoundTripTime(rtt)
    }

    /// Takes an RTP packet of this stream or its RTX stream.
    public mutating func handle(_ packet: RTPPacket, at now: Instant) {
        var media = packet
        if let rtx = configuration.rtxPayloadType, packet.payloadType == rtx {
            guard let original = try? RTXPacket.unwrap(packet, originalPayloadType: configuration.payloadType,
                                                       originalSSRC: configuration.remoteSSRC) else {
                packetsDiscarded += 1
                return
            }
            media = original
        }
        guard media.payloadType == configuration.payloadType else {
            packetsDiscarded += 1
            return
        }
        nacks.received(media.sequenceNumber, at: now)
        do {
            try jitterBuffer.insert(media, at: now)
        } catch {
            packetsDiscarded += 1
        }
        drain(at: now)
    }

    public mutating func handleTimeout(at now: Instant) {
        jitterBuffer.handleTimeout(at: now)
        drain(at: now)
    }

    /// What the decoder made of a frame this stream handed out: a picture that could not be
    /// shown calls for a key frame.
    public mutating func frameDecoded(shown: Bool) {
        if !shown { requestKeyframe() }
    }

    /// Asks the sender for a key frame (PLI or FIR, rate-limited), e.g. when a viewer joins or resizes.
    public mutating func requestKeyframe() {
        keyframeRequester.request()
    }

    public mutating func poll(at now: Instant) -> Output? {
        drain(at: now)
        return outputs.isEmpty ? nil : outputs.removeFirst()
    }

    public func pollTimeout() -> Instant? {
        jitterBuffer.pollTimeout().earliest(nacks.pollTimeout()).earliest(keyframeRequester.pollTimeout())
    }

    private mutating func drain(at now: Instant) {
        while let event = jitterBuffer.pollEvent() {
            switch event {
            case .keyframeNeeded:
                keyframeRequester.request()
            case let .frame(frame):
                if frame.isKeyframe {
                    keyframeRequester.keyframeReceived()
                    nacks.forget(before: frame.firstSequenceNumber)
                }
                outputs.append(.frame(frame))
            }
        }
        while let output = nacks.poll(at: now) {
            switch output {
            case let .nack(numbers):
                outputs.append(.feedback(.genericNack(senderSSRC: configuration.localSSRC, mediaSSRC: configuration.remoteSSRC,
                                                      lost: numbers)))
            case .keyframeNeeded:
                keyframeRequester.request()
            }
        }
        if let request = keyframeRequester.poll(at: now) { outputs.append(.feedback(request)) }
    }
}
