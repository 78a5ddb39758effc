import CZlib

/// Writes pictures as PNG files (ISO/IEC 15948 / PNG spec): 8-bit RGB, filter type 0 on every
/// row, the image data compressed with zlib.
public enum PNGWriter {
    /// The eight-byte PNG signature (PNG spec §5.2).
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A PNG file of the picture (alpha is dropped).
    public static func png(of frame: BGRAFrame) -> [UInt8] {
        // Scanlines: a filter-type byte (0, none; PNG spec §9.2) then R, G, B per pixel.
        let rowSize = 1 + frame.width * 3
        var raw = [UInt8](repeating: 0, count: rowSize * frame.height)
        raw.withUnsafeMutableBufferPointer { raw in
            frame.pixels.withUnsafeBufferPointer { pixels in
                for y in 0..<frame.height {
                    var source = y * frame.stride
                    var destination = y * rowSize + 1
                    for _ in 0..<frame.width {
                        raw[destination] = pixels[source + 2]
                        raw[destination + 1] = pixels[source + 1]
                        raw[destination + 2] = pixels[source]
                        source += 4
                        destination += 3
                    }
                }
            }
        }
        var header: [UInt8] = []
        appendUInt32(UInt32(frame.width), to: &header)
        appendUInt32(UInt32(frame.height), to: &header)
        // Bit depth 8, colour type 2 (truecolour), compression 0, filter 0, interlace 0 (PNG spec §11.2.2).
        header += [8, 2, 0, 0, 0]
        var file = signature
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", compress(raw), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// A PNG file of an I420 picture, converted to RGB first.
    public static func png(of frame: I420Frame) -> [UInt8] {
        png(of: BGRAFrame(converting: frame))
    }

    /// CRC-32 as PNG and zlib define it (PNG spec §5.5).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    /// A chunk: length, type, data, CRC over type and data (PNG spec §5.3).
    private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        appendUInt32(UInt32(data.count), to: &file)
        let typed = Array(type.utf8) + data
        file += typed
        appendUInt32(crc32(typed), to: &file)
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// A zlib stream (RFC 1950) of `bytes` at a fast compression level.
    private static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(UInt(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &length, source.baseAddress, UInt(source.count), 1)
            }
        }
        // compress2 only fails for lack of memory or space, and compressBound gives enough space.
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        return Array(output.prefix(Int(length)))
    }
}
