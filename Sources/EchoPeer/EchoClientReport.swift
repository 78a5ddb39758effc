/// What one echo-client run measured, printed as one JSON line (snake_case keys).
public struct EchoClientReport: Codable, Sendable {
    public var setupMilliseconds: Double
    public var dtlsRole: String?
    public var srtpProfile: String?
    public var roundTripMilliseconds: Double?
    public var selectedPair: String?
    /// The send-side bandwidth estimate at the end, and the feedback it was built from.
    public var estimatedBitrate: Int?
    public var transportFeedbackReceived: Int?
    public var rembReceived: Int?

    // Video: what was encoded and sent, and what came back, decoded.
    public var framesSent: Int?
    public var keyFramesSent: Int?
    public var bytesSent: Int?
    public var keyframeRequests: Int?
    /// Echoed frames decoded and shown, and how many the decoder refused (never shown).
    public var framesDecoded: Int?
    public var framesRefused: Int?
    /// Echoed pictures whose frame stamp was read and matched a picture sent, and their PSNR (dB).
    public var framesMatched: Int?
    public var psnrMinimum: Double?
    public var psnrMedian: Double?
    public var framesPerSecond: Double?
    public var freezes: Int?
    public var longestFreezeMilliseconds: Double?
    /// From the connection being up to the first echoed picture decoded.
    public var firstFrameMilliseconds: Double?

    // Audio: an Opus test tone out and back.
    public var audioPacketsSent: Int?
    public var audioPacketsReceived: Int?
    public var audioPacketsLost: Int?
    public var audioFrequency: Double?

    // Data channels (Interop/README.md, data-channel echo protocol).
    public var dataChannelSent: Int?
    public var dataChannelEchoed: Int?
    public var dataChannelIntact: Bool?
    public var serverChannelMessages: Int?
    public var serverChannelIntact: Bool?
    public var serverChannelClosed: Bool?
    /// Closing our first channel completed (the peer reset its stream too, RFC 8831 §6.7).
    public var clientCloseCompleted: Bool?

    public var succeeded: Bool

    enum CodingKeys: String, CodingKey {
        case setupMilliseconds = "setup_ms", dtlsRole = "dtls_role", srtpProfile = "srtp_profile"
        case roundTripMilliseconds = "rtt_ms", selectedPair = "selected_pair"
        case estimatedBitrate = "estimate_bps", transportFeedbackReceived = "transport_feedback_received", rembReceived = "remb_received"
        case framesSent = "frames_sent", keyFramesSent = "key_frames_sent", bytesSent = "bytes_sent"
        case keyframeRequests = "keyframe_requests", framesDecoded = "frames_decoded", framesRefused = "frames_refused"
        case framesMatched = "frames_matched", psnrMinimum = "psnr_min_db", psnrMedian = "psnr_median_db"
        case framesPerSecond = "fps", freezes, longestFreezeMilliseconds = "longest_freeze_ms"
        case firstFrameMilliseconds = "first_frame_ms"
        case audioPacketsSent = "audio_packets_sent", audioPacketsReceived = "audio_packets_received"
        case audioPacketsLost = "audio_packets_lost", audioFrequency = "audio_frequency_hz"
        case dataChannelSent = "datachannel_sent", dataChannelEchoed = "datachannel_echoed", dataChannelIntact = "datachannel_intact"
        case serverChannelMessages = "server_channel_messages", serverChannelIntact = "server_channel_intact"
        case serverChannelClosed = "server_channel_closed", clientCloseCompleted = "client_close_completed"
        case succeeded = "ok"
    }
}
