import TandemBase

/// Where sound to send comes from, one 20 ms frame at a time at 48 kHz (RFC 7587 §4.1): a test tone,
/// a WAV file, later a microphone.
public protocol AudioSource: Sendable {
    var channels: Int { get }
    /// Interleaved samples of frame `index` (`OpusFormat.frameSize` per channel).
    func frame(_ index: Int) -> [Int16]
}

extension ToneSource: AudioSource {}

/// A WAV file played in a loop, frame by frame. It must be 48 kHz (Opus's rate here; no resampling)
/// with one or two channels.
public struct WAVSource: AudioSource {
    public let audio: WAVAudio

    public init(_ audio: WAVAudio) throws(WireError) {
        guard audio.sampleRate == OpusFormat.sampleRate else {
            throw .invalid("the WAV file is \(audio.sampleRate) Hz; it must be \(OpusFormat.sampleRate) Hz")
        }
        guard (1...2).contains(audio.channels) else { throw .invalid("the WAV file has \(audio.channels) channels; 1 or 2 are supported") }
        guard audio.samples.count >= audio.channels else { throw .invalid("the WAV file holds no sample") }
        self.audio = audio
    }

    public var channels: Int { audio.channels }

    public func frame(_ index: Int) -> [Int16] {
        let length = OpusFormat.frameSize * channels
        let total = audio.samples.count - audio.samples.count % channels
        var samples: [Int16] = []
        samples.reserveCapacity(length)
        var position = (index * length) % total
        while samples.count < length {
            let run = min(length - samples.count, total - position)
            samples.append(contentsOf: audio.samples[position..<position + run])
            position = (position + run) % total
        }
        return samples
    }
}
