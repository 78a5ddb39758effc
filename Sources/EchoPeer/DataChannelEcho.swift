import DataChannel
import PeerConnection
import TandemRuntime

/// Sends on a channel without ever dropping a message: when SCTP's send buffer is full, waits for the
/// channel's `bufferedAmountLow` (W3C back-pressure) and tries again.
struct PacedSender {
    let channel: DataChannel
    /// Below this many buffered bytes, sending resumes.
    static let lowWater = 1 << 20

    init(_ channel: DataChannel) async throws {
        self.channel = channel
        try await channel.setBufferedAmountLowThreshold(Self.lowWater)
    }

    func send(_ message: DataChannelMessage, events: inout AsyncStream<DataChannel.Event>.Iterator) async throws {
        while true {
            do {
                try await channel.send(message)
                return
            } catch PeerError.dataChannel(.sendBufferFull) {
                while let event = await events.next() {
                    if event == .bufferedAmountLow { break }
                    if event == .closed { throw DataChannelClosed(label: channel.label) }
                }
            }
        }
    }
}

/// The echo server's half of `EchoProtocol`: every message goes back on the channel it came from, in
/// order; the negotiated channel exists from the start; a server-opened channel sends its probe
/// messages and is closed by the server.
enum DataChannelEcho {
    /// Creates the pre-negotiated channel; call after the remote offer is set and before answering.
    static func prepare(_ connection: PeerConnection) async throws -> DataChannel {
        try await connection.createDataChannel(label: EchoProtocol.negotiatedLabel, options: EchoProtocol.negotiatedOptions)
    }

    static func serve(_ connection: PeerConnection, negotiated: DataChannel?, log: @escaping @Sendable (String) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            if let negotiated { group.addTask { await echo(negotiated) } }
            var probed = false
            for await channel in connection.incomingDataChannels {
                log("data channel \"\(channel.label)\" opened by the client")
                group.addTask { await echo(channel) }
                if !probed {
                    probed = true
                    group.addTask { await probe(connection, log: log) }
                }
            }
        }
    }

    private static func echo(_ channel: DataChannel) async {
        guard (try? await channel.opened()) != nil, let sender = try? await PacedSender(channel) else { return }
        var events = channel.events.makeAsyncIterator()
        for await message in channel.messages {
            do { try await sender.send(message, events: &events) } catch { return }
        }
    }

    /// Opens the server's own channel, sends the probe messages, and closes it once the client acknowledged
    /// them and nothing is left in flight (or after the acknowledgement timeout). It echoes nothing.
    private static func probe(_ connection: PeerConnection, log: @escaping @Sendable (String) -> Void) async {
        do {
            let channel = try await connection.createDataChannel(label: EchoProtocol.serverProbeLabel)
            try await channel.opened()
            let sender = try await PacedSender(channel)
            var events = channel.events.makeAsyncIterator()
            for message in EchoProtocol.serverProbeMessages { try await sender.send(message, events: &events) }
            let acknowledged = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await message in channel.messages where message == EchoProtocol.serverProbeAcknowledgement { return true }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: EchoProtocol.serverProbeAcknowledgementTimeout)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            while try await channel.bufferedAmount() > 0 { try await Task.sleep(for: .milliseconds(5)) }
            log("closing server-probe (acknowledged: \(acknowledged))")
            await channel.close()
        } catch {
            log("server-probe channel failed: \(error)")
        }
    }
}
