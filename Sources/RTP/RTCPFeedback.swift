import TandemBase

/// A generic feedback message (RFC 4585 §6.1): transport-layer (RTPFB, payload type 205) or
/// payload-specific (PSFB, 206), identified by FMT, with its feedback control information (FCI).
public struct RTCPFeedback: Equatable, Sendable {
    public enum Kind: UInt8, Equatable, Sendable {
        case transportLayer = 205
        case payloadSpecific = 206
    }

    /// FMT values used here (RFC 4585 §6.2, §6.3; RFC 5104 §4.3.1).
    public enum Format {
        public static let genericNack: UInt8 = 1
        public static let pictureLossIndication: UInt8 = 1
        public static let fullIntraRequest: UInt8 = 4
    }

    public var kind: Kind
    /// 5 bits.
    public var format: UInt8
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// Feedback control information; a multiple of four bytes on the wire (zero-padded if not).
    public var fci: [UInt8]

    public init(kind: Kind, format: UInt8, senderSSRC: UInt32, mediaSSRC: UInt32, fci: [UInt8] = []) {
        self.kind = kind
        self.format = format
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.fci = fci
    }

    init(kind: Kind, format: UInt8, body: inout ByteReader) throws(WireError) {
        self.kind = kind
        self.format = format
        senderSSRC = try body.readUInt32()
        mediaSSRC = try body.readUInt32()
        fci = body.readRest()
    }

    func writeBody(into writer: inout ByteWriter) {
        writer.write(senderSSRC)
        writer.write(mediaSSRC)
        writer.write(bytes: fci)
        writer.writeZeros((4 - fci.count % 4) % 4)
    }
}

// MARK: Generic NACK (RFC 4585 §6.2.1)

/// One Generic NACK FCI entry: a lost packet id and a bitmask of the 16 that follow it.
public struct GenericNackItem: Equatable, Sendable {
    public var packetID: UInt16
    /// Bit i (least significant first) set means packet `packetID + i + 1` is lost too.
    public var lostBitmask: UInt16

    public init(packetID: UInt16, lostBitmask: UInt16) {
        self.packetID = packetID
        self.lostBitmask = lostBitmask
    }

    /// The sequence numbers this entry reports lost, in order.
    public var sequenceNumbers: [UInt16] {
        var numbers = [packetID]
        for bit in 0..<16 where lostBitmask & (1 << bit) != 0 {
            numbers.append(packetID &+ UInt16(bit + 1))
        }
        return numbers
    }

    /// Packs sequence numbers into entries, in the order given: each number within 16 after the
    /// current entry's packet id sets a bit in its mask, any other starts a new entry.
    public static func items(for sequenceNumbers: [UInt16]) -> [GenericNackItem] {
        var items: [GenericNackItem] = []
        for number in sequenceNumbers {
            if let last = items.last {
                let distance = number &- last.packetID
                if distance == 0 { continue }
                if distance <= 16 {
                    items[items.count - 1].lostBitmask |= 1 << (distance - 1)
                    continue
                }
            }
            items.append(GenericNackItem(packetID: number, lostBitmask: 0))
        }
        return items
    }
}

extension RTCPFeedback {
    /// A Generic NACK for the given lost sequence numbers (RFC 4585 §6.2.1).
    public static func genericNack(senderSSRC: UInt32, mediaSSRC: UInt32, lost sequenceNumbers: [UInt16]) -> RTCPFeedback {
        var writer = ByteWriter()
        for item in GenericNackItem.items(for: sequenceNumbers) {
            writer.write(item.packetID)
            writer.write(item.lostBitmask)
        }
        return RTCPFeedback(kind: .transportLayer, format: Format.genericNack, senderSSRC: senderSSRC,
                            mediaSSRC: mediaSSRC, fci: writer.bytes)
    }

    /// The entries of a Generic NACK, or nil if this is not one.
    public var genericNackItems: [GenericNackItem]? {
        guard kind == .transportLayer, format == Format.genericNack else { return nil }
        var reader = ByteReader(fci)
        var items: [GenericNackItem] = []
        items.reserveCapacity(fci.count / 4)
        while reader.remaining >= 4, let pid = try? reader.readUInt16(), let blp = try? reader.readUInt16() {
            items.append(GenericNackItem(packetID: pid, lostBitmask: blp))
        }
        return items
    }

    /// Every sequence number a Generic NACK reports lost, or nil if this is not one.
    public var nackedSequenceNumbers: [UInt16]? {
        genericNackItems?.flatMap(\.sequenceNumbers)
    }
}

// MARK: PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1)

/// One FIR FCI entry: the SSRC asked for a decoder refresh and a command sequence number.
public struct FullIntraRequestEntry: Equatable, Sendable {
    public var ssrc: UInt32
    public var sequenceNumber: UInt8

    public init(ssrc: UInt32, sequenceNumber: UInt8) {
        self.ssrc = ssrc
        self.sequenceNumber = sequenceNumber
    }
}

extension RTCPFeedback {
    /// A Picture Loss Indication: PSFB FMT 1 with no FCI (RFC 4585 §6.3.1).
    public static func pictureLossIndication(senderSSRC: UInt32, mediaSSRC: UInt32) -> RTCPFeedback {
        RTCPFeedback(kind: .payloadSpecific, format: Format.pictureLossIndication, senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
    }

    public var isPictureLossIndication: Bool {
        kind == .payloadSpecific && format == Format.pictureLossIndication
    }

    /// A Full Intra Request: PSFB FMT 4, media SSRC 0, one 8-byte entry per target
    /// (SSRC, sequence number, 24 reserved bits) (RFC 5104 §4.3.1.1).
    public static func fullIntraRequest(senderSSRC: UInt32, entries: [FullIntraRequestEntry]) -> RTCPFeedback {
        var writer = ByteWriter(capacity: entries.count * 8)
        for entry in entries {
            writer.write(entry.ssrc)
            writer.write(entry.sequenceNumber)
            writer.writeUInt24(0)
        }
        return RTCPFeedback(kind: .payloadSpecific, format: Format.fullIntraRequest, senderSSRC: senderSSRC,
                            mediaSSRC: 0, fci: writer.bytes)
    }

    /// The entries of a FIR, or nil if this is not one.
    public var fullIntraRequestEntries: [FullIntraRequestEntry]? {
        guard kind == .payloadSpecific, format == Format.fullIntraRequest else { return nil }
        var reader = ByteReader(fci)
        var entries: [FullIntraRequestEntry] = []
        while reader.remaining >= 8, let ssrc = try? reader.readUInt32(), let seq = try? reader.readUInt8() {
            _ = try? reader.readUInt24()
            entries.append(FullIntraRequestEntry(ssrc: ssrc, sequenceNumber: seq))
        }
        return entries
    }
}
