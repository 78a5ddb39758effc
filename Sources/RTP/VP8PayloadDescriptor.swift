import TandemBase

/// The VP8 payload descriptor that starts every VP8 RTP payload (RFC 7741 §4.2).
///
/// ```
///  X|R|N|S|R|PID     first octet, always present
///  I|L|T|K|RSV       present when X = 1
///  M|PictureID       when I = 1: 7 bits, or 15 bits over two octets when M = 1
///  TL0PICIDX         when L = 1
///  TID|Y|KEYIDX      when T = 1 or K = 1
/// ```
public struct VP8PayloadDescriptor: Equatable, Sendable {
    /// A picture id in its short (7-bit) or long (15-bit) form (RFC 7741 §4.2, M bit).
    public enum PictureID: Equatable, Sendable {
        case sevenBit(UInt8)
        case fifteenBit(UInt16)

        public var value: UInt16 {
            switch self {
            case let .sevenBit(id): UInt16(id & 0x7F)
            case let .fifteenBit(id): id & 0x7FFF
            }
        }
    }

    /// Temporal layer index (TID, 2 bits) and layer sync bit (Y) (RFC 7741 §4.2, T bit).
    public struct TemporalLayer: Equatable, Sendable {
        public var index: UInt8
        public var layerSync: Bool

        public init(index: UInt8, layerSync: Bool) {
            self.index = index
            self.layerSync = layerSync
        }
    }

    /// N: the frame can be discarded without affecting any other frame.
    public var nonReference: Bool
    /// S: the payload starts a VP8 partition.
    public var startOfPartition: Bool
    /// PID: partition index, 3 bits.
    public var partitionIndex: UInt8
    public var pictureID: PictureID?
    /// TL0PICIDX: running index of temporal base layer frames.
    public var tl0PictureIndex: UInt8?
    public var temporalLayer: TemporalLayer?
    /// KEYIDX: 5-bit running index of key frames.
    public var keyIndex: UInt8?

    public init(
        nonReference: Bool = false, startOfPartition: Bool, partitionIndex: UInt8 = 0, pictureID: PictureID? = nil,
        tl0PictureIndex: UInt8? = nil, temporalLayer: TemporalLayer? = nil, keyIndex: UInt8? = nil
    ) {
        self.nonReference = nonReference
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.tl0PictureIndex = tl0PictureIndex
        self.temporalLayer = temporalLayer
        self.keyIndex = keyIndex
    }

    /// Whether this payload begins a frame: S = 1 and PID = 0 (RFC 7741 §4.4).
    public var startsFrame: Bool { startOfPartition && partitionIndex == 0 }

    private var hasExtension: Bool {
        pictureID != nil || tl0PictureIndex != nil || temporalLayer != nil || keyIndex != nil
    }

    /// Encoded size in bytes.
    public var size: Int {
        guard hasExtension else { return 1 }
        var size = 2
        switch pictureID {
        case .sevenBit: size += 1
        case .fifteenBit: size += 2
        case nil: break
        }
        if tl0PictureIndex != nil { size += 1 }
        if temporalLayer != nil || keyIndex != nil { size += 1 }
        return size
    }

    /// Decodes the descriptor at the start of an RTP payload; returns it with the offset of the
    /// VP8 payload that follows (RFC 7741 §4.2).
    public static func parse(_ payload: [UInt8]) throws(WireError) -> (descriptor: VP8PayloadDescriptor, payloadOffset: Int) {
        var reader = ByteReader(payload)
        let first = try reader.readUInt8()
        var descriptor = VP8PayloadDescriptor(
            nonReference: first & 0x20 != 0, startOfPartition: first & 0x10 != 0, partitionIndex: first & 0x07)
        if first & 0x80 != 0 {
            let flags = try reader.readUInt8()
            if flags & 0x80 != 0 {
                let high = try reader.readUInt8()
                if high & 0x80 != 0 {
                    descriptor.pictureID = .fifteenBit(UInt16(high & 0x7F) << 8 | UInt16(try reader.readUInt8()))
                } else {
                    descriptor.pictureID = .sevenBit(high)
                }
            }
            if flags & 0x40 != 0 { descriptor.tl0PictureIndex = try reader.readUInt8() }
            if flags & 0x30 != 0 {
                let layer = try reader.readUInt8()
                if flags & 0x20 != 0 { descriptor.temporalLayer = TemporalLayer(index: layer >> 6, layerSync: layer & 0x20 != 0) }
                if flags & 0x10 != 0 { descriptor.keyIndex = layer & 0x1F }
            }
        }
        return (descriptor, reader.offset)
    }

    /// Appends the encoded descriptor.
    public func write(into writer: inout ByteWriter) {
        var first = partitionIndex & 0x07
        if hasExtension { first |= 0x80 }
        if nonReference { first |= 0x20 }
        if startOfPartition { first |= 0x10 }
        writer.write(first)
        guard hasExtension else { return }
        var flags: UInt8 = 0
        if pictureID != nil { flags |= 0x80 }
        if tl0PictureIndex != nil { flags |= 0x40 }
        if temporalLayer != nil { flags |= 0x20 }
        if keyIndex != nil { flags |= 0x10 }
        writer.write(flags)
        switch pictureID {
        case let .sevenBit(id): writer.write(id & 0x7F)
        case let .fifteenBit(id): writer.write(0x8000 | id & 0x7FFF)
        case nil: break
        }
        if let tl0PictureIndex { writer.write(tl0PictureIndex) }
        if temporalLayer != nil || keyIndex != nil {
            var layer: UInt8 = 0
            if let temporalLayer { layer |= (temporalLayer.index & 0x03) << 6 | (temporalLayer.layerSync ? 0x20 : 0) }
            if let keyIndex { layer |= keyIndex & 0x1F }
            writer.write(layer)
        }
    }

    public func serialize() -> [UInt8] {
        var writer = ByteWriter(capacity: size)
        write(into: &writer)
        return writer.bytes
    }
}
