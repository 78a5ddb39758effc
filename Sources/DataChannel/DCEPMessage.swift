import TandemBase

/// The reliability a data channel asks of SCTP (RFC 8831 §6.1; W3C `maxRetransmits` / `maxPacketLifeTime`).
public enum ChannelReliability: Sendable, Equatable, Hashable {
    case reliable
    /// Give up on a message after this many retransmissions (RFC 3758 "limited retransmissions").
    case maxRetransmits(UInt16)
    /// Give up on a message this long after it was first sent (RFC 3758 "timed reliability").
    case maxPacketLifeTime(Duration)
}

/// The Data Channel Establishment Protocol (RFC 8832 §5), carried with SCTP PPID 50.
public enum DCEPMessage: Sendable, Equatable {
    case open(DCEPOpen)
    case ack

    static let openType: UInt8 = 0x03  // RFC 8832 §8.2.1
    static let ackType: UInt8 = 0x02

    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        switch try reader.readUInt8() {
        case Self.openType: self = .open(try DCEPOpen(reading: &reader))
        case Self.ackType: self = .ack  // RFC 8832 §5.2: one byte; anything after it is ignored
        case let other: throw .invalid("unknown DCEP message type 0x\(String(other, radix: 16))")
        }
    }

    public func serialized() -> [UInt8] {
        switch self {
        case let .open(open): open.serialized()
        case .ack: [Self.ackType]
        }
    }
}

/// DATA_CHANNEL_OPEN (RFC 8832 §5.1).
public struct DCEPOpen: Sendable, Equatable {
    public var ordered: Bool
    public var reliability: ChannelReliability
    /// RFC 8832 §5.1 priority; W3C maps "low" 128, "medium" 256, "high" 512, "very-low" 0… (informational here).
    public var priority: UInt16
    public var label: String
    public var `protocol`: String

    public init(ordered: Bool, reliability: ChannelReliability, priority: UInt16 = 256, label: String, protocol: String) {
        self.ordered = ordered
        self.reliability = reliability
        self.priority = priority
        self.label = label
        self.protocol = `protocol`
    }

    // RFC 8832 §5.1 channel types; the high bit (0x80) marks unordered delivery.
    private static let unorderedBit: UInt8 = 0x80
    private static let reliableType: UInt8 = 0x00
    private static let retransmitType: UInt8 = 0x01
    private static let timedType: UInt8 = 0x02

    init(reading reader: inout ByteReader) throws(WireError) {
        let channelType = try reader.readUInt8()
        priority = try reader.readUInt16()
        let parameter = try reader.readUInt32()
        let labelLength = Int(try reader.readUInt16())
        let protocolLength = Int(try reader.readUInt16())
        ordered = channelType & Self.unorderedBit == 0
        switch channelType & ~Self.unorderedBit {
        // RFC 8832 §5.1: the reliability parameter is ignored for reliable channels.
        case Self.reliableType: reliability = .reliable
        case Self.retransmitType: reliability = .maxRetransmits(UInt16(clamping: parameter))
        case Self.timedType: reliability = .maxPacketLifeTime(.milliseconds(Int64(parameter)))
        default: throw .invalid("unknown DATA_CHANNEL_OPEN channel type 0x\(String(channelType, radix: 16))")
        }
        label = try Self.utf8(try reader.readBytes(labelLength), field: "label")
        `protocol` = try Self.utf8(try reader.readBytes(protocolLength), field: "protocol")
    }

    /// Label and protocol are UTF-8 (RFC 8832 §5.1); invalid sequences are refused rather than repaired.
    private static func utf8(_ bytes: [UInt8], field: String) throws(WireError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalid("DATA_CHANNEL_OPEN \(field) is not valid UTF-8") }
        return text
    }

    public func serialized() -> [UInt8] {
        let labelBytes = Array(label.utf8)
        let protocolBytes = Array(`protocol`.utf8)
        var writer = ByteWriter(capacity: 12 + labelBytes.count + protocolBytes.count)
        let (type, parameter): (UInt8, UInt32) = switch reliability {
        case .reliable: (Self.reliableType, 0)
        case let .maxRetransmits(count): (Self.retransmitType, UInt32(count))
        case let .maxPacketLifeTime(lifetime): (Self.timedType, UInt32(min(max(lifetime.milliseconds, 0), Double(UInt32.max))))
        }
        writer.write(DCEPMessage.openType)
        writer.write(type | (ordered ? 0 : Self.unorderedBit))
        writer.write(priority)
        writer.write(parameter)
        writer.write(UInt16(clamping: labelBytes.count))
        writer.write(UInt16(clamping: protocolBytes.count))
        writer.write(bytes: labelBytes)
        writer.write(bytes: protocolBytes)
        return writer.bytes
    }
}

/// SCTP payload protocol identifiers of WebRTC (RFC 8831 §8, RFC 8832 §8.1).
enum PayloadProtocol {
    static let dcep: UInt32 = 50
    static let string: UInt32 = 51
    static let binary: UInt32 = 53
    static let emptyString: UInt32 = 56
    static let emptyBinary: UInt32 = 57
}
