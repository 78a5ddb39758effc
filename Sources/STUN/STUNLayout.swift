import TandemBase

/// The validated framing of a raw STUN message: header fields and where each attribute sits.
/// Shared by decoding and by integrity/fingerprint verification, which need raw offsets.
struct STUNLayout {
    struct Entry {
        let type: UInt16
        /// Offset of the attribute's 4-byte header in the message.
        let headerOffset: Int
        let length: Int

        var valueRange: Range<Int> { headerOffset + 4..<headerOffset + 4 + length }

        func decode(_ bytes: [UInt8], transactionID: [UInt8]) throws(STUNError) -> STUNAttribute {
            try STUNAttribute.decode(type: type, value: Array(bytes[valueRange]), transactionID: transactionID)
        }
    }

    let method: STUNMethod
    let messageClass: STUNClass
    let transactionID: [UInt8]
    let entries: [Entry]

    /// RFC 8489 §5: header checks, length a multiple of 4 that matches the datagram, and every
    /// attribute with its padding inside the message (§14).
    init(_ bytes: [UInt8]) throws(STUNError) {
        guard bytes.count >= STUNMessage.headerLength else {
            throw .truncated(needed: STUNMessage.headerLength, available: bytes.count)
        }
        guard STUNMessage.looksLikeSTUN(bytes) else { throw .notSTUN }
        let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard length % 4 == 0 else { throw .badMessageLength(length) }
        let total = STUNMessage.headerLength + length
        guard bytes.count >= total else { throw .truncated(needed: total, available: bytes.count) }
        guard bytes.count == total else { throw .badMessageLength(bytes.count - STUNMessage.headerLength) }
        (method, messageClass) = STUNMessageType.decode(type)
        transactionID = Array(bytes[8..<20])
        var entries: [Entry] = []
        var offset = STUNMessage.headerLength
        while offset < total {
            // offset and total are multiples of 4, so a whole attribute header is always present.
            let attributeType = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let attributeLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let padded = (attributeLength + 3) & ~3
            guard offset + 4 + padded <= total else { throw .attributeOverrun(type: attributeType, offset: offset) }
            entries.append(Entry(type: attributeType, headerOffset: offset, length: attributeLength))
            offset += 4 + padded
        }
        self.entries = entries
    }
}
