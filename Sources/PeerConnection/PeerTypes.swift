import DataChannel
import DTLS
import ICE
import MediaTransport
import RTP
import SCTP
import SRTP
import TandemBase

/// Settings for one Peer (one helper–sharer session's transport).
public struct PeerConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates (RFC 8445 §5.1.1.2).
    public var stunServers: [TransportAddress] = []
    /// The DTLS role this Peer takes when it answers an `actpass` offer (RFC 8842 §5.3: the answerer
    /// SHOULD be active, i.e. the DTLS client). Tests force `.server` to cover both roles.
    public var answererDTLSRole: DTLSRole = .client
    /// SRTP protection profiles offered in `use_srtp`, most preferred first.
    public var srtpProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]
    /// The largest datagram the Peer sends (DTLS records, RTP packets are sized by the sender).
    public var mtu = 1200
    /// Mean interval between RTCP compound packets (RFC 3550 §6.2; WebRTC stacks use about a second).
    public var rtcpInterval: Duration = .seconds(1)
    /// The wall-clock time (since the Unix epoch) at `Instant.zero`, for NTP timestamps in sender reports.
    public var wallClockAtZero: Duration = .zero
    /// The bandwidth estimator's start, floor and ceiling (bits per second) for the media this Peer sends.
    public var bandwidth = BandwidthEstimator.Configuration(initialBitrate: 1_500_000, minBitrate: 100_000, maxBitrate: 15_000_000)
    /// The pacer sends at this multiple of the estimate, so that a key frame is spread over a few frame
    /// intervals instead of bursting, and ordinary frames do not queue (libwebrtc uses 2.5).
    public var pacingFactor = 2.5
    /// Until the first transport feedback (or REMB) tells the estimator anything about the path, and for
    /// at most `startupPacingDuration`, the pacer runs at this multiple instead (30 Mbit/s from the
    /// default start): the first key frame is the one picture a viewer waits for, the path is still
    /// empty, and a slower bottleneck drains it at its own rate whatever the pacer does. The cost is a
    /// burst of one key frame (about 45 KB for a 1080p desktop) into that bottleneck's queue; a queue
    /// too short for it loses packets that NACK then repairs. (libwebrtc probes the path at 3× and 6×
    /// its start rate instead.)
    public var startupPacingFactor = 20.0
    public var startupPacingDuration: Duration = .seconds(1)
    /// The SCTP association under data channels; `maxMessageSize` is announced as `a=max-message-size`.
    /// Two defaults differ from plain SCTP, both for input and chat that must not queue behind a bulk
    /// transfer on another channel: I-DATA is offered (RFC 8260: fragments of different streams
    /// interleave; used only when the peer offers it too, which browsers and aiortc do not yet), and
    /// what is in flight stays near what the path holds without a queue (twice the measured
    /// bandwidth-delay product, at least 64 KiB), since everything in flight is queued ahead of a new
    /// message. Retransmission timers back off to at most 3 s, so chat and input recover within seconds
    /// of a lossy spell rather than after a minute.
    public var sctp: SCTPConfiguration = {
        var sctp = SCTPConfiguration()
        sctp.enableMessageInterleaving = true
        sctp.inFlightLimit = InFlightLimit()
        sctp.maxTimerBackoff = .seconds(3)
        return sctp
    }()

    public init() {}
}

/// The peer connection's aggregate state, as `RTCPeerConnectionState` (W3C webrtc-pc §4.3.3).
public enum PeerConnectionState: String, Sendable, Equatable {
    case new, connecting, connected, disconnected, failed, closed
}

/// What happened inside the Peer that its owner may care about.
public enum PeerEvent: Sendable {
    /// A local ICE candidate to signal to the remote side (trickle, RFC 8838), as an SDP `candidate:` value.
    case localCandidate(String)
    /// Candidate gathering finished; `localDescription` now carries every candidate.
    case gatheringComplete
    case iceConnectionStateChanged(ICEConnectionState)
    case connectionStateChanged(PeerConnectionState)
    /// The connection failed; the reason is a sentence for logs and users (e.g. fingerprint mismatch).
    case failure(String)
    /// An RTP packet arrived (decrypted) for the audio section `mid`.
    case rtp(mid: String, packet: RTPPacket)
    /// A complete VP8 frame whose references arrived intact, for the video section `mid`: decode it and
    /// report the result with `videoFrameDecoded(mid:shown:at:)`.
    case videoFrame(mid: String, VP8Frame)
    /// The receiver of what this Peer sends on `mid` asked for a key frame (PLI or FIR, RFC 5104 §3.5.1):
    /// make the next frame one.
    case keyframeRequested(mid: String)
    /// The bandwidth estimate (bits per second) for all media together changed: encoders follow it.
    case targetBitrateChanged(Int)
    /// A data channel opened, closed, received a message or drained its buffer.
    case dataChannel(DataChannelEvent)
}

/// One unit of output from the Peer.
public enum PeerOutput: Sendable {
    /// Send `bytes` from the local socket `from` to `to`.
    case transmit(bytes: [UInt8], from: TransportAddress, to: TransportAddress)
    case event(PeerEvent)
}

public enum PeerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidState(String)
    case invalidDescription(String)
    case unknownMid(String)
    case notConnected
    case dataChannel(DataChannelError)
    case closed

    public var description: String {
        switch self {
        case let .invalidState(reason): "invalid state: \(reason)"
        case let .invalidDescription(reason): "invalid session description: \(reason)"
        case let .unknownMid(mid): "no media section with mid \(mid)"
        case .notConnected: "the connection is not established yet"
        case let .dataChannel(error): error.description
        case .closed: "the peer connection is closed"
        }
    }
}
