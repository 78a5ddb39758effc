import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPMalformedInputTests {
    /// An established pair, with B's next in-sequence DATA chunk at hand.
    func established() -> SCTPTestPipe {
        let pipe = SCTPTestPipe(seed: 71)
        pipe.connect()
        return pipe
    }

    func packet(to side: SCTPAssociation, tag: UInt32? = nil, _ chunks: [SCTPChunk]) -> [UInt8] {
        SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: tag ?? side.localTag, chunks: chunks).encode()
    }

    func nextData(for side: SCTPAssociation, _ payload: [UInt8]) -> SCTPChunk {
        .data(SCTPDataChunk(tsn: side.tracker.cumulative &+ 1, streamID: 0, ssn: 0, ppid: 51, unordered: true,
                            beginning: true, ending: true, payload: payload[...]))
    }

    /// Chunks B sends right now.
    func drainChunks(_ side: SCTPAssociation) -> [SCTPChunk] {
        var chunks: [SCTPChunk] = []
        while let bytes = side.pollTransmit() {
            if let packet = try? SCTPPacket.decode(bytes) { chunks += packet.chunks }
        }
        return chunks
    }

    @Test func garbageIsCountedAndDropped() throws {
        let pipe = established()
        let b = pipe.b
        var random = SeededGenerator(seed: 5)
        let valid = packet(to: b, [nextData(for: b, [1, 2, 3])])
        var dropped = 0
        b.handlePacket([], at: pipe.now); dropped += 1
        b.handlePacket([1, 2, 3], at: pipe.now); dropped += 1
        b.handlePacket(Array(valid.dropLast(2)), at: pipe.now); dropped += 1
        var corrupted = valid
        corrupted[20] ^= 1
        b.handlePacket(corrupted, at: pipe.now); dropped += 1
        for _ in 0..<200 {
            b.handlePacket(random.bytes(Int.random(in: 0..<300, using: &random)), at: pipe.now)
            dropped += 1
        }
        // Valid checksums over nonsense chunk lengths.
        for length in [UInt16(0), 1, 3, 2000] {
            b.handlePacket(SCTPCodecTests.withChecksum(Array(valid[0..<12]) + [0, 3, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, 0]),
                           at: pipe.now)
            dropped += 1
        }
        #expect(b.statistics.malformedPacketsDropped == dropped)
        b.handlePacket(packet(to: b, tag: b.localTag &+ 1, [nextData(for: b, [9])]), at: pipe.now)
        #expect(b.statistics.verificationTagMismatches == 1)
        // Still working.
        try pipe.a.send([4, 5], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: b)[0] == [[4, 5]] }, limit: .seconds(2)))
    }

    /// RFC 9260 §3.2: the upper two bits of an unknown chunk type.
    @Test(arguments: [(UInt8(0x3F), false, false), (0x7F, false, true), (0xBF, true, false), (0xFF, true, true)])
    func unknownChunkActions(type: UInt8, continues: Bool, reports: Bool) {
        let pipe = established()
        let b = pipe.b
        _ = drainChunks(b)
        b.handlePacket(packet(to: b, [.unknown(type: type, flags: 0, value: [1, 2, 3]), nextData(for: b, [7])]), at: pipe.now)
        #expect(b.statistics.unknownChunksReceived == 1)
        var messages: [SCTPEvent] = []
        while let event = b.pollEvent() { messages.append(event) }
        #expect(messages == (continues ? [.message(stream: 0, ppid: 51, payload: [7])] : []))
        let reported = drainChunks(b).contains { chunk in
            guard case let .error(causes) = chunk else { return false }
            return causes.first?.code == SCTPCauseCode.unrecognizedChunkType && causes.first?.info.first == type
        }
        #expect(reported == reports)
    }

    @Test func forgedCookieIsIgnored() {
        let pipe = SCTPTestPipe(seed: 72)
        pipe.b.handlePacket(packet(to: pipe.b, [.cookieEcho(cookie: [UInt8](repeating: 1, count: SCTPCookie.bodySize + 32))]), at: pipe.now)
        #expect(pipe.b.state == .closed)
        #expect(pipe.b.statistics.malformedPacketsDropped == 1)
        #expect(pipe.b.pollTransmit() == nil)
    }

    @Test func staleCookieIsReported() {
        let pipe = SCTPTestPipe(seed: 73)
        pipe.a.connect(at: pipe.now)
        let initPacket = pipe.a.pollTransmit()!
        pipe.b.handlePacket(initPacket, at: pipe.now)
        let initAck = pipe.b.pollTransmit()!
        pipe.a.handlePacket(initAck, at: pipe.now)
        let echo = pipe.a.pollTransmit()!
        pipe.b.handlePacket(echo, at: pipe.now + .seconds(61))
        #expect(pipe.b.state == .closed)
        let chunks = drainChunks(pipe.b)
        #expect(chunks.contains { if case let .error(causes) = $0 { causes.first?.code == SCTPCauseCode.staleCookie } else { false } })
    }

    @Test func dataOnAnUnknownStreamIsReportedAndAcknowledged() {
        let pipe = SCTPTestPipe(seed: 74) { $0.maxInboundStreams = 4 }
        pipe.connect()
        let b = pipe.b
        let tsn = b.tracker.cumulative &+ 1
        b.handlePacket(packet(to: b, [.data(SCTPDataChunk(tsn: tsn, streamID: 9, ssn: 0, ppid: 51, unordered: false,
                                                           beginning: true, ending: true, immediate: true, payload: [1]))]),
                       at: pipe.now)
        let chunks = drainChunks(b)
        #expect(chunks.contains { if case let .error(causes) = $0 { causes.first?.code == SCTPCauseCode.invalidStreamIdentifier } else { false } })
        #expect(chunks.contains { if case let .sack(sack) = $0 { sack.cumulativeTSN == tsn } else { false } })
        #expect(b.pollEvent() == nil)
    }
}
