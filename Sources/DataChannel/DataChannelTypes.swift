import TandemBase

/// A data channel's identity inside one Peer. Stable from creation, unlike the SCTP stream id, which
/// a channel created before the DTLS role is known only gets when the association starts (RFC 8832 §6).
public struct DataChannelID: Sendable, Hashable, CustomStringConvertible {
    let value: Int
    public var description: String { "channel#\(value)" }
}

/// What the application asks for when it opens a channel (W3C `RTCDataChannelInit`).
public struct DataChannelOptions: Sendable, Equatable {
    public var ordered = true
    public var reliability = ChannelReliability.reliable
    public var `protocol` = ""
    /// Pre-negotiated channels (`negotiated: true`) skip DCEP; both sides open the same `id` themselves.
    public var negotiated = false
    /// The SCTP stream id; required for negotiated channels, chosen by the engine otherwise.
    public var id: UInt16?
    public var priority: UInt16 = 256

    public init(ordered: Bool = true, reliability: ChannelReliability = .reliable, protocol: String = "",
                negotiated: Bool = false, id: UInt16? = nil) {
        self.ordered = ordered
        self.reliability = reliability
        self.protocol = `protocol`
        self.negotiated = negotiated
        self.id = id
    }
}

/// A channel's description, as the application sees it on both sides.
public struct DataChannelInfo: Sendable, Equatable {
    public var id: DataChannelID
    public var streamID: UInt16?
    public var label: String
    public var options: DataChannelOptions
}

/// `RTCDataChannelState` (W3C webrtc-pc §6.2).
public enum DataChannelState: String, Sendable, Equatable {
    case connecting, open, closing, closed
}

/// One user message; strings and binary travel with different PPIDs (RFC 8831 §6.6).
public enum DataChannelMessage: Sendable, Hashable {
    case string(String)
    case binary([UInt8])

    public var byteCount: Int {
        switch self {
        case let .string(text): text.utf8.count
        case let .binary(bytes): bytes.count
        }
    }
}

public enum DataChannelEvent: Sendable, Equatable {
    /// A channel this side created is open (association up, DCEP OPEN sent, or pre-negotiated).
    case open(DataChannelInfo)
    /// The remote side opened a channel in-band (DATA_CHANNEL_OPEN received, ACK sent).
    case remoteOpened(DataChannelInfo)
    case message(DataChannelID, DataChannelMessage)
    /// The channel's buffered amount fell to or below its low threshold (W3C `bufferedamountlow`).
    case bufferedAmountLow(DataChannelID)
    case closed(DataChannelID)
}

public enum DataChannelError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownChannel(DataChannelID)
    case notOpen(DataChannelID, DataChannelState)
    case messageTooLarge(size: Int, limit: Int)
    case sendBufferFull(limit: Int)
    case invalidOptions(String)
    case noStreamAvailable
    case closed

    public var description: String {
        switch self {
        case let .unknownChannel(id): "no data channel \(id)"
        case let .notOpen(id, state): "data channel \(id) is \(state.rawValue), not open"
        case let .messageTooLarge(size, limit): "a \(size)-byte message exceeds the remote maximum message size of \(limit) bytes (RFC 8841 §6)"
        case let .sendBufferFull(limit): "the send buffer is full (\(limit) bytes); wait for bufferedAmountLow"
        case let .invalidOptions(reason): "invalid data channel options: \(reason)"
        case .noStreamAvailable: "no SCTP stream id is free for a new data channel"
        case .closed: "the SCTP association is closed"
        }
    }
}
