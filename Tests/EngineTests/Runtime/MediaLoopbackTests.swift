import Media
import MediaPipeline
import PeerConnection
import Synchronization
import TandemBase
import TandemRuntime
import Testing

/// Screen video and voice between two runtime PeerConnections over real UDP on 127.0.0.1, through the
/// media pipeline: capture → VP8 encode (encoding thread) → Peer → socket → Peer → VP8 decode (decoding
/// thread), and an Opus tone the same way.
@Suite struct MediaLoopbackTests {
    static func connectedPair(_ kinds: [MediaKind]) async throws -> (PeerConnection, PeerConnection, [String]) {
        var options = PeerConnection.Options()
        options.interfaces = .addresses([.loopbackV4])
        let offerer = try await PeerConnection.create(options: options)
        let answerer = try await PeerConnection.create(options: options)
        var mids: [String] = []
        for kind in kinds { mids.append(try await offerer.addTransceiver(kind, direction: .sendonly)) }
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await offerer.gatheringComplete()
        try await answerer.setRemoteDescription(try #require(try await offerer.localDescription()))
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await answerer.gatheringComplete()
        try await offerer.setRemoteDescription(try #require(try await answerer.localDescription()))
        try await offerer.connected()
        try await answerer.connected()
        return (offerer, answerer, mids)
    }

    @Test(.timeLimit(.minutes(1))) func screenVideoArrivesDecodedAndSharp() async throws {
        let (offerer, answerer, mids) = try await Self.connectedPair([.video])
        let sources = Mutex<[Int: I420Frame]>([:])
        let lookup: VideoPlayback.ReferenceLookup = { decoded in FrameStamp.read(decoded).flatMap { number in sources.withLock { $0[number] } } }
        let receiving = Task { try await VideoReceiver.run(connection: answerer, mid: mids[0], reference: lookup) }
        var options = VideoSendOptions()
        options.stampFrameNumbers = true
        options.changeDetection = false
        let sent = try await VideoSender.run(source: SyntheticVideoSource(SyntheticScreen(width: 640, height: 360, content: .typing)),
                                             connection: offerer, mid: mids[0], options: options, pictures: 45, onSent: { frame in
            sources.withLock { $0[frame.number] = frame.picture }
        })
        try await Task.sleep(for: .milliseconds(300))
        await offerer.close()
        await answerer.close()
        let seen = try await receiving.value
        #expect(sent.framesSent == 45 && sent.keyframes >= 1, "\(sent)")
        #expect(seen.framesShown >= sent.framesSent - 2, "\(seen.framesShown) of \(sent.framesSent) shown")
        #expect(seen.framesRefused == 0)
        #expect(seen.psnrCount >= seen.framesShown - 2, "pictures matched to their source: \(seen.psnrCount)")
        #expect((seen.psnrMinimum ?? 0) >= 30, "worst PSNR \(seen.psnrMinimum ?? 0) dB")
        #expect(sent.targetBitrates.first == 1_500_000, "the encoder starts from the Peer's estimate: \(sent.targetBitrates)")
    }

    @Test(.timeLimit(.minutes(1))) func anOpusToneArrivesAtItsFrequency() async throws {
        let (offerer, answerer, mids) = try await Self.connectedPair([.audio])
        let receiving = Task { try await AudioReceiver.run(connection: answerer, mid: mids[0]) }
        let sent = try await AudioSender.run(source: ToneSource(frequency: 660), connection: offerer, mid: mids[0], duration: .seconds(2))
        try await Task.sleep(for: .milliseconds(200))
        await offerer.close()
        await answerer.close()
        let heard = try await receiving.value
        #expect(sent.packetsSent == 100)
        #expect(heard.packetsReceived == sent.packetsSent && heard.packetsLost == 0)
        let frequency = try #require(heard.dominantFrequency)
        #expect(abs(frequency - 660) <= 5, "heard \(frequency) Hz")
    }
}
