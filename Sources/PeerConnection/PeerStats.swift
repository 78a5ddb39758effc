import ICE
import TandemBase

/// The selected ICE candidate pair (as `RTCIceCandidatePairStats`).
public struct CandidatePairStats: Sendable, Equatable, CustomStringConvertible {
    public var local: TransportAddress
    public var remote: TransportAddress
    public var localType: String
    public var remoteType: String
    public var description: String { "\(local) (\(localType)) ↔ \(remote) (\(remoteType))" }
}

/// A snapshot of the connection's figures (the subset of `getStats()` the engine reports).
public struct PeerStats: Sendable {
    public var connectionState: PeerConnectionState
    public var iceConnectionState: ICEConnectionState
    public var selectedPair: CandidatePairStats?
    public var dtlsRole: String?
    public var srtpProfile: String?
    public var bytesSent: Int
    public var bytesReceived: Int
    public var rtpPacketsSent: Int
    public var rtpPacketsReceived: Int
    public var rtcpPacketsSent: Int
    public var rtcpPacketsReceived: Int
    public var srtpFailures: Int
    public var datagramsDropped: Int
    /// Remote sources that said RTCP BYE (RFC 3550 §6.6).
    public var goodbyesReceived: Int
    /// From the latest RTCP report block about our streams (RFC 3550 §6.4.1).
    public var roundTripTime: Duration?
    /// The bandwidth estimate for what this Peer sends (W3C `availableOutgoingBitrate`, bits per second),
    /// and the feedback it came from: transport-wide feedback and the peer's REMBs.
    public var availableOutgoingBitrate: Int
    public var transportFeedbackReceived: Int
    public var rembReceived: Int
}
