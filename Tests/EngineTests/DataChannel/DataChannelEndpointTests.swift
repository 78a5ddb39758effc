import DataChannel
import SCTP
import TandemBase
import Testing

/// Two data-channel endpoints whose SCTP packets are handed straight across (no DTLS, no loss).
@Suite struct DataChannelEndpointTests {
    final class Pair {
        let client = DataChannelEndpoint()
        let server = DataChannelEndpoint()
        var now = Instant.zero
        var clientEvents: [DataChannelEvent] = []
        var serverEvents: [DataChannelEvent] = []

        init() {
            server.start(isDTLSClient: false, remoteMaxMessageSize: nil, packetSize: 1_163, random: SeededGenerator(seed: 1), at: now)
            client.start(isDTLSClient: true, remoteMaxMessageSize: nil, packetSize: 1_163, random: SeededGenerator(seed: 2), at: now)
            pump()
        }

        func pump() {
            var moved = true
            while moved {
                moved = false
                while let packet = client.pollTransmit() { server.handlePacket(packet, at: now); moved = true }
                while let packet = server.pollTransmit() { client.handlePacket(packet, at: now); moved = true }
                while let event = client.pollEvent() { clientEvents.append(event) }
                while let event = server.pollEvent() { serverEvents.append(event) }
            }
        }
    }

    @Test func malformedDCEPAndStrayMessagesAreCountedAndDropped() throws {
        let pair = Pair()
        let association = try #require(pair.client.association)
        #expect(association.state == .established)
        // A DATA_CHANNEL_OPEN cut short, an unknown DCEP type, and user data on a stream nobody opened.
        try association.send([0x03, 0x00, 0x01], stream: 0, ppid: 50, ordered: true, reliability: .reliable, at: pair.now)
        try association.send([0x09], stream: 2, ppid: 50, ordered: true, reliability: .reliable, at: pair.now)
        try association.send(Array("stray".utf8), stream: 4, ppid: 51, ordered: true, reliability: .reliable, at: pair.now)
        // An OPEN with the wrong parity: the DTLS client must use even ids (RFC 8832 §6), so odd is refused.
        let wrongParity = DCEPMessage.open(DCEPOpen(ordered: true, reliability: .reliable, label: "x", protocol: "")).serialized()
        try association.send(wrongParity, stream: 7, ppid: 50, ordered: true, reliability: .reliable, at: pair.now)
        pair.pump()
        #expect(pair.server.counters.malformedDCEP == 3)
        #expect(pair.server.counters.messagesOnUnknownStreams == 1)
        #expect(pair.serverEvents.isEmpty)
        // The association and the endpoint keep working.
        let channel = try pair.client.createChannel(label: "after", at: pair.now)
        pair.pump()
        try pair.client.send(.string("still fine"), on: channel, at: pair.now)
        pair.pump()
        #expect(pair.serverEvents.contains { if case .message(_, .string("still fine")) = $0 { return true } else { return false } })
    }

    @Test func invalidUTF8TextIsCountedNotDelivered() throws {
        let pair = Pair()
        let channel = try pair.client.createChannel(label: "chat", at: pair.now)
        pair.pump()
        let stream = try #require(pair.client.info(of: channel)?.streamID)
        try pair.client.association?.send([0xC3, 0x28], stream: stream, ppid: 51, ordered: true, reliability: .reliable, at: pair.now)
        pair.pump()
        #expect(pair.server.counters.invalidStrings == 1)
        #expect(!pair.serverEvents.contains { if case .message = $0 { return true } else { return false } })
    }

    @Test func negotiatedIdsAreChecked() {
        let pair = Pair()
        #expect(throws: DataChannelError.invalidOptions("a negotiated channel needs an id")) {
            try pair.client.createChannel(label: "x", options: DataChannelOptions(negotiated: true), at: pair.now)
        }
        #expect(throws: DataChannelError.invalidOptions("only negotiated channels choose their id")) {
            try pair.client.createChannel(label: "x", options: DataChannelOptions(id: 3), at: pair.now)
        }
        #expect(throws: DataChannelError.self) {
            try pair.client.createChannel(label: "x", options: DataChannelOptions(negotiated: true, id: 60_000), at: pair.now)
        }
    }
}
