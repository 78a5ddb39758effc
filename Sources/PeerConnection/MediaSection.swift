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

    static func local(for kind: MediaKind) -> [SDPCodec] {
        switch kind {
        case .video:
            [SDPCodec(rtpMap: SDPRTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90_000),
                      feedback: feedback(96))]
        case .audio:
            [SDPCodec(rtpMap: SDPRTPMap(payloadType: 111, encodingName: "opus", clockRate: 48_000, channels: 2),
                      parameters: "minptime=10;useinbandfec=1")]
        case .application:
            []
        }
    }

    /// RTCP feedback types (RFC 4585 §4.2, RFC 5104 §7.1) kept in answers when offered.
    static let acceptedFeedback: Set<String> = ["nack", "nack pli", "ccm fir"]

    static func feedback(_ payloadType: UInt8) -> [SDPRTCPFeedback] {
        [SDPRTCPFeedback(payloadType: payloadType, type: "nack"),
         SDPRTCPFeedback(payloadType: payloadType, type: "nack", parameter: "pli"),
         SDPRTCPFeedback(payloadType: payloadType, type: "ccm", parameter: "fir")]
    }

    /// Offered codecs this engine supports, keeping the offerer's payload types (RFC 8829 §5.3.1).
    static func accept(_ offered: [SDPCodec], kind: MediaKind) -> [SDPCodec] {
        let names = Set(local(for: kind).map { $0.rtpMap.encodingName.lowercased() })
        return offered.filter { names.contains($0.rtpMap.encodingName.lowercased()) }.map { codec in
            var accepted = codec
            accepted.feedback = codec.feedback.filter { fb in
                acceptedFeedback.contains(fb.parameter.map { "\(fb.type) \($0)" } ?? fb.type)
            }
            return accepted
        }
    }
}

/// One negotiated (or offered) m= section and the RTP state that goes with it.
struct MediaSection {
    let mid: String
    let kind: MediaKind
    /// The direction from this Peer's point of view.
    var direction: SDPMediaDirection
    var codecs: [SDPCodec]
    var midExtensionID: UInt16?
    let localSSRC: UInt32
    let cname: String
    let streamID: String
    let trackID: String
    var remoteSSRCs: [UInt32] = []
    /// The data-channel section's remote `a=sctp-port` and `a=max-message-size` (RFC 8841 §5, §6).
    var remoteSCTPPort: UInt16?
    var remoteMaxMessageSize: UInt64?
    var rejected = false
    /// The offer's m= line values for sections this Peer cannot carry (echoed back with port 0).
    var rejectedProto: String?
    var rejectedFormats: [String] = []

    var sendStatistics: RTPSendStatistics
    var receiveStatistics: [UInt32: RTPReceiveStatistics] = [:]

    init(mid: String, kind: MediaKind, direction: SDPMediaDirection, codecs: [SDPCodec], random: inout some RandomNumberGenerator) {
        self.mid = mid
        self.kind = kind
        self.direction = direction
        self.codecs = codecs
        localSSRC = UInt32.random(in: 1...UInt32.max, using: &random)
        cname = RandomToken.make(16, alphanumericOnly: true, using: &random)
        streamID = RandomToken.make(12, alphanumericOnly: true, using: &random)
        trackID = RandomToken.make(12, alphanumericOnly: true, using: &random)
        sendStatistics = RTPSendStatistics(ssrc: localSSRC, clockRate: Int(codecs.first?.rtpMap.clockRate ?? 90_000))
    }

    /// An accepted audio or video section (the data-channel section carries SCTP, not RTP).
    var carriesRTP: Bool { !rejected && kind != .application }

    var sends: Bool { carriesRTP && (direction == .sendrecv || direction == .sendonly) }

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
