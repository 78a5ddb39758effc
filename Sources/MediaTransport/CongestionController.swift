import RTP
import TandemBase

/// Transport-wide congestion control for one transport (all streams of a bundle): stamps each
/// outgoing RTP packet with the next transport-wide sequence number in the `transport-cc`
/// header extension (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2), remembers it, and
/// feeds the peer's transport feedback and REMB into the bandwidth estimate. A peer that
/// negotiated only REMB still caps the estimate.
public struct CongestionController: Sendable {
    public private(set) var estimator: BandwidthEstimator
    private var adapter = TransportFeedbackAdapter()
    private var nextSequenceNumber: UInt16
    /// Transport feedback messages and REMBs taken so far.
    public private(set) var transportFeedbackCount = 0
    public private(set) var rembCount = 0

    public init(firstSequenceNumber: UInt16 = 1, estimator: BandwidthEstimator.Configuration = .init()) {
        nextSequenceNumber = firstSequenceNumber
        self.estimator = BandwidthEstimator(configuration: estimator)
    }

    /// The bitrate all media together should stay under.
    public var targetBitrate: Int { estimator.targetBitrate }

    /// Adds (or replaces) the transport-cc element (the negotiated `a=extmap` id) of a packet about to
    /// be sent and records it.
    public mutating func stamp(_ packet: inout RTPPacket, extensionID: UInt8, at now: Instant) throws(WireError) {
        let sequence = nextSequenceNumber
        nextSequenceNumber &+= 1
        packet.extensions.removeAll { $0.id == extensionID }
        packet.extensions.append(try TransportSequenceNumberExtension.element(id: extensionID, sequenceNumber: sequence))
        adapter.sent(sequence, size: packet.serializedSize, at: now)
    }

    public mutating func updateRoundTripTime(_ rtt: Duration) {
        estimator.updateRoundTripTime(rtt)
    }

    /// Takes any feedback message; returns whether it was transport feedback or REMB.
    @discardableResult
    public mutating func handle(_ feedback: RTCPFeedback, at now: Instant) throws(WireError) -> Bool {
        if let transport = try TransportFeedback.from(feedback) {
            estimator.handle(adapter.handle(transport), at: now)
            transportFeedbackCount += 1
            return true
        }
        if let remb = try ReceiverEstimatedMaximumBitrate.from(feedback) {
            estimator.handleREMB(remb)
            rembCount += 1
            return true
        }
        return false
    }
}
