import ICE

/// Candidates come from the remote SDP or trickle messages (RFC 8839 §5.1): parsing never traps,
/// and a parsed candidate prints to text that parses back to the same candidate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let candidate = try? ICECandidate(sdp: text) else { return 0 }
    guard let again = try? ICECandidate(sdp: candidate.sdpValue) else {
        fatalError("printed candidate does not parse: \(candidate.sdpValue)")
    }
    guard again == candidate else { fatalError("candidate changed in a round trip: \(candidate.sdpValue)") }
    return 0
}
