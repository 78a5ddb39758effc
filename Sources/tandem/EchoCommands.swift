import ArgumentParser
import EchoPeer
import Foundation
import DTLS
import Media
import TandemBase

struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Run the WebRTC echo-test server: POST /offer, echoes media and data-channel messages back to the sender."
    )

    @Option(help: "Address and port to listen on for POST /offer.")
    var listen = "127.0.0.1:8080"

    @Option(help: "DTLS role taken when answering an actpass offer: client (RFC 8842 default) or server.")
    var dtlsRole: DTLSRoleOption = .client

    @Flag(help: "Gather ICE candidates on every interface, not only loopback.")
    var allInterfaces = false

    @Flag(help: "Also decode the video each client sends and log the frames decoded when its session ends.")
    var decodeVideo = false

    mutating func run() async throws {
        guard let address = TransportAddress(listen) else {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
        }
        var options = EchoServer.Options()
        options.host = address.ip.description
        options.port = Int(address.port)
        options.connection.interfaces = allInterfaces ? .all : .loopback
        options.connection.peer.answererDTLSRole = dtlsRole.role
        options.decodeVideo = decodeVideo
        let server = try await EchoServer.start(options: options) { line in printLine(line) }
        printLine("listening on http://\(listen)")
        try await waitForTermination()
        await server.close()
    }
}

struct EchoClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-client",
        abstract: "Offer to an echo-test server, send VP8 video, an Opus tone and data-channel messages, check the echo and print figures as JSON."
    )

    @Option(help: "The echo server's offer URL.")
    var url = "http://127.0.0.1:8080/offer"

    @Option(help: "How long to send media, in seconds.")
    var seconds: Double = 3

    @Option(help: "Size of the synthetic screen that is encoded and sent, WIDTHxHEIGHT (width at least 320).")
    var size = "640x360"

    @Option(help: "What the synthetic screen shows: \(SyntheticScreen.Content.allCases.map(\.rawValue).joined(separator: ", ")).")
    var content: SyntheticScreen.Content = .scrolling

    @Option(help: "Send the frames of this VP8 IVF file instead of the synthetic screen.")
    var ivf: String?

    @Option(help: "Share this X display (e.g. :0) instead of the synthetic screen, captured live through MIT-SHM.")
    var display: String?

    @Option(help: "With --display: the X screen to share (default: the display's default screen).")
    var screen: Int?

    @Option(help: "Write the last echoed picture to this PNG file.")
    var snapshot: String?

    @Flag(help: "Show the echoed pictures in a window (on $DISPLAY, or --view-display).")
    var view = false

    @Option(help: "The X display for --view.")
    var viewDisplay: String?

    @Flag(help: "Also send an Opus test tone (440 Hz) on an audio section and check its echo.")
    var audio = false

    @Option(help: "With --audio: send this 48 kHz WAV file (looped) instead of the tone.")
    var audioIn: String?

    @Option(help: "With --audio: write the sound that came back (the last 10 s) to this WAV file.")
    var audioOut: String?

    @Flag(help: "Gather ICE candidates on every interface, not only loopback.")
    var allInterfaces = false

    @Option(help: """
        Data channels to open and check, 0–3: echo-ordered, echo-unordered, echo-negotiated (id 100), with text and \
        binary messages of 1 B to 256 KiB (Interop/README.md, data-channel echo protocol).
        """)
    var dataChannels = 0

    @Option(help: "Messages to send on each data channel.")
    var dataChannelMessages = 20

    @Flag(help: "Send no video.")
    var noVideo = false

    mutating func validate() throws {
        guard (0...3).contains(dataChannels), dataChannelMessages > 0 else { throw ValidationError("--data-channels takes 0 to 3 and --data-channel-messages a positive count") }
        guard !noVideo || dataChannels > 0 || audio else { throw ValidationError("--no-video needs --audio or --data-channels") }
        guard audio || (audioIn == nil && audioOut == nil) else { throw ValidationError("--audio-in and --audio-out need --audio") }
        guard let dimensions = Self.dimensions(size), dimensions.width >= FrameStamp.minimumWidth, dimensions.height >= 32 else {
            throw ValidationError("--size takes WIDTHxHEIGHT with a width of at least \(FrameStamp.minimumWidth), e.g. 1280x720")
        }
    }

    static func dimensions(_ text: String) -> (width: Int, height: Int)? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    mutating func run() async throws {
        var options = EchoClient.Options()
        options.url = url
        options.seconds = seconds
        options.connection.interfaces = allInterfaces ? .all : .loopback
        if noVideo {
            options.video = .none
        } else if let display {
            options.video = .display(name: display, screen: screen)
        } else if let ivf {
            guard let data = FileManager.default.contents(atPath: ivf) else { throw ValidationError("cannot read the IVF file \(ivf)") }
            options.video = .ivf(Array(data))
        } else if let dimensions = Self.dimensions(size) {
            options.video = .synthetic(width: dimensions.width, height: dimensions.height, content: content)
        }
        options.audio = audio
        if let audioIn {
            guard let data = FileManager.default.contents(atPath: audioIn) else { throw ValidationError("cannot read the WAV file \(audioIn)") }
            do { options.audioInput = try WAVAudio(parsing: Array(data)) } catch { throw ValidationError("\(audioIn): \(error)") }
        }
        options.audioOutputPath = audioOut
        options.snapshotPath = snapshot
        if view || viewDisplay != nil { options.viewerDisplay = viewDisplay ?? "" }
        options.dataChannels = dataChannels
        options.dataChannelMessages = dataChannelMessages
        let report = try await EchoClient.run(options)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        printLine(String(decoding: try encoder.encode(report), as: UTF8.self))
        if !report.succeeded { throw ExitCode(1) }
    }
}

extension SyntheticScreen.Content: ExpressibleByArgument {}

enum DTLSRoleOption: String, ExpressibleByArgument, CaseIterable {
    case client, server

    var role: DTLSRole { self == .client ? .client : .server }
}

/// Writes a line to standard output at once (no buffering), for scripts waiting on it.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Returns when the process receives SIGINT or SIGTERM.
func waitForTermination() async throws {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .main) }
        let once = OnceFlag()
        for source in sources {
            source.setEventHandler {
                if once.take() {
                    sources.forEach { $0.cancel() }
                    continuation.resume()
                }
            }
            source.resume()
        }
    }
}

private final class OnceFlag: @unchecked Sendable {
    // Only touched on the main dispatch queue.
    private var taken = false
    func take() -> Bool {
        defer { taken = true }
        return !taken
    }
}
