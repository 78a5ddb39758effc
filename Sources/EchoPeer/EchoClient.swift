import Foundation
import HTTPLite
import Media
import MediaPipeline
import NIOCore
import NIOPosix
import PeerConnection
import RTP
import ScreenCapture
import ScreenViewer
import SDP
import Synchronization
import TandemBase
import TandemRuntime

/// The echo-test client: offers, sends its own encoded video (synthetic screen content with numbered
/// pictures, or a VP8 IVF file) and an Opus tone, decodes what comes back and reports what it saw:
/// PSNR of the echoed pictures against their sources, frame rate, freezes, the tone's frequency.
@available(macOS 15.0, *)
public enum EchoClient {
    public enum VideoInput: Sendable {
        /// The synthetic desktop (`SyntheticScreen`), encoded live, every picture stamped with its number.
        case synthetic(width: Int, height: Int, content: SyntheticScreen.Content)
        /// Frames of a VP8 IVF file, sent as they are at the file's rate (no PSNR: no source pictures).
        case ivf([UInt8])
        /// An X display (nil: `$DISPLAY`) captured live, one of its screens (nil: the default one), every
        /// picture stamped with its number.
        case display(name: String?, screen: Int?)
        case none
    }

    public struct Options: Sendable {
        public var url = "http://127.0.0.1:8080/offer"
        public var seconds: Double = 3
        public var video = VideoInput.synthetic(width: 640, height: 360, content: .scrolling)
        /// Send an Opus test tone on an audio section and check it comes back.
        public var audio = false
        public var toneFrequency = 440.0
        /// Send this WAV file (48 kHz, looped) instead of the tone; the echo is then not checked for a frequency.
        public var audioInput: WAVAudio?
        /// Write what came back (the last 10 s) to this WAV file.
        public var audioOutputPath: String?
        public var connection = PeerConnection.Options()
        /// Write the last echoed picture here as PNG.
        public var snapshotPath: String?
        /// Show the echoed pictures in a viewer window on this X display ("" for `$DISPLAY`).
        public var viewerDisplay: String?
        /// Data channels of the echo protocol to open and check (0: none, at most 3), and messages per channel.
        public var dataChannels = 0
        public var dataChannelMessages = 20
        public init() {}
    }

    public static func run(_ options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> EchoClientReport {
        let start = ContinuousClock.now
        let connection = try await PeerConnection.create(options: options.connection, group: group)
        defer { Task { await connection.close() } }
        let sendsVideo = if case .none = options.video { false } else { true }
        let videoMid = sendsVideo ? try await connection.addTransceiver(.video, direction: .sendrecv) : nil
        let audioMid = options.audio ? try await connection.addTransceiver(.audio, direction: .sendrecv) : nil
        let probe = options.dataChannels > 0
            ? try await DataChannelProbe.open(on: connection, channels: options.dataChannels, messagesPerChannel: options.dataChannelMessages)
            : nil
        let duration = Duration.seconds(options.seconds)

        let viewer: ViewerSession? = if let display = options.viewerDisplay {
            try await ViewerSession.open(displayName: display.isEmpty ? nil : display, title: "Tandem echo", width: 960, height: 540)
        } else {
            nil
        }
        defer { viewer?.close() }
        let sent = SentPictures()
        let firstPicture = Mutex<ContinuousClock.Instant?>(nil)
        let lastPicture = Mutex<I420Frame?>(nil)
        let videoReceiver = Task { () -> PlaybackStatistics? in
            guard let videoMid else { return nil }
            return try await VideoReceiver.run(connection: connection, mid: videoMid, reference: { sent.source(of: $0) }, onFrame: { frame in
                firstPicture.withLock { $0 = $0 ?? frame.decodedAt }
                if options.snapshotPath != nil { lastPicture.withLock { $0 = frame.picture } }
                viewer?.show(frame.picture)
            })
        }
        let audioReceiver = Task { () -> AudioReceiveReport? in
            guard let audioMid else { return nil }
            return try await AudioReceiver.run(connection: connection, mid: audioMid, keptSeconds: options.audioOutputPath == nil ? 1 : 10)
        }
        let dataChannelRun = Task { try await probe?.run(timeout: .seconds(max(10, options.seconds * 2))) }
        let audioSource: any AudioSource = try options.audioInput.map { try WAVSource($0) } ?? ToneSource(frequency: options.toneFrequency)
        let audioSender = Task { () -> AudioSendReport? in
            guard let audioMid else { return nil }
            return try await AudioSender.run(source: audioSource, connection: connection, mid: audioMid, duration: duration)
        }
        // The senders start with the session: codecs are set up while the offer, the answer, ICE and DTLS
        // go back and forth, and they begin once the connection is up.
        let videoSender = Task { () -> VideoSendReport? in
            switch options.video {
            case let .synthetic(width, height, content):
                try await sendSynthetic(SyntheticScreen(width: width, height: height, content: content), connection: connection,
                                        mid: videoMid ?? "", duration: duration, sent: sent)
            case let .ivf(file):
                try await sendIVF(file, connection: connection, mid: videoMid ?? "", duration: duration)
            case let .display(name, screen):
                try await sendCaptured(X11ScreenCapture(displayName: name, source: .screen(screen)), connection: connection,
                                       mid: videoMid ?? "", duration: duration, sent: sent)
            case .none:
                nil
            }
        }
        try await negotiate(connection, url: options.url, group: group)
        try await connection.connected()
        let connectedAt = ContinuousClock.now
        let videoSent = try await videoSender.value
        let audioSent = try await audioSender.value
        let dataChannels = try await dataChannelRun.value
        try await Task.sleep(for: .milliseconds(500))  // let the last echoes arrive
        let stats = try await connection.stats()
        await connection.close()
        let playback = try await videoReceiver.value
        let heard = try await audioReceiver.value
        if let path = options.audioOutputPath, let heard {
            let wav = WAVAudio(sampleRate: OpusFormat.sampleRate, channels: 1, samples: heard.kept).serialize()
            guard FileManager.default.createFile(atPath: path, contents: Data(wav)) else { throw EchoClientError.cannotWrite(path) }
        }
        if let path = options.snapshotPath, let picture = lastPicture.withLock({ $0 }) {
            guard FileManager.default.createFile(atPath: path, contents: Data(PNGWriter.png(of: picture))) else {
                throw EchoClientError.cannotWrite(path)
            }
        }

        var report = EchoClientReport(setupMilliseconds: (connectedAt - start).milliseconds, dtlsRole: stats.dtlsRole,
                                      srtpProfile: stats.srtpProfile, roundTripMilliseconds: stats.roundTripTime?.milliseconds,
                                      selectedPair: stats.selectedPair?.description, succeeded: false)
        var worked = true
        if let videoSent, let playback {
            report.estimatedBitrate = stats.availableOutgoingBitrate
            report.transportFeedbackReceived = stats.transportFeedbackReceived
            report.rembReceived = stats.rembReceived
            report.framesSent = videoSent.framesSent
            report.keyFramesSent = videoSent.keyframes
            report.bytesSent = videoSent.bytesSent
            report.keyframeRequests = videoSent.keyframeRequests
            report.framesDecoded = playback.framesShown
            report.framesRefused = playback.framesRefused
            report.framesMatched = playback.psnrCount
            report.psnrMinimum = playback.psnrMinimum
            report.psnrMedian = playback.psnrMedian
            report.framesPerSecond = playback.framesPerSecond
            report.freezes = playback.freezes
            report.longestFreezeMilliseconds = playback.longestGap.milliseconds
            report.firstFrameMilliseconds = firstPicture.withLock { $0 }.map { ($0 - connectedAt).milliseconds }
            worked = playback.framesShown >= max(1, videoSent.framesSent / 3)
            if options.video.numbersPictures { worked = worked && playback.psnrCount > 0 && (playback.psnrMedian ?? 0) >= 25 }
        }
        if let audioSent, let heard {
            report.audioPacketsSent = audioSent.packetsSent
            report.audioPacketsReceived = heard.packetsReceived
            report.audioPacketsLost = heard.packetsLost
            report.audioFrequency = heard.dominantFrequency
            worked = worked && heard.packetsReceived >= audioSent.packetsSent / 2
            if options.audioInput == nil { worked = worked && heard.dominantFrequency.map { abs($0 - options.toneFrequency) <= 10 } == true }
        }
        if let dataChannels {
            report.dataChannelSent = dataChannels.sent
            report.dataChannelEchoed = dataChannels.echoed
            report.dataChannelIntact = dataChannels.intact
            report.serverChannelMessages = dataChannels.serverChannelMessages
            report.serverChannelIntact = dataChannels.serverChannelIntact
            report.serverChannelClosed = dataChannels.serverChannelClosed
            report.clientCloseCompleted = dataChannels.clientCloseCompleted
            worked = worked && dataChannels.intact && dataChannels.echoed == dataChannels.sent && dataChannels.clientCloseCompleted
        }
        report.succeeded = worked
        return report
    }

    /// Offer with every candidate inside (no trickle), `POST` it, apply the answer (echo-test specification).
    static func negotiate(_ connection: PeerConnection, url: String, group: any EventLoopGroup) async throws {
        let offer = try await connection.createOffer()
        try await connection.setLocalDescription(offer)
        try await connection.gatheringComplete()
        guard let complete = try await connection.localDescription() else { throw PeerError.invalidState("no local offer") }
        let response = try await HTTPClient.post(url: url, contentType: "application/json",
                                                 body: Array(try JSONEncoder().encode(complete)), group: group)
        guard response.status == .ok else {
            throw EchoClientError.serverRefused(status: Int(response.status.code), body: String(decoding: response.body, as: UTF8.self))
        }
        try await connection.setRemoteDescription(try JSONDecoder().decode(SessionDescriptionMessage.self, from: Data(response.body)))
    }

    static func sendSynthetic(_ screen: SyntheticScreen, connection: PeerConnection, mid: String, duration: Duration,
                              sent: SentPictures) async throws -> VideoSendReport {
        try await sendCaptured(SyntheticVideoSource(screen), connection: connection, mid: mid, duration: duration, sent: sent)
    }

    /// Encodes and sends `source`'s pictures, numbered, keeping them for the PSNR of their echoes.
    static func sendCaptured<Source: VideoSource>(_ source: sending Source, connection: PeerConnection, mid: String,
                                                  duration: Duration, sent: SentPictures) async throws -> VideoSendReport {
        var options = VideoSendOptions()
        options.stampFrameNumbers = true
        // Every picture counts for the echo's PSNR and frame rate, even when the content pauses.
        options.changeDetection = false
        return try await VideoSender.run(source: source, connection: connection, mid: mid, options: options,
                                         duration: duration, onSent: { frame in sent.record(frame.number, frame.picture) })
    }

    /// Sends the IVF file's frames, looped, at its frame rate.
    static func sendIVF(_ file: [UInt8], connection: PeerConnection, mid: String, duration: Duration) async throws -> VideoSendReport {
        var reader = try IVFReader(file)
        let frames = try reader.readAllFrames()
        guard !frames.isEmpty else { throw WireError.invalid("the IVF file holds no frame") }
        let header = reader.header
        let step = frames.count > 1 ? max(1, Int(frames[1].timestamp - frames[0].timestamp)) : 1
        let interval = Duration.seconds(Double(header.timebaseNumerator) / Double(max(1, header.timebaseDenominator))) * step
        var report = VideoSendReport()
        try await connection.connected()
        let clock = ContinuousClock()
        let begin = clock.now
        var index = 0
        while interval * index < duration {
            try await clock.sleep(until: begin + interval * index)
            let frame = frames[index % frames.count]
            let isKeyframe = VP8FrameAssembler.isKeyFrame(frame.data)
            let rtpTimestamp = UInt32(truncatingIfNeeded: (interval * index).nanoseconds * 9 / 100_000)
            connection.sendVideoFrame(frame.data, rtpTimestamp: rtpTimestamp, isKeyframe: isKeyframe, mid: mid)
            report.framesSent += 1
            report.bytesSent += frame.data.count
            if isKeyframe { report.keyframes += 1 }
            index += 1
        }
        return report
    }
}

extension EchoClient.VideoInput {
    /// Whether the pictures carry their numbers (`FrameStamp`), so echoes can be compared with them.
    var numbersPictures: Bool {
        switch self {
        case .synthetic, .display: true
        case .ivf, .none: false
        }
    }
}

public enum EchoClientError: Error, CustomStringConvertible {
    case serverRefused(status: Int, body: String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case let .serverRefused(status, body): "the echo server answered \(status): \(body)"
        case let .cannotWrite(path): "cannot write \(path)"
        }
    }
}
