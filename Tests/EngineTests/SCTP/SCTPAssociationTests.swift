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
        #expect(sameMessages(pipe.messages(receivedBy: pipe.b), expected))
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

/// A generator whose first values are given, then seeded: puts the initial TSN where a test wants it.
struct ScriptedGenerator: RandomNumberGenerator {
    var script: [UInt64]
    var rest: SeededGenerator

    mutating func next() -> UInt64 {
        script.isEmpty ? rest.next() : script.removeFirst()
    }
}

@Suite struct SCTPWraparoundTests {
    /// TSNs and the gap bookkeeping wrap around 2^32 under loss (RFC 9260 §1.6).
    @Test func tsnsWrapAround() throws {
        // Initiate tag, then an initial TSN 300 below the wrap.
        let a = SCTPAssociation(random: ScriptedGenerator(script: [0x1234_5678, 0xFFFF_FED4], rest: SeededGenerator(seed: 5)))
        let b = SCTPAssociation(random: ScriptedGenerator(script: [0x8765_4321, 0xFFFF_FF00], rest: SeededGenerator(seed: 6)))
        #expect(a.localInitialTSN == 0xFFFF_FED4)
        let pipe = SCTPTestPipe(a: a, b: b, impairments: .init(delay: .milliseconds(5), jitter: .milliseconds(5), loss: 0.15), seed: 101)
        pipe.connect()
        let messages = (0..<400).map { [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: 1 + ($0 * 37) % 3000) }
        for message in messages {
            try pipe.a.send(message, stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
            try pipe.b.send(message, stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        #expect(pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == messages.count
                                  && pipe.messageCount(receivedBy: pipe.a) == messages.count }, limit: .seconds(600)))
        #expect(sameMessages(pipe.messages(receivedBy: pipe.b)[0] ?? [], messages))
        #expect(sameMessages(pipe.messages(receivedBy: pipe.a)[1] ?? [], messages))
        #expect(pipe.a.nextTSN < pipe.a.localInitialTSN, "the TSNs wrapped")
    }

    /// Ordered delivery across the SSN wrap from 65535 to 0 (RFC 9260 §6.5), with messages held
    /// for one that arrives late.
    @Test func ssnsWrapAround() throws {
        var reassembly = SCTPReassembly(maxMessageSize: 1000)
        var delivered: [SCTPReassembly.Message] = []
        func chunk(_ index: Int) -> SCTPDataChunk {
            SCTPDataChunk(tsn: UInt32(index), streamID: 7, ssn: UInt16(truncatingIfNeeded: index), ppid: 51, unordered: false,
                          beginning: true, ending: true, payload: [UInt8(truncatingIfNeeded: index)])
        }
        for index in 0..<65_534 { try reassembly.add(chunk(index), delivering: &delivered) }
        #expect(delivered.count == 65_534)
        delivered.removeAll()
        // 65534 is late: 65535, 0 and 1 wait for it.
        for index in [65_535, 65_536, 65_537, 65_534, 65_538] { try reassembly.add(chunk(index), delivering: &delivered) }
        #expect(delivered.map { $0.payload[0] } == [254, 255, 0, 1, 2])
        #expect(reassembly.bufferedBytes == 0)
    }
}
