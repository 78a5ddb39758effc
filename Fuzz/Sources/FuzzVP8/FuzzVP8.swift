import RTP

/// VP8 payload descriptors (RFC 7741 §4.2) arrive in every video packet. The input is read as
/// length-prefixed RTP payloads: the first is checked for a descriptor round trip, then all of
/// them go through the frame assembler as consecutive packets (low bit of the length = marker).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let (descriptor, offset) = try? VP8PayloadDescriptor.parse(bytes) {
        guard offset <= bytes.count else { fatalError("VP8 payload offset \(offset) past \(bytes.count) bytes") }
        let written = descriptor.serialize()
        guard written.count == descriptor.size else {
            fatalError("VP8 descriptor size \(descriptor.size) but serialize() wrote \(written.count) bytes")
        }
        guard let (reparsed, _) = try? VP8PayloadDescriptor.parse(written), reparsed == descriptor else {
            fatalError("VP8 descriptor round trip failed for \(descriptor)")
        }
    }

    var assembler = VP8FrameAssembler()
    var index = 0
    var sequenceNumber: UInt16 = 0
    while index < bytes.count {
        let header = bytes[index]
        let end = min(bytes.count, index + 1 + Int(header >> 1))
        let packet = RTPPacket(marker: header & 1 != 0, payloadType: 96, sequenceNumber: sequenceNumber,
                               timestamp: 0, ssrc: 1, payload: Array(bytes[index + 1..<end]))
        if let frame = try? assembler.push(packet) { _ = VP8FrameAssembler.isKeyFrame(frame) }
        sequenceNumber &+= 1
        index = end
    }
    return 0
}
