import TandemBase

/// One RTP header extension element (RFC 8285 §4): a local identifier and its value.
public struct RTPHeaderExtension: Equatable, Hashable, Sendable {
    public let id: UInt8
    public let data: [UInt8]

    /// Ids 1–255 and values up to 255 bytes are what the two-byte form can carry (RFC 8285 §4.3);
    /// id 0 is padding and never an element.
    public init(id: UInt8, data: [UInt8]) throws(WireError) {
        guard id >= 1 else { throw .invalid("RTP header extension id 0 is reserved for padding (RFC 8285 §4.3)") }
        guard data.count <= 255 else { throw .invalid("RTP header extension value longer than 255 bytes (RFC 8285 §4.3)") }
        self.id = id
        self.data = data
    }

    /// Whether the one-byte form can carry this element: id 1–14, value 1–16 bytes (RFC 8285 §4.2).
    public var fitsOneByteForm: Bool { (1...14).contains(id) && (1...16).contains(data.count) }
}

/// The RFC 8285 header extension block: "defined by profile" values and the element codecs.
enum RTPHeaderExtensionBlock {
    /// RFC 8285 §4.2.
    static let oneByteProfile: UInt16 = 0xBEDE
    /// RFC 8285 §4.3: 0x100 followed by four application bits, which we write as zero.
    static let twoByteProfile: UInt16 = 0x1000
    static func isTwoByteProfile(_ profile: UInt16) -> Bool { profile & 0xFFF0 == twoByteProfile }

    /// Parses the elements of an extension block body. Profiles other than the RFC 8285 ones
    /// are ignored, as RFC 3550 §5.3.1 allows for extensions a receiver does not understand.
    static func parse(profile: UInt16, body: ArraySlice<UInt8>) throws(WireError) -> [RTPHeaderExtension] {
        if profile == oneByteProfile { return try parseOneByte(body) }
        if isTwoByteProfile(profile) { return try parseTwoByte(body) }
        return []
    }

    /// RFC 8285 §4.2: ID (4 bits) and L (4 bits, length − 1); a zero byte is padding,
    /// ID 15 ends processing of the block.
    private static func parseOneByte(_ body: ArraySlice<UInt8>) throws(WireError) -> [RTPHeaderExtension] {
        var elements: [RTPHeaderExtension] = []
        var index = body.startIndex
        while index < body.endIndex {
            let header = body[index]
            if header == 0 { index += 1; continue }
            let id = header >> 4
            if id == 15 { break }
            let length = Int(header & 0x0F) + 1
            let start = index + 1
            guard start + length <= body.endIndex else {
                throw .invalid("RTP one-byte header extension element runs past the block (RFC 8285 §4.2)")
            }
            elements.append(try RTPHeaderExtension(id: id, data: Array(body[start..<start + length])))
            index = start + length
        }
        return elements
    }

    /// RFC 8285 §4.3: ID (8 bits) and length (8 bits, may be zero); a zero ID byte is padding.
    private static func parseTwoByte(_ body: ArraySlice<UInt8>) throws(WireError) -> [RTPHeaderExtension] {
        var elements: [RTPHeaderExtension] = []
        var index = body.startIndex
        while index < body.endIndex {
            let id = body[index]
            if id == 0 { index += 1; continue }
            guard index + 1 < body.endIndex else {
                throw .invalid("RTP two-byte header extension element has no length byte (RFC 8285 §4.3)")
            }
            let length = Int(body[index + 1])
            let start = index + 2
            guard start + length <= body.endIndex else {
                throw .invalid("RTP two-byte header extension element runs past the block (RFC 8285 §4.3)")
            }
            elements.append(try RTPHeaderExtension(id: id, data: Array(body[start..<start + length])))
            index = start + length
        }
        return elements
    }

    /// Writes profile, length and elements, choosing the one-byte form when every element fits it
    /// (RFC 8285 §4.1), and pads the block to a multiple of four bytes (RFC 3550 §5.3.1).
    static func write(_ elements: [RTPHeaderExtension], into writer: inout ByteWriter) {
        let oneByte = elements.allSatisfy(\.fitsOneByteForm)
        writer.write(oneByte ? oneByteProfile : twoByteProfile)
        let lengthOffset = writer.count
        writer.write(UInt16(0))
        let bodyStart = writer.count
        for element in elements {
            if oneByte {
                writer.write(element.id << 4 | UInt8(element.data.count - 1))
            } else {
                writer.write(element.id)
                writer.write(UInt8(element.data.count))
            }
            writer.write(bytes: element.data)
        }
        let bodyLength = writer.count - bodyStart
        writer.writeZeros((4 - bodyLength % 4) % 4)
        writer.overwrite(UInt16((writer.count - bodyStart) / 4), at: lengthOffset)
    }
}
