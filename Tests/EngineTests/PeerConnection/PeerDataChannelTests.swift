import DataChannel
import NetworkSimulation
import PeerConnection
import SDP
import TandemBase
import Testing

/// Two Peers with data channels on virtual time: DCEP, SCTP over DTLS, loss, closing (RFC 8831/8832/8261).
@Suite struct PeerDataChannelTests {
    static let texts = ["远程协助：请共享您的屏幕", "مرحبا، هل يمكنني المساعدة؟", "👩‍💻🖱️⌨️✅🇪🇺", "plain ascii", "mixed 中文 عربي 🎉"]

    @Test func inBandChannelOpensOnBothSidesAndCarriesUnicodeBinaryAndEmptyMessages() throws {
        let pair = try PeerPair()
        let label = "聊天 دردشة 💬"
        let ids = try pair.negotiate(channels: [(label, DataChannelOptions(protocol: "tandem-chat/1"))])
        let chat = try #require(ids.first)
        #expect(pair.run(for: .seconds(5)) { pair.isOpen(.offerer, chat) && !pair.remoteOpened(.answerer).isEmpty })
        let remote = try #require(pair.remoteOpened(.answerer).first)
        #expect(remote.label == label)
        #expect(remote.options.protocol == "tandem-chat/1")
        // RFC 8832 §6: the DTLS server (here the offerer; the answerer is active) opens odd streams.
        #expect(remote.streamID.map { $0 % 2 } == 1)

        var sent: [DataChannelMessage] = Self.texts.map { .string($0) }
        sent += [.binary([0, 1, 2, 255]), .string(""), .binary([])]
        for message in sent { try pair.offerer.send(message, on: chat, at: pair.now) }
        #expect(pair.run(for: .seconds(5)) { pair.messages(.answerer, on: remote.id).count == sent.count })
        #expect(pair.messages(.answerer, on: remote.id) == sent)

        // And back on the same channel, byte for byte.
        for message in sent.reversed() { try pair.answerer.send(message, on: remote.id, at: pair.now) }
        #expect(pair.run(for: .seconds(5)) { pair.messages(.offerer, on: chat).count == sent.count })
        #expect(pair.messages(.offerer, on: chat) == sent.reversed())
        for case let .string(text) in pair.messages(.offerer, on: chat) {
            #expect(Self.texts.contains(text) || text.isEmpty)
        }
    }

    @Test func dataOnlySessionNegotiatesTheApplicationSection() throws {
        let pair = try PeerPair()
        let ids = try pair.negotiate(media: nil, channels: [("only", DataChannelOptions())])
        let offer = try #require(pair.offerer.localDescription?.1)
        let section = try #require(offer.media.first)
        #expect(section.kind == "application")
        #expect(section.proto == "UDP/DTLS/SCTP")
        #expect(section.formats == ["webrtc-datachannel"])
        #expect(section.sctpPort == 5000)
        #expect(section.maxMessageSize == 262_144)
        #expect(pair.run(for: .seconds(5)) { pair.bothConnected && pair.isOpen(.offerer, ids[0]) })
        try pair.offerer.send(.string("hello"), on: ids[0], at: pair.now)
        #expect(pair.run(for: .seconds(2)) { pair.remoteOpened(.answerer).first.map { pair.messages(.answerer, on: $0.id) } == [.string("hello")] })
    }

    @Test func negotiatedChannelsUseTheirFixedIdWithoutDCEP() throws {
        let pair = try PeerPair()
        let options = DataChannelOptions(negotiated: true, id: 7)
        let ids = try pair.negotiate(channels: [("input", options)])
        let answererChannel = try pair.answerer.createDataChannel(label: "input", options: options, at: pair.now)
        #expect(pair.run(for: .seconds(5)) { pair.isOpen(.offerer, ids[0]) && pair.isOpen(.answerer, answererChannel) })
        #expect(pair.peer(.offerer).dataChannelInfo(ids[0])?.streamID == 7)
        try pair.offerer.send(.binary([1, 2, 3]), on: ids[0], at: pair.now)
        try pair.answerer.send(.string("ack"), on: answererChannel, at: pair.now)
        #expect(pair.run(for: .seconds(2)) { !pair.messages(.answerer, on: answererChannel).isEmpty && !pair.messages(.offerer, on: ids[0]).isEmpty })
        #expect(pair.messages(.answerer, on: answererChannel) == [.binary([1, 2, 3])])
        #expect(pair.messages(.offerer, on: ids[0]) == [.string("ack")])
        #expect(pair.remoteOpened(.answerer).isEmpty)  // no DATA_CHANNEL_OPEN for negotiated channels
    }

    @Test func theAnswererOpensChannelsAfterConnectingWithEvenStreamIds() throws {
        let pair = try PeerPair()
        let ids = try pair.negotiate(channels: [("first", DataChannelOptions())])
        #expect(pair.run(for: .seconds(5)) { pair.isOpen(.offerer, ids[0]) })
        let control = try pair.answerer.createDataChannel(label: "control", options: DataChannelOptions(ordered: false), at: pair.now)
        #expect(pair.run(for: .seconds(2)) { pair.remoteOpened(.offerer).contains { $0.label == "control" } })
        let seen = try #require(pair.remoteOpened(.offerer).first { $0.label == "control" })
        #expect(seen.options.ordered == false)
        #expect(seen.streamID.map { $0 % 2 } == 0)  // the DTLS client uses even ids (RFC 8832 §6)
        try pair.answerer.send(.string("request control"), on: control, at: pair.now)
        #expect(pair.run(for: .seconds(2)) { pair.messages(.offerer, on: seen.id) == [.string("request control")] })
    }

    @Test(arguments: [0.0, 0.1, 0.3])
    func reliableOrderedChannelsDeliverEveryMessageOnceAndInOrderUnderLoss(loss: Double) throws {
        let impairments = LinkImpairments(delay: .milliseconds(10), jitter: .milliseconds(8), loss: loss, duplication: 0.05)
        let pair = try PeerPair(impairments: impairments, seed: 21)
        let ids = try pair.negotiate(media: nil, channels: [("bulk", DataChannelOptions())])
        #expect(pair.run(for: .seconds(30)) { pair.isOpen(.offerer, ids[0]) && !pair.remoteOpened(.answerer).isEmpty })
        let remote = try #require(pair.remoteOpened(.answerer).first)
        var random = SeededGenerator(seed: 5)
        let sizes = [1, 2, 100, 1_000, 1_163, 1_200, 5_000, 65_536, 262_144] + (0..<40).map { _ in Int.random(in: 1...20_000, using: &random) }
        let sent: [DataChannelMessage] = sizes.enumerated().map { index, size in
            .binary((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
        }
        for message in sent { try pair.offerer.send(message, on: ids[0], at: pair.now) }
        let delivered = pair.run(for: .seconds(120)) { pair.messages(.answerer, on: remote.id).count >= sent.count }
        let received = pair.messages(.answerer, on: remote.id)
        #expect(delivered, "\(received.count) of \(sent.count) messages after 120 s; SCTP \(String(describing: pair.offerer.sctpStatistics))")
        let identical = received == sent  // compared as one Bool: a failure would print megabytes
        #expect(identical)
        // Once everything is acknowledged nothing stays buffered (W3C bufferedAmount returns to 0).
        let drainStart = pair.now
        #expect(pair.run(for: .seconds(30)) { pair.offerer.bufferedAmount(of: ids[0]) == 0 }, "buffered \(pair.offerer.bufferedAmount(of: ids[0])) after \(pair.now - drainStart); SCTP \(String(describing: pair.offerer.sctpStatistics)) answerer \(String(describing: pair.answerer.sctpStatistics))")
        #expect(pair.bothConnected)
    }

    @Test func unorderedAndPartiallyReliableChannelsRespectTheirSettingsUnderLoss() throws {
        let pair = try PeerPair(impairments: LinkImpairments(delay: .milliseconds(10), jitter: .milliseconds(8), loss: 0.2), seed: 3)
        let ids = try pair.negotiate(media: nil, channels: [
            ("unreliable", DataChannelOptions(ordered: false, reliability: .maxRetransmits(0))),
            ("timed", DataChannelOptions(ordered: true, reliability: .maxPacketLifeTime(.milliseconds(50)))),
            ("reliable", DataChannelOptions()),
        ])
        #expect(pair.run(for: .seconds(30)) { ids.allSatisfy { pair.isOpen(.offerer, $0) } && pair.remoteOpened(.answerer).count == 3 })
        let remote = Dictionary(uniqueKeysWithValues: pair.remoteOpened(.answerer).map { ($0.label, $0) })
        #expect(remote["unreliable"]?.options.reliability == .maxRetransmits(0))
        #expect(remote["unreliable"]?.options.ordered == false)
        #expect(remote["timed"]?.options.reliability == .maxPacketLifeTime(.milliseconds(50)))
        for index in 0..<200 {
            let message = DataChannelMessage.string("m\(index)")
            for id in ids { try pair.offerer.send(message, on: id, at: pair.now) }
        }
        let reliable = try #require(remote["reliable"]?.id)
        #expect(pair.run(for: .seconds(60)) { pair.messages(.answerer, on: reliable).count == 200 })
        let unreliable = pair.messages(.answerer, on: try #require(remote["unreliable"]?.id))
        let timed = pair.messages(.answerer, on: try #require(remote["timed"]?.id))
        // Partially reliable: some lost for good, none duplicated; the timed one stays in order.
        #expect(unreliable.count < 200 && Set(unreliable.map { "\($0)" }).count == unreliable.count)
        #expect(timed.count <= 200)
        let timedIndices = timed.compactMap { message -> Int? in
            if case let .string(text) = message { return Int(text.dropFirst()) }
            return nil
        }
        #expect(timedIndices == timedIndices.sorted())
        #expect(pair.messages(.answerer, on: reliable) == (0..<200).map { .string("m\($0)") })
        #expect(pair.bothConnected)
    }

    @Test func sixtyFourChannelsOpenAtOnce() throws {
        let pair = try PeerPair()
        let ids = try pair.negotiate(media: nil, channels: (0..<64).map { ("channel-\($0)", DataChannelOptions()) })
        #expect(pair.run(for: .seconds(10)) { pair.remoteOpened(.answerer).count == 64 })
        #expect(Set(pair.remoteOpened(.answerer).compactMap(\.streamID)).count == 64)
        for (index, id) in ids.enumerated() { try pair.offerer.send(.string("hello \(index)"), on: id, at: pair.now) }
        let remote = pair.remoteOpened(.answerer)
        #expect(pair.run(for: .seconds(10)) { remote.allSatisfy { pair.messages(.answerer, on: $0.id).count == 1 } })
        for info in remote {
            let index = try #require(Int(info.label.dropFirst("channel-".count)))
            #expect(pair.messages(.answerer, on: info.id) == [.string("hello \(index)")])
        }
    }

    @Test(arguments: [PeerPair.Side.offerer, .answerer])
    func closingFromEitherSideClosesBothAndFreesTheStream(closer: PeerPair.Side) throws {
        let pair = try PeerPair()
        let ids = try pair.negotiate(channels: [("a", DataChannelOptions()), ("b", DataChannelOptions())])
        #expect(pair.run(for: .seconds(5)) { pair.remoteOpened(.answerer).count == 2 })
        let remoteA = try #require(pair.remoteOpened(.answerer).first { $0.label == "a" })
        let closing = closer == .offerer ? ids[0] : remoteA.id
        pair.peer(closer).closeDataChannel(closing, at: pair.now)
        #expect(pair.run(for: .seconds(5)) { pair.closed(.offerer).contains(ids[0]) && pair.closed(.answerer).contains(remoteA.id) })
        #expect(pair.peer(.offerer).dataChannelState(ids[0]) == nil)
        // The other channel still works, and a new channel may reuse the freed stream id.
        try pair.offerer.send(.string("still here"), on: ids[1], at: pair.now)
        let reopened = try pair.offerer.createDataChannel(label: "c", at: pair.now)
        #expect(pair.run(for: .seconds(5)) { pair.remoteOpened(.answerer).contains { $0.label == "c" } })
        #expect(pair.peer(.offerer).dataChannelInfo(reopened)?.streamID == remoteA.streamID)
        #expect(pair.bothConnected)
    }

    @Test func messagesBeyondTheRemoteMaximumAreRefusedClearly() throws {
        let pair = try PeerPair()
        pair.tamperAnswer = { description in
            for index in description.media.indices where description.media[index].kind == "application" {
                description.media[index].maxMessageSize = 1_000
            }
        }
        let ids = try pair.negotiate(channels: [("limited", DataChannelOptions())])
        #expect(pair.run(for: .seconds(5)) { pair.isOpen(.offerer, ids[0]) })
        #expect(throws: PeerError.dataChannel(.messageTooLarge(size: 1_001, limit: 1_000))) {
            try pair.offerer.send(.binary(Array(repeating: 1, count: 1_001)), on: ids[0], at: pair.now)
        }
        try pair.offerer.send(.binary(Array(repeating: 1, count: 1_000)), on: ids[0], at: pair.now)
    }

    @Test func closingThePeerClosesItsChannels() throws {
        let pair = try PeerPair()
        let ids = try pair.negotiate(channels: [("x", DataChannelOptions())])
        #expect(pair.run(for: .seconds(5)) { !pair.remoteOpened(.answerer).isEmpty })
        pair.offerer.close(at: pair.now)
        pair.pump()
        #expect(pair.closed(.offerer) == ids)
        let remote = try #require(pair.remoteOpened(.answerer).first)
        #expect(pair.run(for: .seconds(5)) { pair.closed(.answerer) == [remote.id] })  // SCTP ABORT reached it
    }
}
