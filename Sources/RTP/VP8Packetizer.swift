import TandemBase

/// Splits encoded VP8 frames into RTP packets (RFC 7741 §4): one frame per RTP timestamp,
/// S = 1 and PID = 0 on the first packet, the marker bit on the last, a 15-bit picture id
/// that advances by one per frame.
public struct VP8Packetizer: Sendable {
    public let ssrc: UInt32
    public let payloadType: UInt8
    /// Largest RTP payload to produce, payload descriptor included.
    public let maxPayloadSize: Int
    public private(set) var nextSequenceNumber: UInt16
    /// 15 bits.
    public private(set) var nextPictureID: UInt16

    public init(ssrc: UInt32, payloadType: UInt8, firstSequenceNumber: UInt16, firstPictureID: UInt16, maxPayloadSize: Int) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.nextSequenceNumber = firstSequenceNumber
        self.nextPictureID = firstPictureID & 0x7FFF
        self.maxPayloadSize = maxPayloadSize
    }

    /// The packets carrying `frame`, each payload at most `maxPayloadSize` bytes (but always at
    /// least one byte of frame data), split into nearly equal parts. An empty frame yields none.
    public mutating func packetize(frame: [UInt8], rtpTimestamp: UInt32) -> [RTPPacket] {
        guard !frame.isEmpty else { return [] }
        let pictureID = VP8PayloadDescriptor.PictureID.fifteenBit(nextPictureID)
        nextPictureID = (nextPictureID + 1) & 0x7FFF
        let descriptorSize = VP8PayloadDescriptor(startOfPartition: true, pictureID: pictureID).size
        let capacity = max(1, maxPayloadSize - descriptorSize)
        let packetCount = (frame.count + capacity - 1) / capacity
        // Spread the bytes so that packet sizes differ by at most one.
        let (baseSize, larger) = frame.count.quotientAndRemainder(dividingBy: packetCount)
        var packets: [RTPPacket] = []
        packets.reserveCapacity(packetCount)
        var offset = 0
        for index in 0..<packetCount {
            let chunkSize = baseSize + (index < larger ? 1 : 0)
            let descriptor = VP8PayloadDescriptor(startOfPartition: index == 0, pictureID: pictureID)
            var writer = ByteWriter(capacity: descriptorSize + chunkSize)
            descriptor.write(into: &writer)
            writer.write(bytes: frame[offset..<offset + chunkSize])
            offset += chunkSize
            packets.append(RTPPacket(
                marker: index == packetCount - 1, payloadType: payloadType, sequenceNumber: nextSequenceNumber,
                timestamp: rtpTimestamp, ssrc: ssrc, payload: writer.bytes))
            nextSequenceNumber &+= 1
        }
        return packets
    }
}
