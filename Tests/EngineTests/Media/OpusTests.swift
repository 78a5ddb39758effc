import TandemBase
import Testing
@testable import Media

@Suite struct OpusTests {
    /// Normalised cross-correlation of `b` against `a` at the best lag in 0..<maxLag.
    static func bestCorrelation(_ a: [Int16], _ b: [Int16], maxLag: Int) -> (correlation: Double, lag: Int) {
        var best = (correlation: -1.0, lag: 0)
        for lag in 0..<maxLag {
            var dot = 0.0, energyA = 0.0, energyB = 0.0
            for index in 0..<(a.count - lag) where index + lag < b.count {
                let x = Double(a[index]), y = Double(b[index + lag])
                dot += x * y; energyA += x * x; energyB += y * y
            }
            let correlation = dot / max(1, (energyA * energyB).squareRoot())
            if correlation > best.correlation { best = (correlation, lag) }
        }
        return best
    }

    @Test func toneSurvivesARoundTrip() throws {
        let tone = ToneSource(frequency: 440)
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        var source: [Int16] = [], decoded: [Int16] = []
        for index in 0..<25 {
            let samples = tone.frame(index)
            source += samples
            let packet = try encoder.encode(samples)
            #expect(!packet.isEmpty && packet.count < 200)
            decoded += try decoder.decode(packet)
        }
        #expect(decoded.count == source.count)
        // Skip the first frames while the codec settles; the decoder lags by its look-ahead.
        let (correlation, _) = Self.bestCorrelation(Array(source[9600..<19200]), Array(decoded[9600...]), maxLag: 1000)
        #expect(correlation > 0.95, "correlation \(correlation)")
    }

    @Test func inbandFECRebuildsALostFrame() throws {
        let tone = ToneSource(frequency: 300, amplitude: 0.3)
        let encoder = try OpusEncoder(bitrate: 32_000, inbandFEC: true, expectedLossPercent: 20)
        var packets: [[UInt8]] = []
        var source: [Int16] = []
        for index in 0..<30 {
            source += tone.frame(index)
            packets.append(try encoder.encode(tone.frame(index)))
        }
        func playOut(losing lost: Int, useFEC: Bool) throws -> [Int16] {
            let decoder = try OpusDecoder()
            var output: [Int16] = []
            for (index, packet) in packets.enumerated() {
                if index == lost {
                    output += try decoder.concealLoss(nextPacket: useFEC ? packets[index + 1] : nil)
                } else {
                    output += try decoder.decode(packet)
                }
            }
            return output
        }
        let intact = try playOut(losing: -1, useFEC: false)
        let recovered = try playOut(losing: 20, useFEC: true)
        let concealed = try playOut(losing: 20, useFEC: false)
        #expect(recovered.count == intact.count && concealed.count == intact.count)
        // Compare the lost frame's stretch with what an intact stream played there.
        let range = 20 * 960..<21 * 960
        func error(_ output: [Int16]) -> Double {
            range.reduce(0.0) { $0 + abs(Double(output[$1]) - Double(intact[$1])) } / Double(range.count)
        }
        let fecError = error(recovered), plcError = error(concealed)
        let signal = range.reduce(0.0) { $0 + abs(Double(intact[$1])) } / Double(range.count)
        #expect(fecError < signal * 0.5, "FEC error \(fecError) against signal \(signal)")
        #expect(fecError < plcError, "FEC error \(fecError), PLC error \(plcError)")
    }

    @Test func silenceTurnsIntoDTXPackets() throws {
        let encoder = try OpusEncoder(dtx: true)
        let silence = [Int16](repeating: 0, count: 960)
        var sizes: [Int] = []
        for _ in 0..<30 { sizes.append(try encoder.encode(silence).count) }
        #expect(sizes.suffix(10).allSatisfy { OpusEncoder.isDiscontinuousTransmission([UInt8](repeating: 0, count: $0)) },
                "\(sizes)")
    }

    @Test func refusesAFrameOfTheWrongLength() throws {
        let encoder = try OpusEncoder()
        #expect(throws: OpusError.self) { try encoder.encode([0, 0, 0]) }
        let decoder = try OpusDecoder()
        #expect(throws: OpusError.self) { try decoder.decode([0xFF, 0xFF, 0xFF]) }
    }
}

@Suite struct WAVTests {
    @Test func roundTrips() throws {
        let audio = WAVAudio(sampleRate: 48_000, channels: 2, samples: ToneSource(channels: 2).frame(3))
        let bytes = audio.serialize()
        #expect(bytes.count == 44 + 960 * 2 * 2)
        #expect(Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[36..<40]) == Array("data".utf8))
        #expect(try WAVAudio(parsing: bytes) == audio)
    }

    @Test func skipsUnknownChunks() throws {
        var bytes = WAVAudio(sampleRate: 8000, channels: 1, samples: [1, -2, 3]).serialize()
        // Insert an odd-sized "LIST" chunk (padded to even) before "data".
        bytes.insert(contentsOf: Array("LIST".utf8) + [3, 0, 0, 0, 9, 9, 9, 0], at: 36)
        #expect(try WAVAudio(parsing: bytes).samples == [1, -2, 3])
    }

    @Test(arguments: [[UInt8](), Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8), Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEdata\u{FF}\u{0}\u{0}\u{0}".utf8)])
    func refusesBrokenFiles(bytes: [UInt8]) {
        #expect(throws: (any Error).self) { try WAVAudio(parsing: bytes) }
    }

    @Test func aWAVSourceLoopsFrameByFrame() throws {
        // 1.5 frames of a stereo ramp: frame 1 ends with the file's start again.
        let samples = (0..<1_440 * 2).map { Int16($0 / 2) }
        let source = try WAVSource(WAVAudio(sampleRate: 48_000, channels: 2, samples: samples))
        #expect(source.frame(0) == Array(samples[0..<1_920]))
        #expect(source.frame(1) == Array(samples[1_920...]) + Array(samples[0..<960]))
        #expect(source.frame(1).count == 1_920)
    }

    @Test func aWAVSourceRefusesOtherRatesAndEmptyFiles() {
        #expect(throws: WireError.invalid("the WAV file is 44100 Hz; it must be 48000 Hz")) {
            try WAVSource(WAVAudio(sampleRate: 44_100, channels: 1, samples: [1]))
        }
        #expect(throws: WireError.invalid("the WAV file holds no sample")) {
            try WAVSource(WAVAudio(sampleRate: 48_000, channels: 2, samples: [1]))
        }
    }
}
