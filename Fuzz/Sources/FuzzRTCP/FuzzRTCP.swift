import RTP

/// RTCP compound packets arrive from any peer. Parsing must never trap, and a compound that
/// parses must parse again after serializing, giving the same packets up to what the writer
/// normalises (Sources/RTP): padding and SR/RR profile extensions are not part of the value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let packets = try? RTCPPacket.parseCompound(bytes) else { return 0 }
    let written = RTCPPacket.serializeCompound(packets)
    let reparsed: [RTCPPacket]
    do {
        reparsed = try RTCPPacket.parseCompound(written)
    } catch {
        fatalError("RTCP round trip: serialized compound does not parse: \(error)\n\(packets)")
    }
    let expected = packets.map(afterOneWrite)
    guard reparsed == expected else { fatalError("RTCP round trip changed the compound:\n\(expected)\n\(reparsed)") }
    return 0
}

/// The value one serialize-then-parse pass is meant to give back.
private func afterOneWrite(_ packet: RTCPPacket) -> RTCPPacket {
    switch packet {
    case var .feedback(feedback):
        // RTCPFeedback.writeBody zero-pads the FCI to a 32-bit boundary (RFC 4585 §6.1).
        feedback.fci += Array(repeating: 0, count: (4 - feedback.fci.count % 4) % 4)
        return .feedback(feedback)
    case var .goodbye(goodbye):
        // RTCPGoodbye keeps the reason as a String (invalid UTF-8 becomes U+FFFD, which is longer)
        // and writes at most 255 bytes of its UTF-8 (RFC 3550 §6.6).
        goodbye.reason = goodbye.reason.map { String(decoding: Array($0.utf8.prefix(255)), as: UTF8.self) }
        return .goodbye(goodbye)
    default:
        return packet
    }
}
