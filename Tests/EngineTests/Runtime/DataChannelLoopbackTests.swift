import DataChannel
import PeerConnection
import TandemBase
import TandemRuntime
import Testing

/// Data channels through the runtime API over real UDP sockets on 127.0.0.1.
@Suite struct DataChannelLoopbackTests {
    /// Two connections with a data-channel-only session, the offerer's channels created before the offer.
    static func connectedPair(channels labels: [String], sendBufferLimit: Int? = nil) async throws -> (PeerConnection, PeerConnection, [DataChannel]) {
        var options = PeerConnection.Options()
        options.interfaces = .addresses([.loopbackV4])
        if let sendBufferLimit { options.peer.sctp.sendBufferLimit = sendBufferLimit }
        let offerer = try await PeerConnection.create(options: options)
        let answerer = try await PeerConnection.create(options: options)
        var channels: [DataChannel] = []
        for label in labels { channels.append(try await offerer.createDataChannel(label: label)) }
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await offerer.gatheringComplete()
        try await answerer.setRemoteDescription(try #require(try await offerer.localDescription()))
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await answerer.gatheringComplete()
        try await offerer.setRemoteDescription(try #require(try await answerer.localDescription()))
        try await offerer.connected()
        try await answerer.connected()
        return (offerer, answerer, channels)
    }

    @Test(.timeLimit(.minutes(1))) func messagesTravelBothWaysAndClosingReachesTheOtherSide() async throws {
        let (offerer, answerer, channels) = try await Self.connectedPair(channels: ["chat"])
        let chat = channels[0]
        try await chat.opened()
        var incoming = answerer.incomingDataChannels.makeAsyncIterator()
        let remote = try #require(await incoming.next())
        #expect(remote.label == "chat")

        try await chat.send("你好 مرحبا 👋")
        try await chat.send([1, 2, 3])
        var received = remote.messages.makeAsyncIterator()
        #expect(await received.next() == .string("你好 مرحبا 👋"))
        #expect(await received.next() == .binary([1, 2, 3]))
        try await remote.send("back")
        var back = chat.messages.makeAsyncIterator()
        #expect(await back.next() == .string("back"))

        await remote.close()  // closing from the answerer's side closes both
        var events = chat.events.makeAsyncIterator()
        while let event = await events.next(), event != .closed {}
        #expect(try await chat.state() == .closed)
        await offerer.close()
        await answerer.close()
    }

    @Test(.timeLimit(.minutes(1))) func backPressureNeverLosesAMessage() async throws {
        // A 1 MiB send buffer, so that 25.6 MiB sent as fast as possible must fill it many times.
        let (offerer, answerer, channels) = try await Self.connectedPair(channels: ["bulk"], sendBufferLimit: 1 << 20)
        let bulk = channels[0]
        try await bulk.opened()
        var incoming = answerer.incomingDataChannels.makeAsyncIterator()
        let remote = try #require(await incoming.next())
        let count = 400  // 400 × 64 KiB = 25.6 MiB
        let receiver = Task {
            var total = 0
            var inOrder = true
            for await message in remote.messages {
                guard case let .binary(bytes) = message else { continue }
                inOrder = inOrder && bytes.first == UInt8(truncatingIfNeeded: total)
                total += 1
                if total == count { break }
            }
            return (total, inOrder)
        }
        try await bulk.setBufferedAmountLowThreshold(256 << 10)
        // The sender runs on the connections' loop (both use the default network thread): each send then
        // runs synchronously, the loop handles no acknowledgement in between, and the 1 MiB buffer must
        // fill however fast or slow the machine is; waiting for bufferedAmountLow lets the loop drain it.
        let refusals = try await withTaskExecutorPreference(EventLoopTaskExecutor(PeerConnection.networkThread)) {
            var events = bulk.events.makeAsyncIterator()
            var refusals = 0
            var index = 0
            while index < count {
                do {
                    try await bulk.send([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 65_536))
                    index += 1
                } catch PeerError.dataChannel(.sendBufferFull) {
                    refusals += 1
                    while let event = await events.next(), event != .bufferedAmountLow {}
                }
            }
            return refusals
        }
        let (total, inOrder) = await receiver.value
        #expect(total == count)
        #expect(inOrder)
        #expect(refusals >= 20, "25.6 MiB through a 1 MiB send buffer must be refused many times, got \(refusals)")
        await offerer.close()
        await answerer.close()
    }
}
