import RTP

/// Every datagram on a bundled 5-tuple is classified by its first octet (RFC 7983 §7) and RTP or
/// RTCP ones go to their parser, as the receive path does. Whatever parses as RTP or RTCP starts
/// with 128–191, so the classifier must have sent it to one of the two.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let datagram = Array(UnsafeBufferPointer(start: data, count: size))
    let kind = DatagramKind.classify(datagram)
    switch kind {
    case .rtp: _ = try? RTPPacket.parse(datagram)
    case .rtcp: _ = try? RTCPPacket.parseCompound(datagram)
    case .stun, .zrtp, .dtls, .turnChannel, .unknown: break
    }
    let parsesAsMedia = (try? RTPPacket.parse(datagram)) != nil || (try? RTCPPacket.parseCompound(datagram)) != nil
    guard !parsesAsMedia || kind == .rtp || kind == .rtcp else {
        fatalError("datagram parses as RTP/RTCP but is classified \(kind)")
    }
    return 0
}
