import Foundation
import HTTPLite
import NIOCore
import NIOPosix
import PeerConnection
import SDP
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
                Task { await echo(on: connection, negotiated: negotiated, limit: options.maximumSessionDuration, log: log) }
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
    private static func echo(on connection: PeerConnection, negotiated: DataChannel?, limit: Duration, log: @escaping @Sendable (String) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await incoming in connection.incomingRTP { connection.send(incoming.packet, mid: incoming.mid) }
            }
            group.addTask {
                // A frame after frames the jitter buffer gave up on may reference them: it is not passed on
                // (the client's decoder could not tell it is damaged) until the key frame asked for comes.
                var awaitingKeyframe: Set<String> = []
                for await incoming in connection.incomingVideoFrames {
                    let frame = incoming.frame
                    if frame.isKeyframe { awaitingKeyframe.remove(incoming.mid) } else if frame.followsSkippedFrames { awaitingKeyframe.insert(incoming.mid) }
                    guard !awaitingKeyframe.contains(incoming.mid) else { continue }
                    connection.sendVideoFrame(frame.data, rtpTimestamp: frame.rtpTimestamp, isKeyframe: frame.isKeyframe, mid: incoming.mid)
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
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            await connection.close()
            group.cancelAll()
        }
    }
}
