import Foundation
import HTTPLite
import MediaPipeline
import NIOCore
import NIOPosix
import PeerConnection
import SDP
import TandemBase
import TandemRuntime

/// The echo-test server (design notes §5, WebRTC Echo Test specification): `POST /offer` takes a JSON
/// `RTCSessionDescriptionInit` offer, answers with one (candidates inside, no trickle), then sends every
/// video frame back to its sender on the same media section with the frame's RTP timestamp, passes the
/// sender's key frame requests about the echo on to it (the server cannot make key frames), reflects audio
/// packets, and echoes every data-channel message on its channel. Each leg has its own loss recovery.
public final class EchoServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var connection = PeerConnection.Options()
        /// Sessions end after this long even if the client never closes (bounded resources).
        public var maximumSessionDuration: Duration = .seconds(600)
        /// Also decode the video the client sends (on the decoding thread) and log what was seen when
        /// the session ends: proof that the client's stream is valid VP8, for interop tests.
        public var decodeVideo = false
        public init() {}
    }

    private let http: HTTPServer
    public var localAddress: SocketAddress { http.localAddress }

    private init(http: HTTPServer) { self.http = http }

    public static func start(options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> EchoServer {
        let http = try await HTTPServer.start(host: options.host, port: options.port, group: group) { request in
            await handle(request, options: options, group: group, log: log)
        }
        return EchoServer(http: http)
    }

    public func close() async { await http.close() }

    private static func handle(_ request: HTTPRequestMessage, options: Options, group: any EventLoopGroup,
                               log: @escaping @Sendable (String) -> Void) async -> HTTPResponseMessage {
        guard request.method == .POST, request.path.split(separator: "?").first == "/offer" else {
            return HTTPResponseMessage(status: .notFound, text: "POST an offer to /offer")
        }
        let offer: SessionDescriptionMessage
        do {
            offer = try JSONDecoder().decode(SessionDescriptionMessage.self, from: Data(request.body))
            guard offer.type == .offer else { return HTTPResponseMessage(status: .badRequest, text: "expected type \"offer\"") }
        } catch {
            return HTTPResponseMessage(status: .badRequest, text: "the body is not an RTCSessionDescriptionInit JSON: \(error)")
        }
        do {
            let connection = try await PeerConnection.create(options: options.connection, group: group)
            do {
                try await connection.setRemoteDescription(offer)
                let negotiated = offer.sdp.contains("m=application") ? try await DataChannelEcho.prepare(connection) : nil
                let answer = try await connection.createAnswer()
                try await connection.setLocalDescription(answer)
                try await connection.gatheringComplete()
                guard let complete = try await connection.localDescription() else { throw PeerError.invalidState("no local description") }
                Task { await echo(on: connection, negotiated: negotiated, options: options, log: log) }
                let body = try JSONEncoder().encode(complete)
                log("answered an offer with \(offer.sdp.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("m=") }.count) media section(s)")
                return HTTPResponseMessage(status: .ok, contentType: "application/json", body: Array(body))
            } catch {
                await connection.close()
                throw error
            }
        } catch {
            log("refused an offer: \(error)")
            return HTTPResponseMessage(status: .badRequest, text: "cannot answer this offer: \(error)")
        }
    }

    /// Reflects media until the connection fails, closes or the session limit passes.
    private static func echo(on connection: PeerConnection, negotiated: DataChannel?, options: Options, log: @escaping @Sendable (String) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await incoming in connection.incomingRTP { connection.send(incoming.packet, mid: incoming.mid) }
            }
            group.addTask {
                if options.decodeVideo {
                    await withTaskExecutorPreference(MediaThreads.decoding) { await echoVideo(on: connection, decoding: true, log: log) }
                } else {
                    await echoVideo(on: connection, decoding: false, log: log)
                }
            }
            group.addTask {
                for await mid in connection.keyframeRequests { connection.requestKeyframe(mid: mid) }
            }
            group.addTask { await DataChannelEcho.serve(connection, negotiated: negotiated, log: log) }
            group.addTask {
                for await state in connection.connectionStates {
                    log("session state \(state.rawValue)")
                    if state == .failed || state == .closed { return }
                }
            }
            group.addTask { try? await Task.sleep(for: options.maximumSessionDuration) }
            await group.next()
            await connection.close()
            group.cancelAll()
        }
    }

    /// Sends every video frame back with its RTP timestamp. A frame after frames the jitter buffer gave
    /// up on may reference them: it is not passed on (the client's decoder could not tell it is damaged)
    /// until the key frame asked for comes. With `decoding`, each frame is decoded too and the outcome
    /// reported to the Peer (a refused frame asks the client for a key frame).
    private static func echoVideo(on connection: PeerConnection, decoding: Bool, log: @escaping @Sendable (String) -> Void) async {
        let playback = decoding ? try? VideoPlayback() : nil
        var size: (width: Int, height: Int)?
        var awaitingKeyframe: Set<String> = []
        let began = ContinuousClock.now
        for await incoming in connection.incomingVideoFrames {
            let frame = incoming.frame
            if frame.isKeyframe { awaitingKeyframe.remove(incoming.mid) } else if frame.followsSkippedFrames { awaitingKeyframe.insert(incoming.mid) }
            if !awaitingKeyframe.contains(incoming.mid) {
                connection.sendVideoFrame(frame.data, rtpTimestamp: frame.rtpTimestamp, isKeyframe: frame.isKeyframe, mid: incoming.mid)
            }
            guard let playback else { continue }
            switch playback.handle(frame, at: Instant.zero + (ContinuousClock.now - began)) {
            case let .shown(picture):
                size = (picture.width, picture.height)
                connection.videoFrameDecoded(mid: incoming.mid, shown: true)
            case .hidden:
                connection.videoFrameDecoded(mid: incoming.mid, shown: true)
            case .refused:
                connection.videoFrameDecoded(mid: incoming.mid, shown: false)
            }
        }
        if let playback {
            let statistics = playback.statistics
            log("decoded \(statistics.framesShown) video frames (\(size.map { "\($0.width)x\($0.height)" } ?? "none")), \(statistics.framesRefused) refused")
        }
    }
}
