import Media
import MediaPipeline
import PeerConnection
import ScreenCapture
import Synchronization
import TandemRuntime
import Testing

/// A real X display shared end to end: a private Xvfb shows a known desktop, `X11ScreenCapture`
/// captures it through MIT-SHM, the video sender encodes and sends it over UDP on 127.0.0.1, and the
/// other PeerConnection's receiver decodes it; every picture shown is compared with what the display
/// showed.
@Suite(.enabled(if: XvfbServer.executable != nil, Comment(rawValue: XvfbServer.missing)), .serialized)
struct ScreenShareLoopbackTests {
    @Test(.timeLimit(.minutes(1))) func aSharedXDisplayArrivesDecodedAndSharp() async throws {
        let xvfb = try XvfbServer(screens: ["1280x720x24"])
        let client = try X11TestClient(xvfb.display)
        let screen = SyntheticScreen(width: 1280, height: 720, content: .typing)
        client.put(screen.frame(0))
        let (sharer, helper, mids) = try await MediaLoopbackTests.connectedPair([.video])
        // What the display shows, by the number of the picture put on it.
        let shown = Mutex<[UInt32: I420Frame]>([:])
        let psnrs = Mutex<[Double]>([])
        let receiving = Task {
            try await VideoReceiver.run(connection: helper, mid: mids[0], onFrame: { frame in
                guard let source = shown.withLock({ $0[frame.rtpTimestamp] }), let psnr = frame.picture.psnr(against: source) else { return }
                psnrs.withLock { $0.append(psnr) }
            })
        }
        var options = VideoSendOptions()
        options.frameRate = 15
        // A fixed encoder speed: a positive cpu-used adapts to the measured encode time, so the pictures'
        // quality would depend on how busy the machine is.
        options.cpuUsed = -10
        let capture = try X11ScreenCapture(displayName: xvfb.display)
        #expect(capture.usesSharedMemory)
        let display = TypingDisplay(client: client, screen: screen, display: capture)
        let sent = try await VideoSender.run(source: display, connection: sharer, mid: mids[0], options: options, pictures: 30, onSent: { frame in
            shown.withLock { $0[frame.rtpTimestamp] = frame.picture }
        })
        try await Task.sleep(for: .milliseconds(300))
        await sharer.close()
        await helper.close()
        let playback = try await receiving.value
        let measured = psnrs.withLock { $0 }
        #expect(sent.framesSent == 30, "\(sent)")
        print("shared X display, 1280x720: \(playback.framesShown) of \(sent.framesSent) pictures shown, PSNR against the display: worst \(measured.min() ?? 0) dB, median \(measured.sorted()[measured.count / 2]) dB")
        #expect(playback.framesShown >= sent.framesSent - 2 && playback.framesRefused == 0, "\(playback)")
        #expect(measured.count >= playback.framesShown - 2)
        #expect((measured.min() ?? 0) >= 30, "PSNR of the shared display: worst \(measured.min() ?? 0) dB")
        // The captured pictures are the display's: the sender's priming capture saw the first desktop,
        // so the first picture sent is the second one put there.
        let first = try #require(shown.withLock { $0.min { $0.key < $1.key }?.value })
        #expect(first == I420Frame(converting: screen.frame(1)))
    }
}

/// The display as someone types on it: each capture first draws the next picture of the typing
/// desktop on the X server, then captures the screen through `X11ScreenCapture`.
struct TypingDisplay: VideoSource {
    let client: X11TestClient
    let screen: SyntheticScreen
    let display: X11ScreenCapture
    var index = 0

    var width: Int { display.width }
    var height: Int { display.height }

    mutating func capture() throws -> BGRAFrame {
        if index > 0 { client.put(screen.frame(index)) }
        index += 1
        return try display.capture()
    }
}
