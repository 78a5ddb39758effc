import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPReassemblyTests {
    /// Fragments of back-to-back unordered messages, TSNs 100-199, cut into messages of 1 to 9
    /// fragments; `order` permutes their arrival.
    static func fragments(seed: UInt64) -> (chunks: [SCTPDataChunk], messages: [[UInt8]]) {
        var random = SeededGenerator(seed: seed)
        var chunks: [SCTPDataChunk] = []
        var messages: [[UInt8]] = []
        var tsn: UInt32 = 100
        while tsn < 200 {
            let count = min(Int.random(in: 1...9, using: &random), Int(200 - tsn))
            var message: [UInt8] = []
            for index in 0..<count {
                let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: tsn), count: 1 + Int(tsn % 5))
                message += payload
                chunks.append(SCTPDataChunk(tsn: tsn, streamID: 3, ssn: 0, ppid: 53, unordered: true, beginning: index == 0,
                                            ending: index == count - 1, payload: payload[...]))
                tsn += 1
            }
            messages.append(message)
        }
        return (chunks, messages)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func unorderedRunsReassembleInAnyArrivalOrder(seed: UInt64) throws {
        var (chunks, messages) = Self.fragments(seed: seed)
        var random = SeededGenerator(seed: seed &+ 100)
        chunks.shuffle(using: &random)
        var reassembly = SCTPReassembly(maxMessageSize: 1000)
        var delivered: [SCTPReassembly.Message] = []
        for chunk in chunks { try reassembly.add(chunk, delivering: &delivered) }
        #expect(delivered.map(\.payload).sorted { $0.lexicographicallyPrecedes($1) } == messages.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(reassembly.bufferedBytes == 0)
    }

    @Test func unorderedMessageOverTheLimitThrows() {
        var reassembly = SCTPReassembly(maxMessageSize: 10)
        var delivered: [SCTPReassembly.Message] = []
        let middle = SCTPDataChunk(tsn: 2, streamID: 0, ssn: 0, ppid: 0, unordered: true, beginning: false, ending: false,
                                   payload: [UInt8](repeating: 0, count: 6)[...])
        var last = middle
        last.tsn = 3
        #expect(throws: SCTPReassembly.Failure.messageTooLarge(stream: 0, size: 12)) {
            try reassembly.add(middle, delivering: &delivered)
            try reassembly.add(last, delivering: &delivered)
        }
    }

    @Test func forwardTSNDropsPartialUnorderedRuns() throws {
        var reassembly = SCTPReassembly(maxMessageSize: 1000)
        var delivered: [SCTPReassembly.Message] = []
        for tsn: UInt32 in [10, 11, 13] {
            try reassembly.add(SCTPDataChunk(tsn: tsn, streamID: 1, ssn: 0, ppid: 0, unordered: true, beginning: tsn == 10,
                                             ending: false, payload: [1, 2][...]), delivering: &delivered)
        }
        #expect(reassembly.bufferedBytes == 6)
        reassembly.forward(to: 12, skipped: [], delivering: &delivered)
        #expect(reassembly.bufferedBytes == 2)
        reassembly.forward(to: 13, skipped: [], delivering: &delivered)
        #expect(reassembly.bufferedBytes == 0)
        #expect(delivered.isEmpty)
    }

    /// Fragments of one ordered message per stream (DATA: consecutive TSNs; I-DATA: FSNs from 0), each
    /// fragment's bytes its index, arriving in a shuffled order with one fragment repeated.
    static func orderedFragments(interleaved: Bool, seed: UInt64) -> (chunks: [SCTPDataChunk], message: [UInt8]) {
        var chunks: [SCTPDataChunk] = []
        var message: [UInt8] = []
        for index in 0..<20 {
            let payload = [UInt8](repeating: UInt8(index), count: 3 + index % 4)
            message += payload
            chunks.append(SCTPDataChunk(tsn: 1000 + UInt32(index), streamID: 2, ssn: 7, ppid: 53, unordered: false,
                                        beginning: index == 0, ending: index == 19, payload: payload[...], interleaved: interleaved,
                                        messageID: 0, fragmentSequence: UInt32(index)))
        }
        var random = SeededGenerator(seed: seed)
        chunks.shuffle(using: &random)
        chunks.insert(chunks[3], at: 11)
        return (chunks, message)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func orderedFragmentsReassembleInAnyArrivalOrder(seed: UInt64) throws {
        let (chunks, message) = Self.orderedFragments(interleaved: false, seed: seed)
        var reassembly = SCTPReassembly(maxMessageSize: 1000)
        var delivered: [SCTPReassembly.Message] = []
        // SSN 7 is delivered once SSNs 0-6 are skipped (RFC 3758 §3.6).
        reassembly.forward(to: 999, skipped: [.init(streamID: 2, ssn: 6)], delivering: &delivered)
        for chunk in chunks { try reassembly.add(chunk, delivering: &delivered) }
        #expect(delivered == [SCTPReassembly.Message(stream: 2, ppid: 53, payload: message)])
        #expect(reassembly.bufferedBytes == 0)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func interleavedFragmentsReassembleInAnyArrivalOrder(seed: UInt64) throws {
        let (chunks, message) = Self.orderedFragments(interleaved: true, seed: seed)
        var reassembly = SCTPInterleavedReassembly(maxMessageSize: 1000)
        var delivered: [SCTPReassembly.Message] = []
        for chunk in chunks { try reassembly.add(chunk, delivering: &delivered) }
        #expect(delivered == [SCTPReassembly.Message(stream: 2, ppid: 53, payload: message)])
        #expect(reassembly.bufferedBytes == 0)
    }
}
