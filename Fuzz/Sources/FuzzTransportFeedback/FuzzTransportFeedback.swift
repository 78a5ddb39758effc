import MediaTransport
import RTP

/// Transport-wide congestion-control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1)
/// and REMB arrive in RTCP from the remote receiver. What parses must re-serialise to an equal message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let feedback = try? TransportFeedback(fci: bytes) {
        guard let reparsed = try? TransportFeedback(fci: feedback.serializeFCI()), reparsed == feedback else {
            fatalError("transport feedback round trip failed for \(bytes)")
        }
    }
    if let packets = try? RTCPPacket.parseCompound(bytes) {
        for case let .feedback(feedback) in packets {
            _ = try? ReceiverEstimatedMaximumBitrate.from(feedback)
            _ = try? TransportFeedback.from(feedback)
        }
    }
    return 0
}
