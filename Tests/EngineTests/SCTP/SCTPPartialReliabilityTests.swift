import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPUnorderedTests {
    @Test func unorderedMessagesArriveExactlyOnceUnderLoss() throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(10), jitter: .milliseconds(8), loss: 0.2, duplication: 0.05),
                                seed: 21)
        pipe.connect()
        let messages = makeMessages(count: 100, seed: 21, maxSize: 64 * 1024)
        for message in messages {
            try pipe.a.send(message, stream: 4, ppid: 53, ordered: false, reliability: .reliable, at: pipe.now)
        }
        #expect(pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == messages.count }, limit: .seconds(600)))
        let received = pipe.messages(receivedBy: pipe.b)[4] ?? []
        #expect(sameMessages(received.sorted { $0.lexicographicallyPrecedes($1) }, messages.sorted { $0.lexicographicallyPrecedes($1) }))
        // With loss and jitter, some unordered messages overtake others.
        let reordered = received != messages
        #expect(reordered)
    }
}

@Suite struct SCTPPartialReliabilityTests {
    /// Every message sent with `reliability` on stream 1 while the path loses packets; then, with the
    /// path clean, one reliable message must get through behind the abandoned ones.
    func abandonAndRecover(reliability: SCTPReliability, ordered: Bool, seed: UInt64) throws -> SCTPTestPipe {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(10), jitter: .milliseconds(4), loss: 0.3), seed: seed)
        pipe.connect()
        let messages = makeMessages(count: 200, seed: seed, maxSize: 16 * 1024)
        for (index, message) in messages.enumerated() {
            try pipe.a.send([UInt8(index & 0xFF), UInt8(index >> 8)] + message, stream: 1, ppid: 51, ordered: ordered,
                            reliability: reliability, at: pipe.now)
        }
        pipe.advance(.seconds(5))
        pipe.impairments.loss = 0
        try pipe.a.send([0xEE], stream: 1, ppid: 51, ordered: ordered, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.b)[1]?.last == [0xEE] }, limit: .seconds(60)))
        let received = pipe.messages(receivedBy: pipe.b)[1] ?? []
        #expect(received.count < messages.count + 1, "some messages are abandoned")
        #expect(pipe.a.statistics.messagesAbandoned > 0)
        #expect(pipe.a.statistics.forwardTSNsSent > 0)
        // What arrives is whole, and in send order on an ordered stream.
        let indices = received.dropLast().map { Int($0[0]) | Int($0[1]) << 8 }
        for (position, index) in indices.enumerated() {
            #expect(sameMessages([Array(received[position].dropFirst(2))], [messages[index]]))
        }
        if ordered { #expect(indices == indices.sorted()) }
        #expect(Set(indices).count == indices.count)
        pipe.advance(.seconds(2))
        #expect(pipe.a.bufferedAmount(stream: 1) == 0)
        #expect(pipe.a.statistics.outstandingBytes == 0)
        return pipe
    }

    @Test func maxRetransmitsZeroAbandonsAndForwardTSNUnblocksOrdered() throws {
        _ = try abandonAndRecover(reliability: .maxRetransmits(0), ordered: true, seed: 31)
    }

    @Test func maxRetransmitsZeroUnordered() throws {
        _ = try abandonAndRecover(reliability: .maxRetransmits(0), ordered: false, seed: 32)
    }

    @Test func maxPacketLifeTimeAbandons() throws {
        _ = try abandonAndRecover(reliability: .maxPacketLifeTime(.milliseconds(150)), ordered: true, seed: 33)
    }

    /// RFC 3758 §3.5: a lost FORWARD TSN is sent again on the T3-rtx timer even with no other traffic,
    /// so the abandoned chunks leave the queue and a shutdown can complete.
    @Test func lostForwardTSNIsRetransmitted() throws {
        let pipe = SCTPTestPipe(seed: 35)
        pipe.connect()
        pipe.blockAToB = true
        try pipe.a.send([1, 2, 3], stream: 0, ppid: 51, ordered: true, reliability: .maxRetransmits(0), at: pipe.now)
        pipe.advance(.milliseconds(1500))
        #expect(pipe.a.statistics.forwardTSNsSent == 1)
        #expect(pipe.a.outstanding.count == 1)
        pipe.blockAToB = false
        pipe.advance(.seconds(10))
        #expect(pipe.a.statistics.forwardTSNsSent == 2)
        #expect(pipe.a.outstanding.isEmpty)
        pipe.a.shutdown(at: pipe.now)
        #expect(pipe.run(until: { pipe.a.state == .closed && pipe.b.state == .closed }, limit: .seconds(10)))
        #expect(pipe.messageCount(receivedBy: pipe.b) == 0)
    }

    @Test func expiredQueuedMessagesAreDroppedBeforeSending() throws {
        let pipe = SCTPTestPipe(seed: 34)
        pipe.connect()
        // Far more than one congestion window: most of it waits in the queue past its lifetime.
        for index in 0..<200 {
            try pipe.a.send([UInt8](repeating: UInt8(index), count: 1000), stream: 2, ppid: 51, ordered: true,
                            reliability: .maxPacketLifeTime(.milliseconds(1)), at: pipe.now)
        }
        try pipe.a.send([0xEE], stream: 2, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.b)[2]?.last == [0xEE] }, limit: .seconds(10)))
        #expect(pipe.a.statistics.messagesAbandoned > 100)
        pipe.advance(.seconds(1))
        #expect(pipe.a.bufferedAmount(stream: 2) == 0)
    }
}
