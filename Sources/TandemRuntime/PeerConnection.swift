import DataChannel
import DTLS
import MediaTransport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PeerConnection
import RTP
import SDP
import TandemBase

/// An RTCPeerConnection-like async API around one sans-IO `Peer` (design notes §2).
///
/// One event loop owns the Peer: sockets deliver datagrams on that loop, timers fire on it, and every
/// public method hops onto it, except reads of state the loop has published (`connected()` once connected,
/// `gatheringComplete()` once complete). The Peer itself never sees a socket, a clock or a thread.
public final class PeerConnection: Sendable {
    public struct Options: Sendable {
        public var peer = PeerConfiguration()
        /// Which local addresses ICE gathers host candidates on (RFC 8445 §5.1.1.1).
        public var interfaces = InterfaceSelection.all
        public init() {}
    }

    public enum InterfaceSelection: Sendable {
        /// Every interface that is up, IPv4 and IPv6 (link-local IPv6 excluded), loopback left out.
        case all
        /// 127.0.0.1 and ::1 only: tests and demos that must not touch any external interface.
        case loopback
        /// Exactly these addresses.
        case addresses([IPAddress])
    }

    public struct IncomingRTP: Sendable {
        public var mid: String
        public var packet: RTPPacket
    }

    public struct IncomingVideoFrame: Sendable {
        public var mid: String
        public var frame: VP8Frame
    }

    private let eventLoop: any EventLoop
    let state: NIOLoopBoundBox<LoopState>
    /// Written on the loop, read by callers on any thread without a hand-off.
    private let published: NIOLockedValueBox<Published>

    /// Local candidates as they are gathered (trickle ICE); the stream ends when gathering completes.
    public let localCandidates: AsyncStream<String>
    public let connectionStates: AsyncStream<PeerConnectionState>
    /// RTP packets of audio sections.
    public let incomingRTP: AsyncStream<IncomingRTP>
    /// Complete VP8 frames with intact references (decode each, then call `videoFrameDecoded`).
    public let incomingVideoFrames: AsyncStream<IncomingVideoFrame>
    /// Mids whose remote receiver asked for a key frame: make the next frame sent there one.
    public let keyframeRequests: AsyncStream<String>
    /// The bandwidth estimate for everything sent (bits per second), as it moves: encoders follow it.
    public let targetBitrates: AsyncStream<Int>
    /// Channels the remote side opened in-band (DCEP, RFC 8832), as W3C's `datachannel` event.
    public let incomingDataChannels: AsyncStream<DataChannel>

    private init(eventLoop: any EventLoop, state: NIOLoopBoundBox<LoopState>, published: NIOLockedValueBox<Published>, streams: Streams) {
        self.eventLoop = eventLoop
        self.state = state
        self.published = published
        self.localCandidates = streams.candidates
        self.connectionStates = streams.states
        self.incomingRTP = streams.rtp
        self.incomingVideoFrames = streams.videoFrames
        self.keyframeRequests = streams.keyframeRequests
        self.targetBitrates = streams.targetBitrates
        self.incomingDataChannels = streams.dataChannels
    }

    /// The process's network thread: by default every PeerConnection of a process is driven by this one
    /// event loop, as a browser drives all its peer connections from one network thread. A Peer's work per
    /// datagram is small, and peers that talk to each other in one process (tests, benchmarks, a helper
    /// with several sessions) then hand nothing across threads. A server with many sessions passes a
    /// larger group to `create`.
    public static let networkThread: any EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    /// Creates the Peer, binds one UDP socket per usable local address and starts the event loop driving.
    public static func create(options: Options = Options(), group: any EventLoopGroup = PeerConnection.networkThread) async throws -> PeerConnection {
        let eventLoop = group.next()
        var configuration = options.peer
        configuration.wallClockAtZero = WallClock.sinceUnixEpoch() - .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds))
        let streams = Streams()
        let published = NIOLockedValueBox(Published())
        let peer = try Peer(configuration: configuration, certificate: DTLSCertificate(), random: SystemRandomNumberGenerator())
        let box = NIOLoopBoundBox.makeBoxSendingValue(LoopState(peer: peer, streams: streams, published: published), eventLoop: eventLoop)
        let connection = PeerConnection(eventLoop: eventLoop, state: box, published: published, streams: streams)
        try await eventLoop.submit { box.value.connection = connection }.get()

        let addresses: [IPAddress] = switch options.interfaces {
        case .all: try NetworkInterfaces.usableAddresses(includeLoopback: false)
        case .loopback: try NetworkInterfaces.usableAddresses(includeLoopback: true).filter(\.isLoopback)
        case let .addresses(list): list
        }
        guard !addresses.isEmpty else { throw RuntimeError.noUsableInterface }
        for ip in addresses {
            // Called on the loop: datagrams go straight into the Peer, whose output is drained once per batch.
            let socket = try await UDPSocket.bind(TransportAddress(ip: ip, port: 0), on: eventLoop, onDatagram: { [weak connection] bytes, from, to in
                connection?.state.value.peer.handleDatagram(bytes, from: from, to: to, at: .now)
            }, onReadBatchEnd: { [weak connection] in
                guard let connection else { return }
                connection.drive(connection.state.value)
            })
            try await eventLoop.submit { connection.state.value.sockets[socket.localAddress] = socket }.get()
        }
        return connection
    }

    // MARK: JSEP

    public func addTransceiver(_ kind: MediaKind, direction: SDPMediaDirection = .sendrecv) async throws -> String {
        try await run { try $0.peer.addTransceiver(kind, direction: direction) }
    }

    /// An offer; with `iceRestart` after the first negotiation, one that restarts ICE (RFC 8445 §9).
    public func createOffer(iceRestart: Bool = false) async throws -> SessionDescriptionMessage {
        try await run { SessionDescriptionMessage(type: .offer, sdp: try $0.peer.createOffer(iceRestart: iceRestart).serialized()) }
    }

    public func createAnswer() async throws -> SessionDescriptionMessage {
        try await run { SessionDescriptionMessage(type: .answer, sdp: try $0.peer.createAnswer().serialized()) }
    }

    public func setLocalDescription(_ description: SessionDescriptionMessage) async throws {
        // Parsed on the caller's thread: the loop is the one thread every connection's datagrams share.
        let (parsed, type) = (try description.parsed(), description.type)
        try await run { state in try state.applyLocal(parsed, type: type) }
    }

    /// Sets the implicit local description (W3C webrtc-pc §4.4.1.5 with no argument): an offer in the
    /// `stable` state, an answer with a remote offer pending, created and applied in one turn of the loop.
    /// Returns the local description as it then stands, with the candidates gathered in that turn (all of
    /// them, and end-of-candidates, when the host candidates were all there is to gather).
    @discardableResult
    public func setLocalDescription() async throws -> SessionDescriptionMessage {
        try await run { state in
            switch state.peer.signalingState {
            case .stable: try state.applyLocal(try state.peer.createOffer(), type: .offer)
            case .haveRemoteOffer: try state.applyLocal(try state.peer.createAnswer(), type: .answer)
            case .haveLocalOffer: throw PeerError.invalidState("an offer is already pending")
            }
            // Gathering on host sockets alone completes at the next deadline, which is now.
            PeerConnection.handleDueTimers(state)
            guard let description = state.currentLocalDescription() else { throw RuntimeError.closed }
            return description
        }
    }

    public func setRemoteDescription(_ description: SessionDescriptionMessage) async throws {
        let (parsed, type) = (try description.parsed(), description.type)  // on the caller's thread, as above
        try await run { try $0.peer.setRemoteDescription(parsed, type: type, at: .now) }
    }

    /// Adds a trickled remote candidate (`candidate:...` SDP value; an empty string means end-of-candidates).
    public func addIceCandidate(_ candidate: String) async throws {
        try await run { try $0.peer.addRemoteCandidate(candidate, at: .now) }
    }

    /// The current local description, including every candidate gathered so far.
    public func localDescription() async throws -> SessionDescriptionMessage? {
        try await run { state in
            guard let (type, description) = state.peer.localDescription else { return nil }
            return SessionDescriptionMessage(type: type, sdp: description.serialized())
        }
    }

    /// Waits until candidate gathering completes (for non-trickle signaling such as `POST /offer`) and
    /// returns the complete local description, every candidate and end-of-candidates in it. Once the loop
    /// has published it, this returns without a hand-off.
    @discardableResult
    public func gatheringComplete() async throws -> SessionDescriptionMessage {
        if let description = published.withLockedValue({ $0.completeLocalDescription }) { return description }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SessionDescriptionMessage, any Error>) in
            onLoop { state in
                if let description = state.completeLocalDescription() {
                    continuation.resume(returning: description)
                } else {
                    state.gatheringWaiters.append(continuation)
                }
            }
        }
    }

    /// Waits for `connected`; throws if the connection fails or closes first, or after `timeout`. Returns
    /// at once, without a hand-off, when the loop has already published `connected`.
    public func connected(timeout: Duration = .seconds(10)) async throws {
        if published.withLockedValue({ $0.connectionState }) == .connected { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            onLoop { [self] state in
                switch state.peer.connectionState {
                case .connected: continuation.resume()
                case .failed, .closed: continuation.resume(throwing: PeerConnectionFailed(reason: state.failureReason ?? "\(state.peer.connectionState)"))
                default: addConnectedWaiter(continuation, timeout: timeout, to: state)
                }
            }
        }
    }

    /// Called on the loop: the waiter is resumed by the next change to connected, failed or closed, or by its timer.
    private func addConnectedWaiter(_ continuation: CheckedContinuation<Void, any Error>, timeout: Duration, to state: LoopState) {
        let id = state.nextWaiterID
        state.nextWaiterID += 1
        let timer = eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [self] in
            guard let waiter = self.state.value.connectedWaiters.removeValue(forKey: id) else { return }
            waiter.continuation.resume(throwing: PeerConnectionTimeout(seconds: timeout))
        }
        state.connectedWaiters[id] = ConnectedWaiter(continuation: continuation, timeout: timer)
    }

    // MARK: Data channels

    /// Creates a data channel (W3C `createDataChannel`); before the first offer, it adds the data-channel
    /// section. Await `opened()` on it before sending.
    public func createDataChannel(label: String, options: DataChannelOptions = DataChannelOptions()) async throws -> DataChannel {
        try await run { state in
            let id = try state.peer.createDataChannel(label: label, options: options, at: .now)
            guard let info = state.peer.dataChannelInfo(id) else { throw RuntimeError.closed }
            return state.makeChannel(info)
        }
    }

    // MARK: Media and stats

    /// The payload type negotiated for `codec` (e.g. "VP8") on `mid`.
    public func payloadType(for codec: String, mid: String) async throws -> UInt8 {
        try await run { try $0.peer.payloadType(for: codec, mid: mid) }
    }

    /// Sends an RTP packet on audio section `mid` (the Peer sets the SSRC and negotiated header extensions).
    public func send(_ packet: RTPPacket, mid: String) {
        onLoop { state in try? state.peer.sendRTP(packet, mid: mid, at: .now) }
    }

    /// Queues an encoded VP8 frame on video section `mid`; the Peer packetizes and paces it. Frames
    /// given before the connection is up are dropped (the encoder's next key frame starts the stream).
    public func sendVideoFrame(_ frame: [UInt8], rtpTimestamp: UInt32, isKeyframe: Bool, mid: String) {
        onLoop { state in
            try? state.peer.sendVideoFrame(frame, rtpTimestamp: rtpTimestamp, isKeyframe: isKeyframe, mid: mid, at: .now)
        }
    }

    /// Asks the remote sender of `mid` for a key frame.
    public func requestKeyframe(mid: String) {
        onLoop { state in try? state.peer.requestKeyframe(mid: mid, at: .now) }
    }

    /// What the decoder made of a frame from `incomingVideoFrames` (false asks the sender for a key frame).
    public func videoFrameDecoded(mid: String, shown: Bool) {
        onLoop { state in state.peer.videoFrameDecoded(mid: mid, shown: shown, at: .now) }
    }

    public func stats() async throws -> PeerStats {
        try await run { $0.peer.stats(at: .now) }
    }

    /// Closes the connection: the Peer's close_notify goes out before the sockets close.
    public func close() async {
        try? await run { $0.peer.close(at: .now) }  // `run` drains the Peer's output to the sockets
        let sockets: [UDPSocket]? = try? await run { state in
            let sockets = Array(state.sockets.values)
            state.sockets = [:]
            state.timer?.cancel()
            state.finishStreams()
            return sockets
        }
        for socket in sockets ?? [] { await socket.close() }
    }

    // MARK: Driving the Peer on its loop

    func onLoop(_ body: @escaping @Sendable (LoopState) -> Void) {
        eventLoop.execute { [self] in
            let state = self.state.value
            body(state)
            drive(state)
        }
    }

    /// Runs `body` on the Peer's loop: directly when the caller already runs there (a task with that loop as
    /// its executor preference), else by handing it to the loop, which costs a thread hand-off each way.
    func run<T: Sendable>(_ body: @escaping @Sendable (LoopState) throws -> T) async throws -> T {
        if eventLoop.inEventLoop {
            let state = self.state.value
            defer { drive(state) }
            return try body(state)
        }
        // A continuation resumed from the loop: no promise and future callbacks as with `submit`. The caller
        // is resumed first, so that its thread wakes while the loop flushes the Peer's output.
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            eventLoop.execute { [self] in
                let state = self.state.value
                continuation.resume(with: Result { try body(state) })
                drive(state)
            }
        }
    }

    /// Drains the Peer's output to sockets (flushed once, so several datagrams leave in one system call)
    /// and streams, handles deadlines that are already due, then re-arms the timer for the next one.
    func drive(_ state: LoopState) {
        var written: [UDPSocket] = []
        repeat {
            while let output = state.peer.pollOutput() {
                switch output {
                case let .transmit(bytes, from, to):
                    guard let socket = state.sockets[from] else { continue }
                    socket.send(bytes, to: to, flush: false)
                    if !written.contains(where: { $0 === socket }) { written.append(socket) }
                case let .event(event):
                    state.dispatch(event)
                }
            }
        } while Self.handleDueTimers(state)
        for socket in written { socket.flush() }
        let next = state.peer.pollTimeout()
        guard next != state.armedDeadline else { return }
        state.timer?.cancel()
        state.armedDeadline = next
        guard let next else { state.timer = nil; return }
        let deadline = NIODeadline.uptimeNanoseconds(UInt64(max(0, next.nanoseconds)))
        state.timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            let state = self.state.value
            state.armedDeadline = nil
            state.peer.handleTimeout(at: .now)
            drive(state)
        }
    }

    /// Handles the Peer's deadline at once when it has already passed (a timer scheduled for it would
    /// only fire on the loop's next turn); true when it did. A few rounds at most, so that a deadline
    /// that keeps falling due cannot hold the loop: the timer takes over from there.
    @discardableResult
    static func handleDueTimers(_ state: LoopState, rounds: Int = 4) -> Bool {
        var handled = false
        for _ in 0..<rounds {
            let now = Instant.now
            guard let next = state.peer.pollTimeout(), next <= now else { break }
            state.peer.handleTimeout(at: now)
            handled = true
        }
        return handled
    }
}

extension Instant {
    /// Now on the event loops' monotonic clock (the origin of every Instant the runtime hands to a Peer).
    static var now: Instant { Instant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds)) }
}

public struct PeerConnectionFailed: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "peer connection failed: \(reason)" }
}

public struct PeerConnectionTimeout: Error, CustomStringConvertible {
    public var seconds: Duration
    public var description: String { "peer connection not connected within \(seconds)" }
}

/// The async streams and their continuations, created before the loop state exists.
private struct Streams: Sendable {
    let candidates: AsyncStream<String>
    let candidateSink: AsyncStream<String>.Continuation
    let states: AsyncStream<PeerConnectionState>
    let stateSink: AsyncStream<PeerConnectionState>.Continuation
    let rtp: AsyncStream<PeerConnection.IncomingRTP>
    let rtpSink: AsyncStream<PeerConnection.IncomingRTP>.Continuation
    let videoFrames: AsyncStream<PeerConnection.IncomingVideoFrame>
    let videoFrameSink: AsyncStream<PeerConnection.IncomingVideoFrame>.Continuation
    let keyframeRequests: AsyncStream<String>
    let keyframeRequestSink: AsyncStream<String>.Continuation
    let targetBitrates: AsyncStream<Int>
    let targetBitrateSink: AsyncStream<Int>.Continuation
    let dataChannels: AsyncStream<DataChannel>
    let dataChannelSink: AsyncStream<DataChannel>.Continuation

    init() {
        (dataChannels, dataChannelSink) = AsyncStream.makeStream()
        (candidates, candidateSink) = AsyncStream.makeStream()
        (states, stateSink) = AsyncStream.makeStream()
        (rtp, rtpSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096))
        // A consumer that falls behind loses the oldest frames (the jitter buffer's order is kept) and
        // sees only the latest estimate; requests fold into one.
        (videoFrames, videoFrameSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
        (keyframeRequests, keyframeRequestSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
        (targetBitrates, targetBitrateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }
}

/// What the loop publishes for callers on other threads.
private struct Published {
    var connectionState = PeerConnectionState.new
    /// The local description once gathering for it is complete; nil again when a new one is set.
    var completeLocalDescription: SessionDescriptionMessage?
}

/// A `connected()` caller and the timer that ends its wait.
struct ConnectedWaiter {
    var continuation: CheckedContinuation<Void, any Error>
    var timeout: Scheduled<Void>
}

/// Everything the event loop owns for one connection.
final class LoopState {
    let peer: Peer
    fileprivate let streams: Streams
    fileprivate let published: NIOLockedValueBox<Published>
    /// Set once, right after creation; channels hold the connection to reach the loop.
    weak var connection: PeerConnection?
    var channelSinks: [DataChannelID: DataChannelSinks] = [:]
    var sockets: [TransportAddress: UDPSocket] = [:]
    var timer: Scheduled<Void>?
    var armedDeadline: Instant?
    /// The complete local description, serialised once per gathering (see `completeLocalDescription()`).
    var completeDescription: SessionDescriptionMessage?
    var gatheringWaiters: [CheckedContinuation<SessionDescriptionMessage, any Error>] = []
    var connectedWaiters: [Int: ConnectedWaiter] = [:]
    var nextWaiterID = 0
    var failureReason: String?

    fileprivate init(peer: Peer, streams: Streams, published: NIOLockedValueBox<Published>) {
        self.peer = peer
        self.streams = streams
        self.published = published
    }

    /// Applies a local description; gathering starts here (JSEP §5.2.2): the Peer gets the sockets it may use.
    func applyLocal(_ description: SessionDescription, type: SDPType) throws {
        completeDescription = nil
        published.withLockedValue { $0.completeLocalDescription = nil }
        try peer.setLocalDescription(description, type: type, at: .now)
        for address in sockets.keys.sorted(by: { $0.description < $1.description }) {
            peer.addLocalSocket(address, at: .now)
        }
    }

    /// The local description with the candidates gathered so far.
    func currentLocalDescription() -> SessionDescriptionMessage? {
        if let completeDescription { return completeDescription }
        guard let (type, description) = peer.localDescription else { return nil }
        let message = SessionDescriptionMessage(type: type, sdp: description.serialized())
        if peer.gatheringComplete { publishComplete(message) }
        return message
    }

    /// The local description once gathering is complete, nil before.
    func completeLocalDescription() -> SessionDescriptionMessage? {
        peer.gatheringComplete ? currentLocalDescription() : nil
    }

    private func publishComplete(_ message: SessionDescriptionMessage) {
        completeDescription = message
        published.withLockedValue { $0.completeLocalDescription = message }
    }

    func dispatch(_ event: PeerEvent) {
        switch event {
        case let .localCandidate(candidate):
            streams.candidateSink.yield(candidate)
        case .gatheringComplete:
            streams.candidateSink.finish()
            guard !gatheringWaiters.isEmpty, let description = completeLocalDescription() else { return }
            gatheringWaiters.forEach { $0.resume(returning: description) }
            gatheringWaiters = []
        case .iceConnectionStateChanged:
            break
        case let .connectionStateChanged(newState):
            published.withLockedValue { $0.connectionState = newState }
            streams.stateSink.yield(newState)
            switch newState {
            case .connected: resolveConnectedWaiters(with: nil)
            case .failed, .closed: resolveConnectedWaiters(with: PeerConnectionFailed(reason: failureReason ?? newState.rawValue))
            default: break
            }
        case let .failure(reason):
            failureReason = reason
        case let .rtp(mid, packet):
            streams.rtpSink.yield(PeerConnection.IncomingRTP(mid: mid, packet: packet))
        case let .videoFrame(mid, frame):
            streams.videoFrameSink.yield(PeerConnection.IncomingVideoFrame(mid: mid, frame: frame))
        case let .keyframeRequested(mid):
            streams.keyframeRequestSink.yield(mid)
        case let .targetBitrateChanged(bitrate):
            streams.targetBitrateSink.yield(bitrate)
        case let .dataChannel(event):
            dispatch(event)
        }
    }

    func makeChannel(_ info: DataChannelInfo) -> DataChannel {
        let sinks = channelSinks[info.id] ?? DataChannelSinks()
        channelSinks[info.id] = sinks
        // The loop state lives only as long as its connection, which every caller holds.
        return DataChannel(info: info, connection: connection!, sinks: sinks)
    }

    private func dispatch(_ event: DataChannelEvent) {
        switch event {
        case let .open(info):
            channelSinks[info.id]?.eventSink.yield(.open)  // the sinks were made with the channel object
        case let .remoteOpened(info):
            let channel = makeChannel(info)
            channelSinks[info.id]?.eventSink.yield(.open)
            streams.dataChannelSink.yield(channel)
        case let .message(id, message):
            channelSinks[id]?.messageSink.yield(message)
        case let .bufferedAmountLow(id):
            channelSinks[id]?.eventSink.yield(.bufferedAmountLow)
        case let .closed(id):
            channelSinks.removeValue(forKey: id)?.finish()
        }
    }

    func resolveConnectedWaiters(with error: (any Error)?) {
        let waiters = connectedWaiters.values
        connectedWaiters = [:]
        for waiter in waiters {
            waiter.timeout.cancel()
            if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume() }
        }
    }

    func finishStreams() {
        streams.candidateSink.finish()
        streams.stateSink.finish()
        streams.rtpSink.finish()
        streams.videoFrameSink.finish()
        streams.keyframeRequestSink.finish()
        streams.targetBitrateSink.finish()
        streams.dataChannelSink.finish()
        for sinks in channelSinks.values { sinks.finish() }
        channelSinks = [:]
        gatheringWaiters.forEach { $0.resume(throwing: RuntimeError.closed) }
        gatheringWaiters = []
        resolveConnectedWaiters(with: RuntimeError.closed)
    }
}
