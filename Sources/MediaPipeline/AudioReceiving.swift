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
    /// The last `keptSeconds` of decoded sound (interleaved), for a WAV sink.
    public var kept: [Int16] = []
}

/// Receives and decodes one Opus track on the decoding thread: packets in sequence order, a single
/// missing frame recovered from the next packet's in-band FEC (RFC 6716 §2.1.7), longer gaps concealed.
@available(macOS 15.0, *)
public enum AudioReceiver {
    /// Runs until the connection's RTP stream ends or the task is cancelled; consumes `incomingRTP`.
    /// The last `keptSeconds` of sound are kept (the report's `kept`), the last second of them analysed.
    public static func run(connection: PeerConnection, mid: String, channels: Int = 1,
                           keptSeconds: Int = 1) async throws -> AudioReceiveReport {
        try await withTaskExecutorPreference(MediaThreads.decoding) {
            let decoder = try OpusDecoder(channels: channels)
            var report = AudioReceiveReport()
            var samples: [Int16] = []
            let keep = max(1, keptSeconds) * OpusFormat.sampleRate * channels
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
                // Trimmed in halves, so that keeping many seconds does not move them at every packet.
                if samples.count > 2 * keep { samples.removeFirst(samples.count - keep) }
            }
            if samples.count > keep { samples.removeFirst(samples.count - keep) }
            if samples.count >= OpusFormat.sampleRate / 2 * channels {
                let lastSecond = Array(samples.suffix(OpusFormat.sampleRate * channels))
                report.dominantFrequency = ToneAnalysis.dominantFrequency(channels == 1 ? lastSecond : stride(from: 0, to: lastSecond.count, by: channels).map { lastSecond[$0] },
                                                                          sampleRate: OpusFormat.sampleRate)
            }
            report.kept = samples
            return report
        }
    }
}
