import RTP
import TandemBase

/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
/// §3.1): RTPFB FMT 15. For a run of transport-wide sequence numbers it says which packets
/// arrived and when, as receive deltas in multiples of 250 µs.
///
/// ```
///  base sequence number (16) | packet status count (16)
///  reference time (24, ×64 ms) | feedback packet count (8)
///  packet chunks (16 bits each) … receive deltas (8 or 16 bits each) … zero padding
/// ```
public struct TransportFeedback: Equatable, Sendable {
    /// RTPFB FMT for transport-wide feedback (draft §3.1).
    public static let format: UInt8 = 15
    /// Receive deltas count this many microseconds (draft §3.1.5).
    public static let deltaTick: Duration = .microseconds(250)
    /// The reference time counts this long (draft §3.1).
    public static let referenceTimeUnit: Duration = .milliseconds(64)

    public var baseSequenceNumber: UInt16
    /// 24 bits, in multiples of 64 ms, in the feedback sender's time base.
    public var referenceTime: UInt32
    /// Counts feedback messages, so the media sender can tell that one was lost.
    public var feedbackPacketCount: UInt8
    /// One entry per sequence number from the base: nil when not received, else the receive
    /// delta in 250 µs ticks from the previous received packet (the first from the reference time).
    public var receiveDeltas: [Int16?]

    public init(baseSequenceNumber: UInt16, referenceTime: UInt32, feedbackPacketCount: UInt8, receiveDeltas: [Int16?]) {
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime & 0xFF_FFFF
        self.feedbackPacketCount = feedbackPacketCount
        self.receiveDeltas = receiveDeltas
    }

    /// Packet status symbols (draft §3.1.1): not received, small delta (one byte, 0–255 ticks),
    /// large or negative delta (two bytes, signed).
    enum Symbol: UInt8 {
        case notReceived = 0
        case smallDelta = 1
        case largeDelta = 2

        init(_ delta: Int16?) {
            switch delta {
            case nil: self = .notReceived
            case let delta? where (0...255).contains(delta): self = .smallDelta
            default: self = .largeDelta
            }
        }
    }

    /// Decodes the FCI of an RTPFB FMT 15 message.
    public init(fci: [UInt8]) throws(WireError) {
        var reader = ByteReader(fci)
        baseSequenceNumber = try reader.readUInt16()
        let count = Int(try reader.readUInt16())
        referenceTime = try reader.readUInt24()
        feedbackPacketCount = try reader.readUInt8()
        // Status symbols as runs, so that long runs of lost packets cost one step each.
        var runs: [(symbol: Symbol, count: Int)] = []
        var described = 0
        func add(_ symbol: Symbol, _ count: Int) {
            if let last = runs.last, last.symbol == symbol { runs[runs.count - 1].count += count } else { runs.append((symbol, count)) }
            described += count
        }
        while described < count {
            let chunk = try reader.readUInt16()
            let remaining = count - described
            if chunk & 0x8000 == 0 {
                // Run length chunk (draft §3.1.3): symbol in 2 bits, run length in 13.
                guard let symbol = Symbol(rawValue: UInt8(chunk >> 13 & 0x03)) else {
                    throw .invalid("transport feedback run of reserved status symbol 3 (draft-holmer §3.1.3)")
                }
                let run = Int(chunk & 0x1FFF)
                guard run > 0 else { throw .invalid("transport feedback run length 0 (draft-holmer §3.1.3)") }
                add(symbol, min(run, remaining))
            } else if chunk & 0x4000 == 0 {
                // Status vector chunk of 14 one-bit symbols (draft §3.1.4).
                for bit in 0..<min(14, remaining) {
                    add(chunk >> (13 - bit) & 1 == 1 ? .smallDelta : .notReceived, 1)
                }
            } else {
                // Status vector chunk of 7 two-bit symbols.
                for index in 0..<min(7, remaining) {
                    guard let symbol = Symbol(rawValue: UInt8(chunk >> (12 - 2 * index) & 0x03)) else {
                        throw .invalid("transport feedback status symbol 3 is reserved (draft-holmer §3.1.4)")
                    }
                    add(symbol, 1)
                }
            }
        }
        var deltas: [Int16?] = []
        for run in runs {
            switch run.symbol {
            case .notReceived:
                deltas.append(contentsOf: repeatElement(nil, count: run.count))
            case .smallDelta:
                // Each received packet needs at least one byte of delta: check before looping.
                guard reader.remaining >= run.count else { throw .truncated(offset: reader.offset, needed: run.count) }
                for _ in 0..<run.count { deltas.append(Int16(try reader.readUInt8())) }
            case .largeDelta:
                guard reader.remaining >= 2 * run.count else { throw .truncated(offset: reader.offset, needed: 2 * run.count) }
                for _ in 0..<run.count { deltas.append(Int16(bitPattern: try reader.readUInt16())) }
            }
        }
        receiveDeltas = deltas
    }

    /// The FCI bytes, padded to a multiple of four.
    public func serializeFCI() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(baseSequenceNumber)
        writer.write(UInt16(clamping: receiveDeltas.count))
        writer.writeUInt24(referenceTime & 0xFF_FFFF)
        writer.write(feedbackPacketCount)
        let symbols = receiveDeltas.map(Symbol.init)
        var index = 0
        while index < symbols.count {
            let symbol = symbols[index]
            let run = symbols[index...].prefix { $0 == symbol }.prefix(0x1FFF).count
            if run >= 7 {
                writer.write(UInt16(symbol.rawValue) << 13 | UInt16(run))
                index += run
            } else if symbols[index...].prefix(14).allSatisfy({ $0 != .largeDelta }) {
                var chunk: UInt16 = 0x8000
                for (offset, symbol) in symbols[index...].prefix(14).enumerated() where symbol == .smallDelta {
                    chunk |= 1 << (13 - offset)
                }
                writer.write(chunk)
                index += 14
            } else {
                var chunk: UInt16 = 0xC000
                for (offset, symbol) in symbols[index...].prefix(7).enumerated() {
                    chunk |= UInt16(symbol.rawValue) << (12 - 2 * offset)
                }
                writer.write(chunk)
                index += 7
            }
        }
        for delta in receiveDeltas {
            guard let delta else { continue }
            if (0...255).contains(delta) { writer.write(UInt8(delta)) } else { writer.write(UInt16(bitPattern: delta)) }
        }
        writer.writeZeros((4 - writer.count % 4) % 4)
        return writer.bytes
    }

    /// The feedback as an RTCP message.
    public func rtcp(senderSSRC: UInt32, mediaSSRC: UInt32) -> RTCPFeedback {
        RTCPFeedback(kind: .transportLayer, format: Self.format, senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                     fci: serializeFCI())
    }

    /// The transport feedback carried by an RTCP message, nil if it is another kind of feedback.
    public static func from(_ feedback: RTCPFeedback) throws(WireError) -> TransportFeedback? {
        guard feedback.kind == .transportLayer, feedback.format == format else { return nil }
        return try TransportFeedback(fci: feedback.fci)
    }
}

/// The `transport-cc` RTP header extension (draft-holmer §2): a 16-bit transport-wide sequence
/// number shared by every stream of the transport, negotiated by this URI in `a=extmap`.
public enum TransportSequenceNumberExtension {
    public static let uri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

    public static func element(id: UInt8, sequenceNumber: UInt16) throws(WireError) -> RTPHeaderExtension {
        try RTPHeaderExtension(id: id, data: [UInt8(truncatingIfNeeded: sequenceNumber >> 8), UInt8(truncatingIfNeeded: sequenceNumber)])
    }

    /// The transport-wide sequence number in `packet`, if it carries the extension with this id.
    public static func sequenceNumber(in packet: RTPPacket, id: UInt8) -> UInt16? {
        guard let data = packet.extensionData(id: id), data.count == 2 else { return nil }
        return UInt16(data[0]) << 8 | UInt16(data[1])
    }
}
