/// Reads and rewrites the fields of an RTP fixed header in place, without parsing the rest
/// (RFC 3550 §5.1): for forwarding paths such as an echo that only renumbers a stream.
public enum RTPFixedHeader {
    /// Whether the buffer is long enough for a fixed header and carries version 2.
    public static func isValid(_ packet: [UInt8]) -> Bool {
        packet.count >= RTPPacket.fixedHeaderSize && packet[0] >> 6 == RTPPacket.version
    }

    public static func payloadType(_ packet: [UInt8]) -> UInt8? {
        isValid(packet) ? packet[1] & 0x7F : nil
    }

    public static func marker(_ packet: [UInt8]) -> Bool? {
        isValid(packet) ? packet[1] & 0x80 != 0 : nil
    }

    public static func sequenceNumber(_ packet: [UInt8]) -> UInt16? {
        isValid(packet) ? UInt16(packet[2]) << 8 | UInt16(packet[3]) : nil
    }

    public static func timestamp(_ packet: [UInt8]) -> UInt32? {
        isValid(packet) ? readUInt32(packet, at: 4) : nil
    }

    public static func ssrc(_ packet: [UInt8]) -> UInt32? {
        isValid(packet) ? readUInt32(packet, at: 8) : nil
    }

    /// Rewrites the payload type, keeping the marker bit. Returns false if the header is invalid.
    @discardableResult
    public static func setPayloadType(_ payloadType: UInt8, in packet: inout [UInt8]) -> Bool {
        guard isValid(packet) else { return false }
        packet[1] = packet[1] & 0x80 | payloadType & 0x7F
        return true
    }

    @discardableResult
    public static func setSequenceNumber(_ sequenceNumber: UInt16, in packet: inout [UInt8]) -> Bool {
        guard isValid(packet) else { return false }
        packet[2] = UInt8(truncatingIfNeeded: sequenceNumber >> 8)
        packet[3] = UInt8(truncatingIfNeeded: sequenceNumber)
        return true
    }

    @discardableResult
    public static func setTimestamp(_ timestamp: UInt32, in packet: inout [UInt8]) -> Bool {
        guard isValid(packet) else { return false }
        writeUInt32(timestamp, into: &packet, at: 4)
        return true
    }

    @discardableResult
    public static func setSSRC(_ ssrc: UInt32, in packet: inout [UInt8]) -> Bool {
        guard isValid(packet) else { return false }
        writeUInt32(ssrc, into: &packet, at: 8)
        return true
    }

    private static func readUInt32(_ packet: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(packet[offset + $1]) }
    }

    private static func writeUInt32(_ value: UInt32, into packet: inout [UInt8], at offset: Int) {
        for k in 0..<4 { packet[offset + k] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * k)) }
    }
}
