import NIOCore
import NIOHTTP1
import NIOPosix

/// Just enough of an HTTP/1.1 client to post an offer to an echo server and read the answer.
public enum HTTPClient {
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var body: [UInt8]
    }

    /// Splits `http://host:port/path`; https is not needed for loopback echo tests.
    static func parse(_ url: String) throws -> (host: String, port: Int, path: String) {
        guard url.hasPrefix("http://") else { throw HTTPLiteError.badURL(url) }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = Substring(authority)
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw HTTPLiteError.badURL(url) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw HTTPLiteError.badURL(url) }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]) else { throw HTTPLiteError.badURL(url) }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw HTTPLiteError.badURL(url) }
        return (String(host), port, path.isEmpty ? "/" : String(path))
    }

    public static func post(url: String, contentType: String, body: [UInt8], group: any EventLoopGroup) async throws -> Response {
        let (host, port, path) = try parse(url)
        let promise = group.next().makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.pipeline.addHTTPClientHandlers().flatMap {
                    channel.pipeline.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(host: host, port: port)
            .get()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }
}

private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    // Used only on its channel's event loop.
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPClient.Response>
    private var status: HTTPResponseStatus = .ok
    private var body: [UInt8] = []
    private var completed = false

    init(promise: EventLoopPromise<HTTPClient.Response>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = head.status
        case var .body(buffer):
            if body.count + buffer.readableBytes > HTTPServer.maximumBodyBytes {
                finish(.failure(HTTPLiteError.bodyTooLarge))
                context.close(promise: nil)
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            finish(.success(HTTPClient.Response(status: status, body: body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(HTTPLiteError.connectionClosed))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<HTTPClient.Response, any Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }
}
