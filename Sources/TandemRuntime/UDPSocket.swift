#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import TandemBase

/// A bound UDP socket on an event loop that hands every datagram to `onDatagram` on that loop, and calls
/// `onReadBatchEnd` after each batch of reads, at most `vectorReadCount` datagrams (so the owner does its
/// follow-up work once per batch).
///
/// Receive and send buffers are raised to a few MiB: the 208 KiB default overflows during bulk
/// transfers on loopback and every drop costs a retransmission timeout (environment notes).
///
/// The kernel's cost per datagram (a system call, routing, headers, and on loopback the receiver's
/// delivery too) is most of a bulk data-channel transfer's CPU, so on Linux the socket moves datagrams in
/// bulk: `recvmmsg` reads several per call, and writes wait for `flush`, where they are copied into one
/// buffer and a run of equal-sized datagrams to one destination leaves as one UDP GSO write
/// (`UDP_SEGMENT`), which the kernel cuts into the datagrams.
public final class UDPSocket: Sendable {
    public static let socketBufferBytes = 4 * 1024 * 1024
    /// Datagrams one `recvmmsg` call reads, and such calls per batch of reads.
    static let vectorReadCount = 8
    static let readsPerBatch: UInt = 4
    /// Room for one datagram: larger than the engine's (at most 1200 bytes; other stacks similar).
    /// UDP GRO is not used: its receive buffers (a maximal UDP payload per read) cost more than they
    /// saved: bulk data channel 145 MB/s with it against 175 MB/s without, and +0.6 ms on the connect
    /// benchmark (BENCHMARKS.md).
    static let readSize = 2048
    /// A GSO write carries at most 64 segments (the kernel's UDP_MAX_SEGMENTS) and one UDP payload.
    static let maxSegments = 64
    static let maxSegmentedBytes = 65_000

    public let localAddress: TransportAddress
    private let channel: any Channel
    private let outbox: NIOLoopBoundBox<Outbox>

    private init(localAddress: TransportAddress, channel: any Channel, outbox: NIOLoopBoundBox<Outbox>) {
        self.localAddress = localAddress
        self.channel = channel
        self.outbox = outbox
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
            .channelOption(.datagramVectorReadMessageCount, value: vectorReadCount)
            .channelOption(.maxMessagesPerRead, value: readsPerBatch)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: vectorReadCount * readSize))
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
        let outbox = NIOLoopBoundBox.makeBoxSendingValue(Outbox(segmentation: System.supportsUDPSegmentationOffload), eventLoop: eventLoop)
        let socket = UDPSocket(localAddress: bound, channel: channel, outbox: outbox)
        channel.pipeline.handler(type: DatagramInbound.self).whenSuccess { $0.localAddress = bound }
        return socket
    }

    /// Queues one datagram; `flush` sends what is queued. Errors (unreachable peer, full buffer) are
    /// dropped like UDP loss. Called on the socket's event loop.
    public func send(_ bytes: [UInt8], to remote: TransportAddress, flush: Bool = true) {
        outbox.value.append(bytes, to: remote)
        if flush { self.flush() }
    }

    /// Sends every queued datagram (several per system call with sendmmsg, runs of them with GSO).
    public func flush() {
        let outbox = self.outbox
        outbox.value.write(to: channel) { outbox.value.segmentation = false }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// The datagrams queued since the last flush, on the socket's event loop. A class: a failed GSO write
/// turns `segmentation` off from its promise's callback, which may run inside `write`.
private final class Outbox {
    var datagrams: [(bytes: [UInt8], to: SocketAddress)] = []
    var byteCount = 0
    /// UDP GSO is used; off where the kernel lacks it or once a segmented write failed.
    var segmentation: Bool
    /// The last destination converted (nearly every datagram goes to the same one).
    var lastDestination: (TransportAddress, SocketAddress)?

    init(segmentation: Bool) { self.segmentation = segmentation }

    func append(_ bytes: [UInt8], to remote: TransportAddress) {
        let destination: SocketAddress
        if let (address, converted) = lastDestination, address == remote {
            destination = converted
        } else {
            guard let converted = try? remote.socketAddress else { return }
            lastDestination = (remote, converted)
            destination = converted
        }
        datagrams.append((bytes, destination))
        byteCount += bytes.count
    }

    /// Copies the datagrams into one buffer and writes them as slices of it: one allocation per flush.
    /// A run of datagrams to one destination, all of the first one's size but the last (which may be
    /// shorter), is one write with that segment size when GSO is on. `segmentationFailed` runs if the
    /// kernel refuses such a write (e.g. an interface without checksum offload answers EIO).
    func write(to channel: any Channel, segmentationFailed: @escaping @Sendable () -> Void) {
        guard !datagrams.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: byteCount)
        for datagram in datagrams { buffer.writeBytes(datagram.bytes) }
        var index = 0
        var offset = 0
        while index < datagrams.count {
            let destination = datagrams[index].to
            let size = datagrams[index].bytes.count
            var end = index + 1
            var length = size
            if segmentation {
                while end < datagrams.count, end - index < UDPSocket.maxSegments, datagrams[end].to == destination {
                    let next = datagrams[end].bytes.count
                    guard next <= size, length + next <= UDPSocket.maxSegmentedBytes else { break }
                    length += next
                    end += 1
                    if next < size { break }
                }
            }
            let data = buffer.getSlice(at: offset, length: length)!
            if end - index > 1 {
                let promise = channel.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenFailure { error in
                    if let error = error as? IOError, error.errnoCode == EIO || error.errnoCode == EINVAL { segmentationFailed() }
                }
                let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: size)
                channel.write(AddressedEnvelope(remoteAddress: destination, data: data, metadata: metadata), promise: promise)
            } else {
                channel.write(AddressedEnvelope(remoteAddress: destination, data: data), promise: nil)
            }
            offset += length
            index = end
        }
        channel.flush()
        datagrams.removeAll(keepingCapacity: true)
        byteCount = 0
    }
}

private final class DatagramInbound: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let onDatagram: @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void
    let onReadBatchEnd: @Sendable () -> Void
    var localAddress: TransportAddress?
    /// The last source converted (nearly every datagram comes from the same one).
    private var lastSource: (SocketAddress, TransportAddress)?

    init(onDatagram: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void, onReadBatchEnd: @escaping @Sendable () -> Void) {
        self.onDatagram = onDatagram
        self.onReadBatchEnd = onReadBatchEnd
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let local = localAddress, let from = source(envelope.remoteAddress) else { return }
        onDatagram(Array(envelope.data.readableBytesView), from, local)
        // A batch ends after at most one `recvmmsg` call's worth of datagrams, not only when the socket runs dry:
        // the owner's follow-up work includes SCTP's SACK, and RFC 9260 §6.2 asks for one at least every second
        // packet. Eight is the compromise measured in BENCHMARKS.md (every 2: 116-118 MB/s at 16 ms of CPU per
        // MB; every 8: 150-167 MB/s; only when the socket ran dry, up to 32: 163-169 MB/s but longer bursts
        // between acknowledgements).
        datagramsSinceBatchEnd += 1
        if datagramsSinceBatchEnd == UDPSocket.vectorReadCount { endBatch() }
    }

    private var datagramsSinceBatchEnd = 0

    private func endBatch() {
        datagramsSinceBatchEnd = 0
        onReadBatchEnd()
    }

    private func source(_ address: SocketAddress) -> TransportAddress? {
        if let (known, converted) = lastSource, known == address { return converted }
        guard let converted = TransportAddress(address) else { return nil }
        lastSource = (address, converted)
        return converted
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard datagramsSinceBatchEnd > 0 else { return }
        endBatch()
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
