import Media
import RTP
import TandemRuntime

/// What an audio receive run heard.
public struct AudioReceiveReport: Sendable, Equatable {
    public var packetsReceived = 0
    /// Frames missing from the sequence; each was filled in from the next packet's in-band FEC when it
    /// carries one, else by concealment (RFC 6716 §4.4).
    public var packetsLost = 0
    /// The strongest frequency of the decoded sound (Hz), when enough was heard.
    public var dominantFrequency: Double?
    public var samplesDecoded = 0
}

/// Receives and decodes one Opus track on the decoding thread: packets in sequence order, a single
/// missing frame recovered from the next packet's in-band FEC (RFC 6716 §2.1.7), longer gaps concealed.
@available(macOS 15.0, *)
public enum AudioReceiver {
    /// Runs until the connection's RTP stream ends or the task is cancelled; consumes `incomingRTP`.
    /// At most `analysedSeconds` of sound is kept for the frequency analysis.
    public static func run(connection: PeerConnection, mid: String, channels: Int = 1,
                           analysedSeconds: Int = 1) async throws -> AudioReceiveReport {
        try await withTaskExecutorPreference(MediaThreads.decoding) {
            let decoder = try OpusDecoder(channels: channels)
            var report = AudioReceiveReport()
            var samples: [Int16] = []
            let keep = analysedSeconds * OpusFormat.sampleRate * channels
            var expected: UInt16?
            for await incoming in connection.incomingRTP where incoming.mid == mid {
                let packet = incoming.packet
                report.packetsReceived += 1
                if let expected {
                    let gap = Int(packet.sequenceNumber &- expected)
                    // A packet from before the expected one (reordered or repeated) is too late to play.
                    if gap >= 0x8000 { continue }
                    if gap > 0 {
                        report.packetsLost += gap
                        for missing in 0..<min(gap, 5) {
                            samples.append(contentsOf: try decoder.concealLoss(nextPacket: missing == gap - 1 ? packet.payload : nil))
                        }
                    }
                }
                expected = packet.sequenceNumber &+ 1
                let decoded = try decoder.decode(packet.payload)
                report.samplesDecoded += decoded.count
                samples.append(contentsOf: decoded)
                if samples.count > keep { samples.removeFirst(samples.count - keep) }
            }
            if samples.count >= OpusFormat.sampleRate / 2 * channels {
                report.dominantFrequency = ToneAnalysis.dominantFrequency(samples, sampleRate: OpusFormat.sampleRate)
            }
            return report
        }
    }
}
