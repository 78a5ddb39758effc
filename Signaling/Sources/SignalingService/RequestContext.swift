import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every route and of `/ws`: it carries the peer's address for audit records, address
/// conditions and per-address code limits.
public struct SignalingRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<SignalingRequestContext>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text (`unknown` if the socket has none).
    public var peerAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
