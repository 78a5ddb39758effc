import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPHandshakeTests {
    @Test func handshakeEstablishesBothSides() {
        let pipe = SCTPTestPipe()
        pipe.connect()
        #expect(pipe.a.state == .established && pipe.b.state == .established)
        #expect(pipe.events(of: pipe.a) == [.connected])
        #expect(pipe.events(of: pipe.b) == [.connected])
        #expect(pipe.now < Instant(nanoseconds: 30_000_000))
        #expect(pipe.a.peerSupportsForwardTSN && pipe.a.peerSupportsReconfig)
        #expect(pipe.b.peerSupportsForwardTSN && pipe.b.peerSupportsReconfig)
    }

    @Test func simultaneousInitEstablishesOnce() {
        let pipe = SCTPTestPipe()
        pipe.connect(simultaneous: true)
        pipe.advance(.seconds(2))
        #expect(pipe.events(of: pipe.a) == [.connected])
        #expect(pipe.events(of: pipe.b) == [.connected])
        #expect(pipe.a.peerTag == pipe.b.localTag && pipe.b.peerTag == pipe.a.localTag)
    }

    @Test func handshakeSurvivesLoss() {
        let pipe = SCTPTestPipe(impairments: .init(loss: 0.5), seed: 3)
        pipe.connect(simultaneous: true)
        #expect(pipe.a.state == .established && pipe.b.state == .established)
    }

    @Test func unansweredInitFails() {
        let pipe = SCTPTestPipe { $0.maxRetransmitsBeforeAbort = 3 }
        pipe.blockAToB = true
        pipe.a.connect(at: pipe.now)
        pipe.advance(.seconds(120))
        #expect(pipe.events(of: pipe.a) == [.closed(.failed("INIT unanswered"))])
    }
}

/// Messages with a spread of sizes: mostly small, some fragmented, a few up to 256 KiB.
func makeMessages(count: Int, seed: UInt64, maxSize: Int = 256 * 1024) -> [[UInt8]] {
    var random = SeededGenerator(seed: seed)
    return (0..<count).map { index in
        let size: Int
        switch Int.random(in: 0..<20, using: &random) {
        case 0: size = Int.random(in: min(20_000, maxSize)...maxSize, using: &random)
        case 1...5: size = Int.random(in: 1_200...8_000, using: &random)
        default: size = Int.random(in: 1...400, using: &random)
        }
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
        bytes[0] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[size - 1] = UInt8(truncatingIfNeeded: index * 7)
        return bytes
    }
}

@Suite struct SCTPReliableTransferTests {
    static let lossCases: [(loss: Double, seed: UInt64)] = [(0, 11), (0.1, 12), (0.3, 13)]

    @Test(arguments: lossCases)
    func orderedMessagesArriveExactlyOnceInOrder(loss: Double, seed: UInt64) throws {
        // Without loss the path keeps order too, so that no retransmission at all is expected.
        let impairments = SCTPTestPipe.Impairments(delay: .milliseconds(10), jitter: .milliseconds(loss > 0 ? 8 : 0), loss: loss,
                                                   duplication: loss > 0 ? 0.05 : 0)
        let pipe = SCTPTestPipe(impairments: impairments, seed: seed)
        pipe.connect()
        let messages = makeMessages(count: 120, seed: seed)
        var expected: [UInt16: [[UInt8]]] = [:]
        for (index, message) in messages.enumerated() {
            let stream = UInt16(index % 3)
            try pipe.a.send(message, stream: stream, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
            expected[stream, default: []].append(message)
        }
        // The other direction at the same time.
        try pipe.b.send(Array(repeating: 9, count: 70_000), stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        let delivered = pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == messages.count
                                          && pipe.messageCount(receivedBy: pipe.a) == 1 }, limit: .seconds(600))
        #expect(delivered)
        #expect(pipe.messages(receivedBy: pipe.b) == expected)
        #expect(pipe.messages(receivedBy: pipe.a)[1]?.first?.count == 70_000)
        #expect(pipe.oversizedPackets == 0)
        let stats = pipe.a.statistics
        if loss > 0 {
            #expect(stats.fastRetransmissions + stats.timeoutRetransmissions > 0)
            #expect(pipe.b.statistics.duplicateTSNsReceived > 0)
        } else {
            #expect(stats.fastRetransmissions + stats.timeoutRetransmissions == 0)
        }
        pipe.advance(.seconds(1))
        #expect(pipe.a.bufferedAmount(stream: 0) == 0)
        #expect(pipe.a.statistics.outstandingBytes == 0)
    }
}
