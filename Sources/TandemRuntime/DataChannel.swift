import DataChannel
import NIOCore
import PeerConnection
import SCTP

/// One data channel of a `PeerConnection` (as W3C `RTCDataChannel`): send strings or bytes, read
/// messages as an `AsyncStream`, watch its lifecycle, apply back-pressure with `bufferedAmount`.
public final class DataChannel: Sendable {
    public enum Event: Sendable, Equatable {
        case open
        /// `bufferedAmount` fell to or below the threshold set with `setBufferedAmountLowThreshold`.
        case bufferedAmountLow
        case closed
    }

    public let id: DataChannelID
    public let label: String
    public let options: DataChannelOptions
    /// Every message received, in the order SCTP delivered them; ends when the channel closes.
    public let messages: AsyncStream<DataChannelMessage>
    public let events: AsyncStream<Event>
    private let connection: PeerConnection

    init(info: DataChannelInfo, connection: PeerConnection, sinks: DataChannelSinks) {
        id = info.id
        label = info.label
        options = info.options
        messages = sinks.messages
        events = sinks.events
        self.connection = connection
    }

    public func send(_ text: String) async throws { try await send(.string(text)) }
    public func send(_ bytes: [UInt8]) async throws { try await send(.binary(bytes)) }

    /// Queues one message; throws `PeerError.dataChannel(.sendBufferFull)` when SCTP's send buffer is
    /// full (wait for `.bufferedAmountLow`), or `.messageTooLarge` beyond the peer's `a=max-message-size`.
    public func send(_ message: DataChannelMessage) async throws {
        let id = id
        try await connection.run { try $0.peer.send(message, on: id, at: .now) }
    }

    public func bufferedAmount() async throws -> Int {
        let id = id
        return try await connection.run { $0.peer.bufferedAmount(of: id) }
    }

    public func setBufferedAmountLowThreshold(_ bytes: Int) async throws {
        let id = id
        try await connection.run { $0.peer.setBufferedAmountLowThreshold(bytes, for: id) }
    }

    /// The figures of the SCTP association that carries this channel (and the connection's others).
    public func sctpStatistics() async throws -> SCTPStatistics? {
        try await connection.run { $0.peer.sctpStatistics }
    }

    public func state() async throws -> DataChannelState {
        let id = id
        return try await connection.run { $0.peer.dataChannelState(id) ?? .closed }
    }

    /// Waits until the channel is open; throws if it closes first.
    public func opened() async throws {
        if try await state() == .open { return }
        for await event in events {
            switch event {
            case .open: return
            case .closed: throw DataChannelClosed(label: label)
            case .bufferedAmountLow: continue
            }
        }
        throw DataChannelClosed(label: label)
    }

    /// Closes the channel from this side; `.closed` arrives once the peer has closed its side too.
    public func close() async {
        let id = id
        try? await connection.run { $0.peer.closeDataChannel(id, at: .now) }
    }
}

public struct DataChannelClosed: Error, CustomStringConvertible {
    public var label: String
    public init(label: String) { self.label = label }
    public var description: String { "data channel \"\(label)\" closed" }
}

/// The continuations behind one channel's streams, kept by the connection's loop state.
struct DataChannelSinks: Sendable {
    let messages: AsyncStream<DataChannelMessage>
    let messageSink: AsyncStream<DataChannelMessage>.Continuation
    let events: AsyncStream<DataChannel.Event>
    let eventSink: AsyncStream<DataChannel.Event>.Continuation

    init() {
        // Unbounded: a message SCTP acknowledged must never be dropped here (the application reads at its pace).
        (messages, messageSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    func finish() {
        eventSink.yield(.closed)
        eventSink.finish()
        messageSink.finish()
    }
}
