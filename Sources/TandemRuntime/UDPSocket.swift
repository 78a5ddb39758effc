import NIOCore
import NIOPosix
import TandemBase

/// A bound UDP socket on an event loop that hands every datagram to `onDatagram` on that loop, and calls
/// `onReadBatchEnd` after each batch of reads (so the owner does its follow-up work once per batch).
///
/// Receive and send buffers are raised to a few MiB: the 208 KiB default overflows during bulk
/// transfers on loopback and every drop costs a retransmission timeout (environment notes).
public final class UDPSocket: Sendable {
    public static let socketBufferBytes = 4 * 1024 * 1024

    public let localAddress: TransportAddress
    private let channel: any Channel

    private init(localAddress: TransportAddress, channel: any Channel) {
        self.localAddress = localAddress
        self.channel = channel
    }

    /// Binds `address` (port 0 picks a free one) on `eventLoop`.
    public static func bind(
        _ address: TransportAddress,
        on eventLoop: any EventLoop,
        onDatagram: @escaping @Sendable (_ bytes: [UInt8], _ from: TransportAddress, _ to: TransportAddress) -> Void,
        onReadBatchEnd: @escaping @Sendable () -> Void = {}
    ) async throws -> UDPSocket {
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(socketBufferBytes))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(socketBufferBytes))
            .channelOption(.maxMessagesPerRead, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramInbound(onDatagram: onDatagram, onReadBatchEnd: onReadBatchEnd))
                }
            }
            .bind(to: try address.socketAddress)
            .get()
        guard let bound = channel.localAddress.flatMap(TransportAddress.init) else {
            try? await channel.close()
            throw RuntimeError.bindFailed(address.description)
        }
        let socket = UDPSocket(localAddress: bound, channel: channel)
        channel.pipeline.handler(type: DatagramInbound.self).whenSuccess { $0.localAddress = bound }
        return socket
    }

    /// Queues one datagram; `flush` sends what is queued (several at once with sendmmsg). Errors
    /// (unreachable peer, full buffer) are dropped like UDP loss.
    public func send(_ bytes: [UInt8], to remote: TransportAddress, flush: Bool = true) {
        guard let destination = try? remote.socketAddress else { return }
        let buffer = channel.allocator.buffer(bytes: bytes)
        let envelope = AddressedEnvelope(remoteAddress: destination, data: buffer)
        if flush { channel.writeAndFlush(envelope, promise: nil) } else { channel.write(envelope, promise: nil) }
    }

    public func flush() { channel.flush() }

    public func close() async {
        try? await channel.close()
    }
}

private final class DatagramInbound: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let onDatagram: @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void
    let onReadBatchEnd: @Sendable () -> Void
    var localAddress: TransportAddress?

    init(onDatagram: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void, onReadBatchEnd: @escaping @Sendable () -> Void) {
        self.onDatagram = onDatagram
        self.onReadBatchEnd = onReadBatchEnd
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let local = localAddress, let from = TransportAddress(envelope.remoteAddress) else { return }
        onDatagram(Array(envelope.data.readableBytesView), from, local)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        onReadBatchEnd()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors on a UDP socket (port unreachable) are not fatal for ICE: the check simply fails.
    }
}

public enum RuntimeError: Error, CustomStringConvertible {
    case bindFailed(String)
    case invalidAddress(String)
    case noUsableInterface
    case closed

    public var description: String {
        switch self {
        case let .bindFailed(address): "could not bind a UDP socket on \(address)"
        case let .invalidAddress(address): "not a usable socket address: \(address)"
        case .noUsableInterface: "no usable network interface for ICE host candidates"
        case .closed: "the peer connection is closed"
        }
    }
}
