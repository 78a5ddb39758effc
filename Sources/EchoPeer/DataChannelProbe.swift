import DataChannel
import PeerConnection
import TandemBase
import TandemRuntime

/// The data-channel echo protocol shared by every echo peer in `Interop/` (see Interop/README.md,
/// "Data-channel echo protocol"): the names, messages and checks both sides agree on.
enum EchoProtocol {
    /// The client's channels, in order: in-band ordered, in-band unordered, pre-negotiated with id 100.
    static let clientChannels: [(label: String, options: DataChannelOptions)] = [
        ("echo-ordered", DataChannelOptions(ordered: true)),
        ("echo-unordered", DataChannelOptions(ordered: false)),
        ("echo-negotiated", negotiatedOptions),
    ]
    static let negotiatedLabel = "echo-negotiated"
    static let negotiatedOptions = DataChannelOptions(ordered: true, negotiated: true, id: 100)
    /// The server opens this channel when the client's first in-band channel opens, sends its
    /// messages, then closes it.
    static let serverProbeLabel = "server-probe"
    static let serverProbeMessages = (0..<10).map { DataChannelMessage.string("server-probe \($0) 🚀") }
    /// The client's acknowledgement once it holds every probe message; the server closes the channel after
    /// it (closing at once loses the messages in Chromium, see Interop/README.md).
    static let serverProbeAcknowledgement = DataChannelMessage.string("server-probe received")
    /// Without an acknowledgement the server closes its channel this long after sending.
    static let serverProbeAcknowledgementTimeout = Duration.seconds(5)

    static let texts = ["远程协助：请共享您的屏幕", "مرحبا، هل يمكنني المساعدة؟", "👩‍💻🖱️⌨️✅", "ready"]
    static let sizes = [1, 100, 1_200, 16_384, 65_536, 262_144]

    /// Message `index` on the client's channel number `channel`: text on even indices, binary of growing
    /// size (up to 256 KiB) on odd ones.
    static func message(_ index: Int, channel: Int) -> DataChannelMessage {
        if index % 2 == 0 { return .string("\(channel):\(index) " + texts[(index / 2) % texts.count]) }
        let size = sizes[(index / 2) % sizes.count]
        return .binary((0..<size).map { UInt8(truncatingIfNeeded: $0 &+ index &* 7 &+ channel) })
    }
}

/// The echo client's data-channel check (the client half of `EchoProtocol`).
struct DataChannelProbe {
    struct Result: Sendable {
        var sent = 0
        var echoed = 0
        var intact = true
        var serverChannelMessages = 0
        var serverChannelIntact = false
        var serverChannelClosed = false
        var clientCloseCompleted = false
    }

    let connection: PeerConnection
    let channels: [DataChannel]
    let messagesPerChannel: Int

    /// Creates the protocol's first `count` channels (before the offer, so the offer carries them).
    static func open(on connection: PeerConnection, channels count: Int, messagesPerChannel: Int) async throws -> DataChannelProbe {
        var channels: [DataChannel] = []
        for (label, options) in EchoProtocol.clientChannels.prefix(count) {
            channels.append(try await connection.createDataChannel(label: label, options: options))
        }
        return DataChannelProbe(connection: connection, channels: channels, messagesPerChannel: messagesPerChannel)
    }

    func run(timeout: Duration) async throws -> Result {
        let serverChannel = Task { await watchServerChannel(timeout: timeout) }
        var total = Result()
        try await withThrowingTaskGroup(of: (sent: Int, echoed: Int, intact: Bool).self) { group in
            for (number, channel) in channels.enumerated() {
                let count = messagesPerChannel
                group.addTask { try await echo(on: channel, number: number, count: count, timeout: timeout) }
            }
            for try await result in group {
                total.sent += result.sent
                total.echoed += result.echoed
                total.intact = total.intact && result.intact
            }
        }
        let server = await serverChannel.value
        // Client-initiated close: the first channel closes once the peer resets its stream too (RFC 8831 §6.7).
        if let first = channels.first {
            await first.close()
            total.clientCloseCompleted = await Self.waitForClose(first, timeout: .seconds(5))
        }
        total.serverChannelMessages = server.messages.count
        total.serverChannelIntact = server.messages == EchoProtocol.serverProbeMessages
        total.serverChannelClosed = server.closed
        return total
    }

    private func echo(on channel: DataChannel, number: Int, count: Int, timeout: Duration) async throws -> (sent: Int, echoed: Int, intact: Bool) {
        try await channel.opened()
        let receiver = Task {
            var received: [DataChannelMessage] = []
            for await message in channel.messages {
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        let sender = try await PacedSender(channel)
        var events = channel.events.makeAsyncIterator()
        for index in 0..<count { try await sender.send(EchoProtocol.message(index, channel: number), events: &events) }
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            receiver.cancel()
        }
        let received = await receiver.value
        watchdog.cancel()
        let expected = (0..<count).map { EchoProtocol.message($0, channel: number) }
        let intact = channel.options.ordered ? received == expected : Self.sameMultiset(received, expected)
        return (count, received.count, intact)
    }

    /// Records the server-opened channel's messages and whether the server closed it (its message
    /// stream ends when the channel closes).
    private func watchServerChannel(timeout: Duration) async -> (messages: [DataChannelMessage], closed: Bool) {
        await Self.first(within: timeout, default: ([], false)) { [connection] in
            for await channel in connection.incomingDataChannels where channel.label == EchoProtocol.serverProbeLabel {
                var messages: [DataChannelMessage] = []
                for await message in channel.messages {
                    messages.append(message)
                    if messages.count == EchoProtocol.serverProbeMessages.count { try? await channel.send(EchoProtocol.serverProbeAcknowledgement) }
                }
                return (messages, true)  // the stream ends when the server has closed the channel
            }
            return ([], false)
        }
    }

    private static func waitForClose(_ channel: DataChannel, timeout: Duration) async -> Bool {
        await first(within: timeout, default: false) {
            for await event in channel.events where event == .closed { return true }
            return true  // the stream ends after `.closed`
        }
    }

    /// `body`'s result, or `fallback` when it takes longer than `timeout`.
    private static func first<T: Sendable>(within timeout: Duration, default fallback: T, _ body: @escaping @Sendable () async -> T) async -> T {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            return result ?? fallback
        }
    }

    private static func sameMultiset(_ a: [DataChannelMessage], _ b: [DataChannelMessage]) -> Bool {
        guard a.count == b.count else { return false }
        var counts: [DataChannelMessage: Int] = [:]
        for message in a { counts[message, default: 0] += 1 }
        for message in b { counts[message, default: 0] -= 1 }
        return counts.values.allSatisfy { $0 == 0 }
    }
}
