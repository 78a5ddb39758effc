import CZlib
import Testing
import TandemBase
@testable import Media

@Suite struct PNGWriterTests {
    struct Chunk {
        var type: String
        var data: [UInt8]
    }

    /// Splits a PNG file into chunks, checking the signature and every CRC (PNG spec §5).
    static func chunks(_ file: [UInt8]) throws -> [Chunk] {
        #expect(Array(file.prefix(8)) == PNGWriter.signature)
        var reader = ByteReader(file, from: 8)
        var chunks: [Chunk] = []
        while !reader.isAtEnd {
            let length = Int(try reader.readUInt32())
            let typed = try reader.readBytes(4 + length)
            let crc = try reader.readUInt32()
            #expect(PNGWriter.crc32(typed) == crc)
            chunks.append(Chunk(type: String(decoding: typed.prefix(4), as: UTF8.self), data: Array(typed.dropFirst(4))))
        }
        return chunks
    }

    @Test func crcMatchesTheKnownValue() {
        // The CRC-32 check value of "123456789" (ISO 3309 / ITU-T V.42).
        #expect(PNGWriter.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func writesAFileThatDecodesToTheSamePixels() throws {
        let frame = SyntheticScreen(width: 64, height: 40, content: .shapes).frame(2)
        let file = PNGWriter.png(of: frame)
        let chunks = try Self.chunks(file)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        var header = ByteReader(chunks[0].data)
        #expect(try header.readUInt32() == 64 && header.readUInt32() == 40)
        #expect(header.readRest() == [8, 2, 0, 0, 0])
        // Inflate the image data and compare each RGB sample with the source's BGRA pixel.
        let rowSize = 1 + 64 * 3
        var raw = [UInt8](repeating: 0, count: rowSize * 40)
        var length = UInt(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { output in
            chunks[1].data.withUnsafeBufferPointer { input in
                uncompress(output.baseAddress, &length, input.baseAddress, UInt(input.count))
            }
        }
        #expect(status == Z_OK && length == UInt(raw.count))
        var mismatches = 0
        for y in 0..<40 {
            #expect(raw[y * rowSize] == 0)
            for x in 0..<64 {
                let (blue, green, red, _) = frame.pixel(x: x, y: y)
                let offset = y * rowSize + 1 + x * 3
                if raw[offset] != red || raw[offset + 1] != green || raw[offset + 2] != blue { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}
