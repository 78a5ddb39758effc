import Media
import RTP
import TandemRuntime

/// What an audio send run did.
public struct AudioSendReport: Sendable, Equatable {
    public var packetsSent = 0
    public var bytesSent = 0
}

/// Encodes sound (a test tone, a WAV file) with Opus (48 kHz, 20 ms frames, in-band FEC) and sends it
/// on an audio section, one RTP packet per frame (RFC 7587 §4.2), on the encoding thread. It waits for the
/// connection to be up, so it may start with the session.
@available(macOS 15.0, *)
public enum AudioSender {
    public static func run(source: some AudioSource, connection: PeerConnection, mid: String, duration: Duration,
                           bitrate: Int = 32_000) async throws -> AudioSendReport {
        let payloadType = try await connection.payloadType(for: "opus", mid: mid)
        return try await withTaskExecutorPreference(MediaThreads.encoding) {
            let encoder = try OpusEncoder(channels: source.channels, bitrate: bitrate)
            try await connection.connected(timeout: .seconds(30))
            var report = AudioSendReport()
            let clock = ContinuousClock()
            let start = clock.now
            let frameDuration = Duration.milliseconds(20)
            var sequenceNumber = UInt16.random(in: 0...UInt16.max)
            let firstTimestamp = UInt32.random(in: 0...UInt32.max)
            var index = 0
            while !Task.isCancelled, frameDuration * index < duration {
                do { try await clock.sleep(until: start + frameDuration * index) } catch { break }
                let payload = try encoder.encode(source.frame(index))
                // RFC 7587 §4.1: the timestamp counts 48 kHz samples whatever the coded bandwidth.
                let timestamp = firstTimestamp &+ UInt32(truncatingIfNeeded: index * OpusFormat.frameSize)
                connection.send(RTPPacket(marker: index == 0, payloadType: payloadType, sequenceNumber: sequenceNumber,
                                          timestamp: timestamp, ssrc: 0, payload: payload), mid: mid)
                sequenceNumber &+= 1
                report.packetsSent += 1
                report.bytesSent += payload.count
                index += 1
            }
            return report
        }
    }
}
