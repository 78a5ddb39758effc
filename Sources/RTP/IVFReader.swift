import TandemBase

/// Reads an IVF file: a 32-byte header, then frames each behind a 12-byte header. All fields
/// are little-endian (the libvpx container format).
public struct IVFReader: Sendable {
    public struct FileHeader: Equatable, Sendable {
        /// Codec four-character code, e.g. "VP80".
        public var fourCC: String
        public var width: UInt16
        public var height: UInt16
        /// Time base: timestamps count units of `timebaseNumerator / timebaseDenominator` seconds.
        public var timebaseDenominator: UInt32
        public var timebaseNumerator: UInt32
        /// Frame count as written in the header (writers do not always fill it in).
        public var frameCount: UInt32
    }

    public struct Frame: Equatable, Sendable {
        /// Presentation timestamp in time base units.
        public var timestamp: UInt64
        public var data: [UInt8]
    }

    static let fileHeaderSize = 32
    static let frameHeaderSize = 12

    public let header: FileHeader
    private let bytes: [UInt8]
    private var offset: Int

    public init(_ bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= Self.fileHeaderSize else { throw .truncated(offset: 0, needed: Self.fileHeaderSize) }
        guard bytes[0..<4].elementsEqual("DKIF".utf8) else { throw .invalid("IVF signature is not DKIF") }
        let headerSize = Int(Self.littleEndian(bytes, at: 6, count: 2))
        guard headerSize >= Self.fileHeaderSize, headerSize <= bytes.count else {
            throw .invalid("IVF header size \(headerSize) is out of range")
        }
        header = FileHeader(
            fourCC: String(decoding: bytes[8..<12], as: UTF8.self),
            width: UInt16(Self.littleEndian(bytes, at: 12, count: 2)),
            height: UInt16(Self.littleEndian(bytes, at: 14, count: 2)),
            timebaseDenominator: UInt32(Self.littleEndian(bytes, at: 16, count: 4)),
            timebaseNumerator: UInt32(Self.littleEndian(bytes, at: 20, count: 4)),
            frameCount: UInt32(Self.littleEndian(bytes, at: 24, count: 4)))
        self.bytes = bytes
        offset = headerSize
    }

    /// The next frame, or nil at the end of the file.
    public mutating func nextFrame() throws(WireError) -> Frame? {
        guard offset < bytes.count else { return nil }
        guard bytes.count - offset >= Self.frameHeaderSize else {
            throw .truncated(offset: offset, needed: Self.frameHeaderSize)
        }
        let size = Int(Self.littleEndian(bytes, at: offset, count: 4))
        let timestamp = Self.littleEndian(bytes, at: offset + 4, count: 8)
        let start = offset + Self.frameHeaderSize
        guard size <= bytes.count - start else { throw .truncated(offset: start, needed: size) }
        offset = start + size
        return Frame(timestamp: timestamp, data: Array(bytes[start..<start + size]))
    }

    /// Every remaining frame.
    public mutating func readAllFrames() throws(WireError) -> [Frame] {
        var frames: [Frame] = []
        while let frame = try nextFrame() { frames.append(frame) }
        return frames
    }

    /// Callers check `offset + count <= bytes.count` first.
    private static func littleEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        (0..<count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }
}
