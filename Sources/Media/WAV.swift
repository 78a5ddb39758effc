#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TandemBase

/// 16-bit PCM audio in a RIFF/WAVE file (the canonical 44-byte layout: "RIFF", "WAVE", a
/// "fmt " chunk with format 1, a "data" chunk). Fields are little-endian.
public struct WAVAudio: Equatable, Sendable {
    public var sampleRate: Int
    public var channels: Int
    /// Interleaved samples.
    public var samples: [Int16]

    public init(sampleRate: Int, channels: Int, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// Reads a PCM WAV file; chunks other than "fmt " and "data" are skipped.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw .invalid("not a RIFF/WAVE file")
        }
        var offset = 12
        var format: (channels: Int, sampleRate: Int, bitsPerSample: Int, tag: Int)?
        while offset + 8 <= bytes.count {
            let id = bytes[offset..<offset + 4]
            let size = Int(Self.littleEndian(bytes, at: offset + 4, count: 4))
            let body = offset + 8
            guard size <= bytes.count - body else { throw .truncated(offset: body, needed: size) }
            if id.elementsEqual("fmt ".utf8) {
                guard size >= 16 else { throw .invalid("WAV fmt chunk of \(size) bytes, at least 16 needed") }
                format = (Int(Self.littleEndian(bytes, at: body + 2, count: 2)), Int(Self.littleEndian(bytes, at: body + 4, count: 4)),
                          Int(Self.littleEndian(bytes, at: body + 14, count: 2)), Int(Self.littleEndian(bytes, at: body, count: 2)))
            } else if id.elementsEqual("data".utf8) {
                guard let format else { throw .invalid("WAV data chunk before its fmt chunk") }
                guard format.tag == 1, format.bitsPerSample == 16, format.channels > 0 else {
                    throw .invalid("WAV format \(format.tag) with \(format.bitsPerSample) bits: only 16-bit PCM is read")
                }
                var samples = [Int16](repeating: 0, count: size / 2)
                for index in samples.indices {
                    samples[index] = Int16(bitPattern: UInt16(Self.littleEndian(bytes, at: body + index * 2, count: 2)))
                }
                self.init(sampleRate: format.sampleRate, channels: format.channels, samples: samples)
                return
            }
            offset = body + size + size % 2  // RIFF chunks are padded to even sizes.
        }
        throw .invalid("WAV file has no data chunk")
    }

    /// The file's bytes.
    public func serialize() -> [UInt8] {
        let dataSize = samples.count * 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44 + dataSize)
        func append(_ value: Int, _ count: Int) {
            for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
        }
        bytes += Array("RIFF".utf8); append(36 + dataSize, 4); bytes += Array("WAVE".utf8)
        bytes += Array("fmt ".utf8); append(16, 4); append(1, 2); append(channels, 2); append(sampleRate, 4)
        append(sampleRate * channels * 2, 4); append(channels * 2, 2); append(16, 2)
        bytes += Array("data".utf8); append(dataSize, 4)
        for sample in samples { append(Int(sample), 2) }
        return bytes
    }

    /// Callers check `offset + count <= bytes.count` first.
    private static func littleEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt32 {
        (0..<count).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
}

/// A sine tone, deterministic in the frame index: frame n holds samples n·frameSize ..< (n+1)·frameSize.
public struct ToneSource: Sendable {
    public let frequency: Double
    /// Peak amplitude, 0…1 of full scale.
    public let amplitude: Double
    public let sampleRate: Int
    public let channels: Int
    public let frameSize: Int

    public init(frequency: Double = 440, amplitude: Double = 0.5, sampleRate: Int = OpusFormat.sampleRate,
                channels: Int = 1, frameSize: Int = OpusFormat.frameSize) {
        self.frequency = frequency
        self.amplitude = amplitude
        self.sampleRate = sampleRate
        self.channels = channels
        self.frameSize = frameSize
    }

    /// Interleaved samples of frame `index` (the same value on every channel).
    public func frame(_ index: Int) -> [Int16] {
        var samples: [Int16] = []
        samples.reserveCapacity(frameSize * channels)
        for position in index * frameSize..<(index + 1) * frameSize {
            let sample = Int16(amplitude * 32767 * sin(2 * .pi * frequency * Double(position) / Double(sampleRate)))
            for _ in 0..<channels { samples.append(sample) }
        }
        return samples
    }
}
