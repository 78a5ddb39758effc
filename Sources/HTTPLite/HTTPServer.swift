import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the handler sees it: method, path and the whole body (bodies here are small JSON documents).
public struct HTTPRequestMessage: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

public struct HTTPResponseMessage: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public init(status: HTTPResponseStatus, text: String) {
        self.init(status: status, body: Array((text + "\n").utf8))
    }
}

/// A small HTTP/1.1 server for the echo peer's `POST /offer` endpoint (design notes §5).
///
/// Every response allows any origin (and preflight requests are answered) so that a browser page
/// served elsewhere can post its offer, as the public echo-test servers do.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequestMessage) async -> HTTPResponseMessage

    /// Bodies larger than this are refused with 413: an SDP is a few KiB.
    public static let maximumBodyBytes = 1 << 20

    private let channel: any Channel
    public let localAddress: SocketAddress

    private init(channel: any Channel, localAddress: SocketAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    public static func start(host: String, port: Int, group: any EventLoopGroup, handler: @escaping Handler) async throws -> HTTPServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RequestHandler(handler: handler))
                }
            }
            .bind(host: host, port: port)
            .get()
        guard let address = channel.localAddress else { throw HTTPLiteError.notBound }
        return HTTPServer(channel: channel, localAddress: address)
    }

    public func close() async {
        try? await channel.close()
    }
}

public enum HTTPLiteError: Error, CustomStringConvertible {
    case notBound
    case badURL(String)
    case connectionClosed
    case bodyTooLarge

    public var description: String {
        switch self {
        case .notBound: "the HTTP server did not bind"
        case let .badURL(url): "not an http://host:port/path URL: \(url)"
        case .connectionClosed: "the HTTP connection closed before a complete response"
        case .bodyTooLarge: "the HTTP body exceeds \(HTTPServer.maximumBodyBytes) bytes"
        }
    }
}

private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    // One instance per connection, used only on that connection's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: HTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(handler: @escaping HTTPServer.Handler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(requestHead):
            head = requestHead
            body = []
            tooLarge = false
        case var .body(buffer):
            if body.count + buffer.readableBytes > HTTPServer.maximumBodyBytes {
                tooLarge = true
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if tooLarge {
                respond(context: context, HTTPResponseMessage(status: .payloadTooLarge, text: "request body too large"), keepAlive: false)
                return
            }
            if head.method == .OPTIONS {
                respond(context: context, HTTPResponseMessage(status: .noContent, body: []), keepAlive: keepAlive)
                return
            }
            let request = HTTPRequestMessage(method: head.method, path: head.uri, headers: head.headers, body: body)
            let handler = self.handler
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await handler(request) }.whenSuccess { response in
                let (this, context) = loopBound.value
                this.respond(context: context, response, keepAlive: keepAlive)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, _ response: HTTPResponseMessage, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Access-Control-Allow-Origin", value: "*")
        headers.add(name: "Access-Control-Allow-Methods", value: "POST, GET, OPTIONS")
        headers.add(name: "Access-Control-Allow-Headers", value: "Content-Type")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
