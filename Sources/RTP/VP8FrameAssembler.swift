import TandemBase

/// Rebuilds VP8 frames from packets given in sequence order (RFC 7741 §4.4): a frame starts at
/// a payload with S = 1 and PID = 0 and ends at the marker bit. A gap in sequence numbers or a
/// change of timestamp drops the frame being built; reordering is the caller's jitter buffer's job.
public struct VP8FrameAssembler: Sendable {
    private var frame: [UInt8] = []
    private var expected: (sequenceNumber: UInt16, timestamp: UInt32)?

    public init() {}

    /// Adds one packet; returns a frame when this packet completes one.
    public mutating func push(_ packet: RTPPacket) throws(WireError) -> [UInt8]? {
        let (descriptor, offset) = try VP8PayloadDescriptor.parse(packet.payload)
        if descriptor.startsFrame {
            frame.removeAll(keepingCapacity: true)
        } else if let expected, expected != (packet.sequenceNumber, packet.timestamp) {
            self.expected = nil
            return nil
        } else if expected == nil {
            return nil
        }
        frame.append(contentsOf: packet.payload[offset...])
        guard packet.marker else {
            expected = (packet.sequenceNumber &+ 1, packet.timestamp)
            return nil
        }
        expected = nil
        return frame
    }

    /// Whether a complete frame is a key frame: the P bit of the VP8 frame tag is 0 (RFC 7741 §4.3).
    public static func isKeyFrame(_ frame: [UInt8]) -> Bool {
        guard let first = frame.first else { return false }
        return first & 0x01 == 0
    }
}
