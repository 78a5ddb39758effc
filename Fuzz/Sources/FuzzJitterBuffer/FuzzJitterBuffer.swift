import MediaTransport
import RTP
import TandemBase

/// The VP8 jitter buffer takes every received video packet. The input is read as records of
/// [sequence number (2 bytes), time step in ms (1 byte), payload length (1 byte, low bit = marker), payload]
/// and fed in order; frames and key-frame requests are drained as they come.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var buffer = VP8JitterBuffer(configuration: .init(maxWait: .milliseconds(100), maxPackets: 64))
    var now = Instant.zero
    var index = 0
    while index + 4 <= bytes.count {
        let sequence = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        now = now + .milliseconds(Int64(bytes[index + 2]))
        let header = bytes[index + 3]
        let end = min(bytes.count, index + 4 + Int(header >> 1))
        let packet = RTPPacket(marker: header & 1 != 0, payloadType: 96, sequenceNumber: sequence,
                               timestamp: UInt32(sequence / 4) &* 3000, ssrc: 1, payload: Array(bytes[index + 4..<end]))
        _ = try? buffer.insert(packet, at: now)
        buffer.handleTimeout(at: now)
        while buffer.pollEvent() != nil {}
        index = end
    }
    return 0
}
