import Testing
import TandemBase
@testable import SCTP

/// Both directions at once, every kind of stream side by side, on a lossy, reordering, duplicating
/// path, with and without I-DATA: what must arrive arrives once and in order, what may be dropped is
/// never duplicated or reordered, and afterwards both ends are idle and shut down cleanly.
@Suite struct SCTPMixedTrafficTests {
    struct Kind {
        var ordered: Bool
        var reliability: SCTPReliability
    }

    static let kinds: [Kind] = [
        Kind(ordered: true, reliability: .reliable),
        Kind(ordered: false, reliability: .reliable),
        Kind(ordered: true, reliability: .maxRetransmits(1)),
        Kind(ordered: false, reliability: .maxPacketLifeTime(.milliseconds(300))),
    ]

    @Test(arguments: [(UInt64(201), false), (202, true), (203, false), (204, true)])
    func mixedTraffic(seed: UInt64, interleaving: Bool) throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(8), jitter: .milliseconds(6), loss: 0.15, duplication: 0.03),
                                seed: seed) { $0.enableMessageInterleaving = interleaving }
        pipe.connect(simultaneous: true)
        var random = SeededGenerator(seed: seed)
        var sent: [(from: SCTPAssociation, stream: UInt16, payload: [UInt8])] = []
        for index in 0..<160 {
            let from = index % 2 == 0 ? pipe.a : pipe.b
            let stream = UInt16(Int.random(in: 0..<8, using: &random))
            let kind = Self.kinds[Int(stream) % Self.kinds.count]
            let size = Bool.random(using: &random) ? Int.random(in: 4...300, using: &random) : Int.random(in: 1200...20_000, using: &random)
            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
            payload[0] = UInt8(index & 0xFF)
            payload[1] = UInt8(index >> 8)
            try from.send(payload, stream: stream, ppid: 53, ordered: kind.ordered, reliability: kind.reliability, at: pipe.now)
            sent.append((from, stream, payload))
            if index % 40 == 39 { pipe.advance(.milliseconds(Int64.random(in: 5...60, using: &random))) }
        }
        pipe.advance(.seconds(20))
        pipe.impairments.loss = 0
        pipe.advance(.seconds(20))

        for (sender, receiver) in [(pipe.a, pipe.b), (pipe.b, pipe.a)] {
            let received = pipe.messages(receivedBy: receiver)
            for stream in UInt16(0)..<8 {
                let kind = Self.kinds[Int(stream) % Self.kinds.count]
                let expected = sent.filter { $0.from === sender && $0.stream == stream }.map(\.payload)
                let got = received[stream] ?? []
                let index = { (payload: [UInt8]) in Int(payload[0]) | Int(payload[1]) << 8 }
                #expect(Set(got.map(index)).count == got.count, "no duplicates on stream \(stream)")
                #expect(Set(got.map(index)).isSubset(of: Set(expected.map(index))))
                if kind.ordered { #expect(got.map(index) == got.map(index).sorted(), "in order on stream \(stream)") }
                if case .reliable = kind.reliability {
                    #expect(Set(got.map(index)) == Set(expected.map(index)), "all of stream \(stream)")
                    if kind.ordered { #expect(sameMessages(got, expected)) }
                }
            }
            #expect(sender.outstanding.isEmpty && sender.statistics.outstandingBytes == 0)
            #expect((0..<8).allSatisfy { sender.bufferedAmount(stream: UInt16($0)) == 0 })
        }
        pipe.b.shutdown(at: pipe.now)
        #expect(pipe.run(until: { pipe.a.state == .closed && pipe.b.state == .closed }, limit: .seconds(30)))
        #expect(pipe.events(of: pipe.a).last == .closed(.shutdown))
        #expect(pipe.oversizedPackets == 0)
    }
}
