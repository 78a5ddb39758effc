import TandemBase

/// SDES: source description, payload type 202 (RFC 3550 §6.5).
public struct RTCPSourceDescription: Equatable, Sendable {
    public static let payloadType: UInt8 = 202

    /// An SDES item type (RFC 3550 §6.5.1–§6.5.8); 0 is END and never an item.
    public struct ItemType: RawRepresentable, Equatable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let cname = ItemType(rawValue: 1)
        public static let name = ItemType(rawValue: 2)
        public static let email = ItemType(rawValue: 3)
        public static let phone = ItemType(rawValue: 4)
        public static let location = ItemType(rawValue: 5)
        public static let tool = ItemType(rawValue: 6)
        public static let note = ItemType(rawValue: 7)
        public static let privateExtension = ItemType(rawValue: 8)
    }

    public struct Item: Equatable, Sendable {
        public var type: ItemType
        /// At most 255 bytes; longer values are cut when written (the length field is 8 bits).
        public var value: [UInt8]

        public init(type: ItemType, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public init(type: ItemType, text: String) {
            self.init(type: type, value: Array(text.utf8))
        }

        public var text: String { String(decoding: value, as: UTF8.self) }
    }

    public struct Chunk: Equatable, Sendable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        /// The canonical name, the one item every compound packet carries (RFC 3550 §6.5.1).
        public var cname: String? { items.first { $0.type == .cname }?.text }
    }

    /// At most 31 chunks fit one packet (the SC field is 5 bits).
    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    /// A description with just the CNAME of one source.
    public init(ssrc: UInt32, cname: String) {
        self.init(chunks: [Chunk(ssrc: ssrc, items: [Item(type: .cname, text: cname)])])
    }

    /// RFC 3550 §6.5: each chunk is an SSRC, items (type, length, value), then one or more null
    /// octets ending the list and padding the chunk to a 32-bit boundary.
    init(count: UInt8, body: inout ByteReader) throws(WireError) {
        chunks = []
        chunks.reserveCapacity(Int(count))
        for _ in 0..<count {
            let chunkStart = body.offset
            let ssrc = try body.readUInt32()
            var items: [Item] = []
            while true {
                let type = try body.readUInt8()
                if type == 0 { break }
                let length = Int(try body.readUInt8())
                items.append(Item(type: ItemType(rawValue: type), value: try body.readBytes(length)))
            }
            let used = body.offset - chunkStart
            try body.skip((4 - used % 4) % 4)
            chunks.append(Chunk(ssrc: ssrc, items: items))
        }
    }

    var count: UInt8 { UInt8(min(chunks.count, 31)) }

    func writeBody(into writer: inout ByteWriter) {
        for chunk in chunks.prefix(Int(count)) {
            let chunkStart = writer.count
            writer.write(chunk.ssrc)
            for item in chunk.items {
                let value = item.value.prefix(255)
                writer.write(item.type.rawValue)
                writer.write(UInt8(value.count))
                writer.write(bytes: value)
            }
            // The END item, then nulls up to the next 32-bit boundary.
            let used = writer.count - chunkStart + 1
            writer.writeZeros(1 + (4 - used % 4) % 4)
        }
    }
}
