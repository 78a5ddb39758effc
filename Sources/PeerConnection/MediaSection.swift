import MediaTransport
import RTP
import SDP
import TandemBase

/// The kind of an m= section.
public enum MediaKind: String, Sendable, Hashable {
    case audio, video, application
}

/// The codecs this engine can carry, with the RTCP feedback it honours for each (JSEP RFC 8829 §5.2.1).
enum SupportedCodecs {
    static let midExtensionURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// Transport-wide sequence numbers (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    static let transportCCExtensionURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// The send time that lets a REMB-only receiver estimate the path (libwebrtc's abs-send-time).
    static let absSendTimeExtensionURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    static let videoPayloadType: UInt8 = 96
    static let rtxPayloadType: UInt8 = 97

    /// The header extensions offered (and accepted in answers) for each kind, with the ids we offer.
    static func extensions(for kind: MediaKind) -> [(id: UInt16, uri: String)] {
        switch kind {
        case .video: [(1, midExtensionURI), (3, transportCCExtensionURI), (4, absSendTimeExtensionURI)]
        case .audio: [(1, midExtensionURI)]
        case .application: []
        }
    }

    static func local(for kind: MediaKind) -> [SDPCodec] {
        switch kind {
        case .video:
            [SDPCodec(rtpMap: SDPRTPMap(payloadType: videoPayloadType, encodingName: "VP8", clockRate: 90_000),
                      feedback: feedback(videoPayloadType)),
             // RFC 4588 §8.6: retransmissions on their own payload type and SSRC.
             SDPCodec(rtpMap: SDPRTPMap(payloadType: rtxPayloadType, encodingName: "rtx", clockRate: 90_000),
                      parameters: "apt=\(videoPayloadType)")]
        case .audio:
            [SDPCodec(rtpMap: SDPRTPMap(payloadType: 111, encodingName: "opus", clockRate: 48_000, channels: 2),
                      parameters: "minptime=10;useinbandfec=1")]
        case .application:
            []
        }
    }

    /// RTCP feedback types (RFC 4585 §4.2, RFC 5104 §7.1, transport-cc, REMB) kept in answers when offered.
    static let acceptedFeedback: Set<String> = ["nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"]

    static func feedback(_ payloadType: UInt8) -> [SDPRTCPFeedback] {
        [SDPRTCPFeedback(payloadType: payloadType, type: "nack"),
         SDPRTCPFeedback(payloadType: payloadType, type: "nack", parameter: "pli"),
         SDPRTCPFeedback(payloadType: payloadType, type: "ccm", parameter: "fir"),
         SDPRTCPFeedback(payloadType: payloadType, type: "transport-cc"),
         SDPRTCPFeedback(payloadType: payloadType, type: "goog-remb")]
    }

    /// Offered codecs this engine supports, keeping the offerer's payload types (RFC 8829 §5.3.1); an RTX
    /// format stays when its `apt` names a kept codec (RFC 4588 §8.6).
    static func accept(_ offered: [SDPCodec], kind: MediaKind) -> [SDPCodec] {
        let names = Set(local(for: kind).map { $0.rtpMap.encodingName.lowercased() }).subtracting(["rtx"])
        let media = offered.filter { names.contains($0.rtpMap.encodingName.lowercased()) }
        let mediaTypes = Set(media.map(\.payloadType))
        return offered.filter { codec in
            if names.contains(codec.rtpMap.encodingName.lowercased()) { return true }
            return codec.isRTX && codec.parameter("apt").flatMap { UInt8($0) }.map(mediaTypes.contains) == true
        }.map { codec in
            var accepted = codec
            accepted.feedback = codec.feedback.filter { fb in
                acceptedFeedback.contains(fb.parameter.map { "\(fb.type) \($0)" } ?? fb.type)
            }
            return accepted
        }
    }
}

extension SDPCodec {
    var isRTX: Bool { rtpMap.encodingName.lowercased() == "rtx" }

    func hasFeedback(_ type: String) -> Bool { feedback.contains { $0.type == type && $0.parameter == nil } }
}

/// One negotiated (or offered) m= section and the RTP state that goes with it.
struct MediaSection {
    let mid: String
    let kind: MediaKind
    /// The direction from this Peer's point of view.
    var direction: SDPMediaDirection
    var codecs: [SDPCodec]
    var midExtensionID: UInt16?
    /// Negotiated ids of the transport-cc and abs-send-time header extensions.
    var transportCCExtensionID: UInt16?
    var absSendTimeExtensionID: UInt16?
    let localSSRC: UInt32
    /// The SSRC of our retransmissions (RFC 4588 §8.6), announced in `a=ssrc-group:FID`.
    let localRTXSSRC: UInt32
    let cname: String
    let streamID: String
    let trackID: String
    var remoteSSRCs: [UInt32] = []
    /// The remote side's retransmission SSRCs, from its `a=ssrc-group:FID` lines (RFC 5576 §4.2).
    var remoteRTXSSRCs: [UInt32] = []
    /// The data-channel section's remote `a=sctp-port` and `a=max-message-size` (RFC 8841 §5, §6).
    var remoteSCTPPort: UInt16?
    var remoteMaxMessageSize: UInt64?
    var rejected = false
    /// The offer's m= line values for sections this Peer cannot carry (echoed back with port 0).
    var rejectedProto: String?
    var rejectedFormats: [String] = []

    var sendStatistics: RTPSendStatistics
    var receiveStatistics: [UInt32: RTPReceiveStatistics] = [:]
    /// Video only: the send stream once the transport is up, the receive stream once the remote SSRC is known.
    var videoSender: VideoSendStream?
    var videoReceiver: VideoReceiveStream?

    init(mid: String, kind: MediaKind, direction: SDPMediaDirection, codecs: [SDPCodec], random: inout some RandomNumberGenerator) {
        self.mid = mid
        self.kind = kind
        self.direction = direction
        self.codecs = codecs
        localSSRC = UInt32.random(in: 1...UInt32.max, using: &random)
        localRTXSSRC = UInt32.random(in: 1...UInt32.max, using: &random)
        cname = RandomToken.make(16, alphanumericOnly: true, using: &random)
        streamID = RandomToken.make(12, alphanumericOnly: true, using: &random)
        trackID = RandomToken.make(12, alphanumericOnly: true, using: &random)
        sendStatistics = RTPSendStatistics(ssrc: localSSRC, clockRate: Int(codecs.first?.rtpMap.clockRate ?? 90_000))
    }

    /// An accepted audio or video section (the data-channel section carries SCTP, not RTP).
    var carriesRTP: Bool { !rejected && kind != .application }

    var sends: Bool { carriesRTP && (direction == .sendrecv || direction == .sendonly) }

    var receives: Bool { carriesRTP && (direction == .sendrecv || direction == .recvonly) }

    /// The negotiated media codec (the first non-RTX format, RFC 8829 §5.3.1 preference order).
    var primaryCodec: SDPCodec? { codecs.first { !$0.isRTX } }

    /// The RTX payload type whose `apt` is the primary codec, when RTX was negotiated (RFC 4588 §8.6).
    var rtxPayloadType: UInt8? {
        guard let primary = primaryCodec else { return nil }
        return codecs.first { $0.isRTX && $0.parameter("apt") == String(primary.payloadType) }?.payloadType
    }

    /// The remote media SSRC: the first announced one that is not a retransmission stream.
    var remoteMediaSSRC: UInt32? { remoteSSRCs.first { !remoteRTXSSRCs.contains($0) } }

    /// Our own header extension ids, for a section we offer.
    mutating func useLocalExtensions() {
        let ids = Dictionary(uniqueKeysWithValues: SupportedCodecs.extensions(for: kind).map { ($0.uri, $0.id) })
        midExtensionID = ids[SupportedCodecs.midExtensionURI]
        transportCCExtensionID = ids[SupportedCodecs.transportCCExtensionURI]
        absSendTimeExtensionID = ids[SupportedCodecs.absSendTimeExtensionURI]
    }

    /// Reads the header extension ids and the remote SSRCs of a remote section.
    mutating func adopt(remote media: MediaDescription) {
        let maps = media.extensionMaps
        midExtensionID = maps.first { $0.uri == SupportedCodecs.midExtensionURI }?.id
        let supported = Set(SupportedCodecs.extensions(for: kind).map(\.uri))
        func id(_ uri: String) -> UInt16? { supported.contains(uri) ? maps.first { $0.uri == uri }?.id : nil }
        transportCCExtensionID = id(SupportedCodecs.transportCCExtensionURI)
        absSendTimeExtensionID = id(SupportedCodecs.absSendTimeExtensionURI)
        remoteSSRCs = media.ssrcs
        remoteRTXSSRCs = media.ssrcGroups.filter { $0.semantics == "FID" && $0.ssrcs.count == 2 }.map { $0.ssrcs[1] }
    }

    func clockRate(payloadType: UInt8) -> Int {
        Int(codecs.first { $0.payloadType == payloadType }?.rtpMap.clockRate ?? 90_000)
    }
}

/// Random tokens: ICE credentials use ice-char, ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4); CNAMEs and
/// msid identifiers use letters and digits only, which are token characters (RFC 8866 §9).
enum RandomToken {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    static func make(_ length: Int, alphanumericOnly: Bool = false, using random: inout some RandomNumberGenerator) -> String {
        let letters = alphanumericOnly ? 62 : alphabet.count
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<letters, using: &random)] })
    }
}

/// The Peer's one stream of randomness, shared by reference with the ICE agent it creates, so
/// no two parts draw the same values from copies of one generator. Concrete, so it can be passed
/// `inout` to generic code (opening an existential inside an initializer crashes Swift 6.3).
final class SharedRandomGenerator: RandomNumberGenerator {
    private var base: any RandomNumberGenerator

    init(_ base: any RandomNumberGenerator) { self.base = base }

    func next() -> UInt64 { base.next() }
}
