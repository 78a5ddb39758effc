import TandemBase

/// A reception report block (RFC 3550 §6.4.1), 24 bytes.
public struct RTCPReportBlock: Equatable, Sendable {
    public static let size = 24

    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, as a fixed-point number over 256.
    public var fractionLost: UInt8
    /// Cumulative packets lost: a signed 24-bit value (duplicates can make it negative).
    public var cumulativeLost: Int32
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in timestamp units (RFC 3550 §6.4.1, A.8).
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last sender report received, 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that sender report, in units of 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequenceNumber: UInt32,
        jitter: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = Self.clampedCumulativeLost(Int64(cumulativeLost))
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// RFC 3550 A.3: the cumulative loss saturates at the limits of a signed 24-bit field.
    static func clampedCumulativeLost(_ lost: Int64) -> Int32 {
        Int32(min(max(lost, -0x80_0000), 0x7F_FFFF))
    }

    init(reading reader: inout ByteReader) throws(WireError) {
        ssrc = try reader.readUInt32()
        let lossWord = try reader.readUInt32()
        fractionLost = UInt8(lossWord >> 24)
        // Sign-extend the 24-bit field.
        cumulativeLost = Int32(bitPattern: lossWord << 8) >> 8
        extendedHighestSequenceNumber = try reader.readUInt32()
        jitter = try reader.readUInt32()
        lastSenderReport = try reader.readUInt32()
        delaySinceLastSenderReport = try reader.readUInt32()
    }

    func write(into writer: inout ByteWriter) {
        writer.write(ssrc)
        writer.write(UInt32(fractionLost) << 24 | UInt32(bitPattern: cumulativeLost) & 0x00FF_FFFF)
        writer.write(extendedHighestSequenceNumber)
        writer.write(jitter)
        writer.write(lastSenderReport)
        writer.write(delaySinceLastSenderReport)
    }
}

/// SR: sender report, payload type 200 (RFC 3550 §6.4.1).
public struct RTCPSenderReport: Equatable, Sendable {
    public static let payloadType: UInt8 = 200

    public var ssrc: UInt32
    public var ntpTimestamp: NTPTimestamp
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    /// At most 31 blocks fit one packet (the RC field is 5 bits).
    public var reportBlocks: [RTCPReportBlock]

    public init(
        ssrc: UInt32, ntpTimestamp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
        reportBlocks: [RTCPReportBlock] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
    }

    /// Parses the body after the common header; profile-specific extensions after the report
    /// blocks are ignored (RFC 3550 §6.4.1).
    init(count: UInt8, body: inout ByteReader) throws(WireError) {
        ssrc = try body.readUInt32()
        ntpTimestamp = NTPTimestamp(rawValue: try body.readUInt64())
        rtpTimestamp = try body.readUInt32()
        packetCount = try body.readUInt32()
        octetCount = try body.readUInt32()
        reportBlocks = try RTCPReportBlock.readList(count: count, from: &body)
    }

    var count: UInt8 { UInt8(min(reportBlocks.count, 31)) }

    func writeBody(into writer: inout ByteWriter) {
        writer.write(ssrc)
        writer.write(ntpTimestamp.rawValue)
        writer.write(rtpTimestamp)
        writer.write(packetCount)
        writer.write(octetCount)
        for block in reportBlocks.prefix(Int(count)) { block.write(into: &writer) }
    }
}

/// RR: receiver report, payload type 201 (RFC 3550 §6.4.2).
public struct RTCPReceiverReport: Equatable, Sendable {
    public static let payloadType: UInt8 = 201

    public var ssrc: UInt32
    /// At most 31 blocks fit one packet (the RC field is 5 bits).
    public var reportBlocks: [RTCPReportBlock]

    public init(ssrc: UInt32, reportBlocks: [RTCPReportBlock] = []) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
    }

    init(count: UInt8, body: inout ByteReader) throws(WireError) {
        ssrc = try body.readUInt32()
        reportBlocks = try RTCPReportBlock.readList(count: count, from: &body)
    }

    var count: UInt8 { UInt8(min(reportBlocks.count, 31)) }

    func writeBody(into writer: inout ByteWriter) {
        writer.write(ssrc)
        for block in reportBlocks.prefix(Int(count)) { block.write(into: &writer) }
    }
}

extension RTCPReportBlock {
    static func readList(count: UInt8, from reader: inout ByteReader) throws(WireError) -> [RTCPReportBlock] {
        guard reader.remaining >= Int(count) * size else {
            throw .invalid("RTCP report count \(count) runs past the packet (RFC 3550 §6.4.1)")
        }
        var blocks: [RTCPReportBlock] = []
        blocks.reserveCapacity(Int(count))
        for _ in 0..<count { blocks.append(try RTCPReportBlock(reading: &reader)) }
        return blocks
    }
}
