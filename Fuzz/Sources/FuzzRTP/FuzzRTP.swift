import RTP

/// RTP packets arrive from any peer. Parsing must never trap, and every packet that parses must
/// survive serialize-then-parse unchanged: padding octets are rewritten as zeros and unknown
/// extension profiles are dropped, but neither is part of the parsed value (Sources/RTP/RTPPacket.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let packet = try? RTPPacket.parse(bytes) else { return 0 }
    let written = packet.serialize()
    guard written.count == packet.serializedSize else {
        fatalError("RTP serializedSize \(packet.serializedSize) but serialize() wrote \(written.count) bytes")
    }
    let reparsed: RTPPacket
    do {
        reparsed = try RTPPacket.parse(written)
    } catch {
        fatalError("RTP round trip: serialized packet does not parse: \(error)\n\(packet)")
    }
    guard reparsed == packet else { fatalError("RTP round trip changed the packet:\n\(packet)\n\(reparsed)") }
    guard RTPFixedHeader.sequenceNumber(bytes) == packet.sequenceNumber, RTPFixedHeader.ssrc(bytes) == packet.ssrc,
          RTPFixedHeader.timestamp(bytes) == packet.timestamp, RTPFixedHeader.payloadType(bytes) == packet.payloadType,
          RTPFixedHeader.marker(bytes) == packet.marker
    else { fatalError("RTPFixedHeader disagrees with RTPPacket.parse on \(packet)") }
    return 0
}
