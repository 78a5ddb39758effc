import Testing
import TandemBase
@testable import SCTP

/// I-DATA and I-FORWARD TSN (RFC 8260), negotiated when both ends enable message interleaving.
@Suite struct SCTPInterleavingTests {
    static func interleavedPipe(_ impairments: SCTPTestPipe.Impairments = .init(), seed: UInt64) -> SCTPTestPipe {
        SCTPTestPipe(impairments: impairments, seed: seed) { $0.enableMessageInterleaving = true }
    }

    @Test func negotiatedOnlyWhenBothOfferIt() {
        let both = Self.interleavedPipe(seed: 111)
        both.connect(simultaneous: true)
        #expect(both.a.interleaving && both.b.interleaving)

        let a = SCTPAssociation(configuration: { var c = SCTPConfiguration(); c.enableMessageInterleaving = true; return c }(),
                                random: SeededGenerator(seed: 1))
        let b = SCTPAssociation(random: SeededGenerator(seed: 2))
        let one = SCTPTestPipe(a: a, b: b, impairments: .init(), seed: 112)
        one.connect()
        #expect(!one.a.interleaving && !one.b.interleaving)
    }

    @Test(arguments: [(0.0, UInt64(121)), (0.2, 122)])
    func orderedAndUnorderedUnderLoss(loss: Double, seed: UInt64) throws {
        let pipe = Self.interleavedPipe(.init(delay: .milliseconds(10), jitter: .milliseconds(loss > 0 ? 8 : 0), loss: loss,
                                              duplication: loss > 0 ? 0.05 : 0), seed: seed)
        pipe.connect()
        let messages = makeMessages(count: 90, seed: seed)
        var expected: [UInt16: [[UInt8]]] = [:]
        for (index, message) in messages.enumerated() {
            let stream = UInt16(index % 3)
            try pipe.a.send(message, stream: stream, ppid: 53, ordered: stream != 2, reliability: .reliable, at: pipe.now)
            expected[stream, default: []].append(message)
        }
        #expect(pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == messages.count }, limit: .seconds(600)))
        let received = pipe.messages(receivedBy: pipe.b)
        #expect(sameMessages(received[0] ?? [], expected[0] ?? []))
        #expect(sameMessages(received[1] ?? [], expected[1] ?? []))
        let sortedUnordered = (received[2] ?? []).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(sameMessages(sortedUnordered, (expected[2] ?? []).sorted { $0.lexicographicallyPrecedes($1) }))
        #expect(pipe.oversizedPackets == 0)
    }

    /// The point of I-DATA: a small message goes out between the fragments of a large one.
    @Test func smallMessageOvertakesALargeOne() throws {
        let pipe = Self.interleavedPipe(seed: 131)
        pipe.connect()
        try pipe.a.send([UInt8](repeating: 1, count: 256 * 1024), stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.advance(.milliseconds(12))
        try pipe.a.send([2], stream: 2, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == 2 }, limit: .seconds(10)))
        let streams = pipe.events(of: pipe.b).compactMap { event -> UInt16? in
            if case let .message(stream, _, _) = event { stream } else { nil }
        }
        #expect(streams == [2, 1])
    }

    @Test(arguments: [true, false])
    func abandonedMessagesAreSkippedWithIForwardTSN(ordered: Bool) throws {
        let pipe = Self.interleavedPipe(.init(delay: .milliseconds(10), jitter: .milliseconds(4), loss: 0.3), seed: 141)
        pipe.connect()
        for index in 0..<150 {
            try pipe.a.send([UInt8(index)] + [UInt8](repeating: 0, count: (index * 97) % 5000), stream: UInt16(index % 2),
                            ppid: 51, ordered: ordered, reliability: .maxRetransmits(0), at: pipe.now)
        }
        pipe.advance(.seconds(5))
        pipe.impairments.loss = 0
        try pipe.a.send([0xEE], stream: 0, ppid: 51, ordered: ordered, reliability: .reliable, at: pipe.now)
        try pipe.a.send([0xEF], stream: 1, ppid: 51, ordered: ordered, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.b)[0]?.last == [0xEE]
                                  && pipe.messages(receivedBy: pipe.b)[1]?.last == [0xEF] }, limit: .seconds(60)))
        #expect(pipe.a.statistics.messagesAbandoned > 0 && pipe.a.statistics.forwardTSNsSent > 0)
        for stream in UInt16(0)...1 {
            let indices = (pipe.messages(receivedBy: pipe.b)[stream] ?? []).dropLast().map { Int($0[0]) }
            #expect(Set(indices).count == indices.count)
            if ordered { #expect(indices == indices.sorted()) }
        }
        pipe.advance(.seconds(2))
        #expect(pipe.a.statistics.outstandingBytes == 0 && pipe.a.outstanding.isEmpty)
    }

    @Test func streamResetRestartsMessageIdentifiers() throws {
        let pipe = Self.interleavedPipe(seed: 151)
        pipe.connect()
        for index in 0..<5 {
            try pipe.a.send([UInt8(index)], stream: 4, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        }
        pipe.a.resetStreams([4], at: pipe.now)
        #expect(pipe.run(until: { pipe.events(of: pipe.a).contains(.outgoingStreamsResetDone([4])) }, limit: .seconds(5)))
        #expect(pipe.events(of: pipe.b).contains(.incomingStreamsReset([4])))
        try pipe.a.send([9], stream: 4, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.b)[4]?.last == [9] }, limit: .seconds(5)))
        #expect(pipe.messages(receivedBy: pipe.b)[4] == [[0], [1], [2], [3], [4], [9]])
    }

    /// RFC 8260 §2.2: a DATA chunk on an association that negotiated I-DATA is a protocol violation.
    @Test func plainDataIsRejectedOnceIDataIsNegotiated() {
        let pipe = Self.interleavedPipe(seed: 161)
        pipe.connect()
        let b = pipe.b
        b.handlePacket(SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: b.localTag,
                                  chunks: [.data(SCTPDataChunk(tsn: b.tracker.cumulative &+ 1, streamID: 0, ssn: 0, ppid: 51,
                                                               unordered: false, beginning: true, ending: true, payload: [1]))]).encode(),
                       at: pipe.now)
        guard case .closed(.abortedLocally)? = b.pollEvent() else {
            Issue.record("B did not abort")
            return
        }
    }
}
