import Testing
import TandemBase
@testable import SCTP

@Suite struct SCTPStreamTests {
    @Test func sixtyFourStreamsAtOnce() throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(5), jitter: .milliseconds(3), loss: 0.05), seed: 41)
        pipe.connect()
        var expected: [UInt16: [[UInt8]]] = [:]
        for round in 0..<5 {
            for stream in UInt16(0)..<64 {
                let message = [UInt8](repeating: UInt8(stream), count: 100 + Int(stream) * 50 + round * 700)
                try pipe.a.send(message, stream: stream, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
                expected[stream, default: []].append(message)
            }
        }
        #expect(pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == 320 }, limit: .seconds(120)))
        #expect(sameMessages(pipe.messages(receivedBy: pipe.b), expected))
    }

    @Test func smallMessageOvertakesBulkQueue() throws {
        let pipe = SCTPTestPipe(seed: 42)
        pipe.connect()
        for _ in 0..<32 {
            try pipe.a.send([UInt8](repeating: 1, count: 64 * 1024), stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        pipe.advance(.milliseconds(30))
        try pipe.a.send([2], stream: 2, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.b)[2] != nil }, limit: .seconds(10)))
        // The bulk stream's queue is far from drained when the small message arrives.
        #expect((pipe.messages(receivedBy: pipe.b)[1]?.count ?? 0) < 16)
    }

    @Test func streamOutOfRangeAndNotEstablished() {
        let pipe = SCTPTestPipe { $0.outboundStreams = 8 }
        #expect(throws: SCTPSendError.notEstablished) {
            try pipe.a.send([1], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        }
        pipe.connect()
        #expect(throws: SCTPSendError.streamOutOfRange(8)) {
            try pipe.a.send([1], stream: 8, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        }
    }

    @Test func smallMTUIsRaisedToTheMinimum() throws {
        let pipe = SCTPTestPipe { $0.mtu = 100 }
        pipe.connect()
        try pipe.a.send([UInt8](repeating: 4, count: 5000), stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        var largest = 0
        while let packet = pipe.a.pollTransmit() { largest = max(largest, packet.count) }
        #expect(largest == SCTPAssociation.minimumMTU)
    }

    @Test func emptyMessageDoesNotTrap() throws {
        let pipe = SCTPTestPipe()
        pipe.connect()
        try pipe.a.send([], stream: 0, ppid: 56, ordered: true, reliability: .reliable, at: pipe.now)
        try pipe.a.send([7], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.b)[0]?.count == 2 }, limit: .seconds(5)))
        #expect(pipe.messages(receivedBy: pipe.b)[0] == [[], [7]])
    }
}

@Suite struct SCTPStreamResetTests {
    @Test func resetInBothDirections() throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(5), jitter: .milliseconds(3), loss: 0.1), seed: 51)
        pipe.connect()
        for index in 0..<20 {
            try pipe.a.send([UInt8(index)], stream: 3, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        }
        try pipe.a.send([UInt8](repeating: 5, count: 50_000), stream: 3, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.a.resetStreams([3], at: pipe.now)
        #expect(throws: SCTPSendError.streamResetting(3)) {
            try pipe.a.send([1], stream: 3, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        }
        #expect(pipe.run(until: { pipe.events(of: pipe.a).contains(.outgoingStreamsResetDone([3])) }, limit: .seconds(30)))
        // Every message sent before the reset arrived before the peer reported it.
        let eventsB = pipe.events(of: pipe.b)
        let resetIndex = try #require(eventsB.firstIndex(of: .incomingStreamsReset([3])))
        #expect(eventsB[..<resetIndex].filter { if case .message = $0 { true } else { false } }.count == 21)

        // The stream is reusable, its SSNs start again at 0, and the peer resets its side too.
        try pipe.a.send([42], stream: 3, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        try pipe.b.send([43], stream: 3, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.b.resetStreams([3], at: pipe.now)
        #expect(pipe.run(until: { pipe.events(of: pipe.b).contains(.outgoingStreamsResetDone([3]))
                                  && pipe.messages(receivedBy: pipe.b)[3]?.last == [42] }, limit: .seconds(30)))
        #expect(pipe.events(of: pipe.a).contains(.incomingStreamsReset([3])))
        #expect(pipe.messages(receivedBy: pipe.a)[3] == [[43]])
        try pipe.b.send([44], stream: 3, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(pipe.run(until: { pipe.messages(receivedBy: pipe.a)[3]?.last == [44] }, limit: .seconds(30)))
    }
}

@Suite struct SCTPShutdownTests {
    @Test(arguments: [false, true])
    func gracefulShutdownDeliversQueuedDataFirst(fromB: Bool) throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(5), jitter: .milliseconds(2), loss: 0.1), seed: 61)
        pipe.connect()
        let (sender, receiver) = fromB ? (pipe.b, pipe.a) : (pipe.a, pipe.b)
        for index in 0..<30 {
            try sender.send([UInt8](repeating: UInt8(index), count: 3000), stream: 0, ppid: 53, ordered: true,
                            reliability: .reliable, at: pipe.now)
        }
        sender.shutdown(at: pipe.now)
        #expect(sender.state == .shutdownPending)
        #expect(throws: SCTPSendError.notEstablished) {
            try sender.send([1], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        }
        #expect(pipe.run(until: { pipe.a.state == .closed && pipe.b.state == .closed }, limit: .seconds(60)))
        #expect(pipe.messages(receivedBy: receiver)[0]?.count == 30)
        #expect(pipe.events(of: pipe.a).last == .closed(.shutdown))
        #expect(pipe.events(of: pipe.b).last == .closed(.shutdown))
        #expect(pipe.a.pollTimeout() == nil && pipe.b.pollTimeout() == nil)
    }

    @Test func simultaneousShutdown() {
        let pipe = SCTPTestPipe()
        pipe.connect()
        pipe.a.shutdown(at: pipe.now)
        pipe.b.shutdown(at: pipe.now)
        #expect(pipe.run(until: { pipe.a.state == .closed && pipe.b.state == .closed }, limit: .seconds(10)))
        #expect(pipe.events(of: pipe.a).last == .closed(.shutdown))
        #expect(pipe.events(of: pipe.b).last == .closed(.shutdown))
    }

    @Test func abortReachesThePeer() throws {
        let pipe = SCTPTestPipe()
        pipe.connect()
        try pipe.a.send([1, 2, 3], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.b.abort(reason: "going away", at: pipe.now)
        pipe.advance(.seconds(1))
        #expect(pipe.events(of: pipe.b).last == .closed(.abortedLocally("going away")))
        #expect(pipe.events(of: pipe.a).last == .closed(.abortedByPeer("going away")))
        #expect(pipe.a.state == .closed && pipe.a.pollTimeout() == nil)
    }

    @Test func silentPeerFailsTheAssociation() throws {
        let pipe = SCTPTestPipe { $0.maxRetransmitsBeforeAbort = 4; $0.maxRTO = .seconds(4) }
        pipe.connect()
        pipe.blockBToA = true
        try pipe.a.send([1, 2, 3], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.advance(.seconds(60))
        #expect(pipe.events(of: pipe.a).last == .closed(.failed("DATA unanswered after 4 retransmissions")))
        #expect(pipe.a.statistics.t3Expirations == 5)
    }

    /// §6.3.3 E2 doubles the RTO at each expiry; `maxTimerBackoff` stops the doubling there, so the
    /// retransmissions of a blocked path keep coming every few seconds, then the association fails.
    @Test func timerBackoffStopsAtItsCap() throws {
        let pipe = SCTPTestPipe { $0.maxRetransmitsBeforeAbort = 6; $0.maxTimerBackoff = .seconds(3) }
        pipe.connect()
        pipe.blockBToA = true
        try pipe.a.send([1, 2, 3], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.advance(.seconds(12))
        // Five expiries by now: doubling alone would have taken the RTO past 6 s.
        #expect(pipe.a.statistics.t3Expirations == 5)
        #expect(pipe.a.statistics.rto == .seconds(3))
        pipe.advance(.seconds(10))
        #expect(pipe.events(of: pipe.a).last == .closed(.failed("DATA unanswered after 6 retransmissions")))
    }

    @Test func idlePeerIsProbedByHeartbeatAndFails() {
        let pipe = SCTPTestPipe {
            $0.maxRetransmitsBeforeAbort = 2
            $0.heartbeatInterval = .seconds(5)
        }
        pipe.connect()
        pipe.advance(.seconds(30))
        // Heartbeats answered: still up, and the RTT was measured.
        #expect(pipe.a.state == .established)
        #expect(pipe.a.statistics.srtt != nil)
        pipe.blockBToA = true
        pipe.advance(.seconds(60))
        #expect(pipe.events(of: pipe.a).last == .closed(.failed("HEARTBEAT unanswered after 2 retransmissions")))
    }
}

@Suite struct SCTPBufferTests {
    @Test func sendBufferLimitIsEnforced() throws {
        let pipe = SCTPTestPipe { $0.sendBufferLimit = 10_000 }
        pipe.connect()
        try pipe.a.send([UInt8](repeating: 0, count: 6000), stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        #expect(throws: SCTPSendError.sendBufferFull(limit: 10_000)) {
            try pipe.a.send([UInt8](repeating: 0, count: 6000), stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        #expect(throws: SCTPSendError.messageTooLarge(size: 10_001, limit: 10_000)) {
            try pipe.a.send([UInt8](repeating: 0, count: 10_001), stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        #expect(pipe.a.bufferedAmount(stream: 0) == 6000)
        pipe.advance(.seconds(1))
        #expect(pipe.a.bufferedAmount(stream: 0) == 0)
        try pipe.a.send([UInt8](repeating: 0, count: 6000), stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
    }

    @Test func bufferedAmountLowFiresOnceWhenCrossingTheThreshold() throws {
        let pipe = SCTPTestPipe()
        pipe.connect()
        pipe.a.setBufferedAmountLowThreshold(10_000, stream: 5)
        for _ in 0..<20 {
            try pipe.a.send([UInt8](repeating: 0, count: 5000), stream: 5, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        #expect(pipe.a.bufferedAmount(stream: 5) == 100_000)
        #expect(pipe.run(until: { pipe.events(of: pipe.a).contains(.bufferedAmountLow(stream: 5)) }, limit: .seconds(10)))
        #expect(pipe.a.bufferedAmount(stream: 5) <= 10_000)
        pipe.advance(.seconds(1))
        #expect(pipe.events(of: pipe.a).filter { $0 == .bufferedAmountLow(stream: 5) }.count == 1)
        #expect(pipe.a.bufferedAmount(stream: 5) == 0)
    }

    @Test func oversizedIncomingMessageAbortsTheAssociation() throws {
        let pipe = SCTPTestPipe { $0.maxMessageSize = 20_000 }
        pipe.connect()
        try pipe.a.send([UInt8](repeating: 0, count: 30_000), stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        pipe.advance(.seconds(1))
        guard case let .closed(.abortedLocally(reason))? = pipe.events(of: pipe.b).last else {
            Issue.record("B did not abort: \(pipe.events(of: pipe.b))")
            return
        }
        #expect(reason.contains("20000-byte limit"))
        #expect(pipe.events(of: pipe.a).last == .closed(.abortedByPeer(reason)))
    }
}

@Suite struct SCTPFlowControlTests {
    @Test func congestionWindowCapBoundsTheFlight() throws {
        let pipe = SCTPTestPipe { $0.maxCongestionWindow = 32 * 1024 }
        pipe.connect()
        for _ in 0..<40 {
            try pipe.a.send([UInt8](repeating: 3, count: 64 * 1024), stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        var peak = 0
        #expect(pipe.run(until: {
            peak = max(peak, pipe.a.statistics.outstandingBytes)
            return pipe.messageCount(receivedBy: pipe.b) == 40
        }, limit: .seconds(30)))
        #expect(pipe.a.statistics.congestionWindow == 32 * 1024)
        #expect(peak <= 32 * 1024 + 1200)
    }

    /// Bulk data on stream 0 through a bottleneck, and a small message on stream 1 sent after `after`:
    /// when the small message arrived (virtual time after it was sent), when the bulk was all in, and the
    /// largest flight.
    static func bulkWithProbe(bandwidth: Double, delay: Duration, bulk: Int, probeAfter after: Duration,
                              configure: @escaping (inout SCTPConfiguration) -> Void) throws -> (probe: Duration?, done: Duration?, peak: Int) {
        let pipe = SCTPTestPipe(impairments: .init(delay: delay, bandwidth: bandwidth), configure: configure)
        pipe.connect()
        let start = pipe.now
        for _ in 0..<bulk / 65_536 {
            try pipe.a.send([UInt8](repeating: 3, count: 65_536), stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
        }
        var peak = 0
        var probe: Duration?
        var done: Duration?
        var probeSentAt: Instant?
        pipe.run(until: {
            peak = max(peak, pipe.a.statistics.outstandingBytes)
            if probeSentAt == nil, pipe.now - start >= after {
                probeSentAt = pipe.now
                try? pipe.a.send([1, 2, 3], stream: 1, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
            }
            if probe == nil, let sent = probeSentAt, pipe.messages(receivedBy: pipe.b)[1] != nil { probe = pipe.now - sent }
            if done == nil, pipe.messages(receivedBy: pipe.b)[0]?.count == bulk / 65_536 { done = pipe.now - start }
            return probe != nil && done != nil
        }, limit: .seconds(120))
        return (probe, done, peak)
    }

    /// 1 MB/s with 20 ms each way: the path holds 41 KB. Loss-based cwnd alone keeps filling the queue
    /// (nothing is lost), so a message sent into a running transfer waits for most of a second (and
    /// longer as cwnd grows); the limit keeps it near one round trip, and the link stays busy.
    @Test func inFlightLimitKeepsTheQueueOfASlowPathShort() throws {
        let limited = try Self.bulkWithProbe(bandwidth: 1e6, delay: .milliseconds(20), bulk: 4 << 20, probeAfter: .seconds(2)) {
            $0.inFlightLimit = InFlightLimit()
        }
        let unlimited = try Self.bulkWithProbe(bandwidth: 1e6, delay: .milliseconds(20), bulk: 4 << 20, probeAfter: .seconds(2)) {
            $0.inFlightLimit = nil
        }
        let probe = try #require(limited.probe), done = try #require(limited.done)
        #expect(probe < .milliseconds(200))
        // Twice the 41 KB the path holds (40 ms and a packet's time on the link).
        #expect(limited.peak <= 90_000)
        #expect(done < .milliseconds(4_800))
        #expect(try #require(unlimited.probe) > .milliseconds(500))
    }

    /// 10 MB/s with 50 ms each way: the path holds 1 MB, far beyond the limit's minimum. The flight grows
    /// past it and the transfer takes about as long as without the limit.
    @Test func inFlightLimitGrowsWithTheBandwidthDelayProduct() throws {
        let limited = try Self.bulkWithProbe(bandwidth: 10e6, delay: .milliseconds(50), bulk: 12 << 20, probeAfter: .seconds(1)) {
            $0.inFlightLimit = InFlightLimit()
        }
        let unlimited = try Self.bulkWithProbe(bandwidth: 10e6, delay: .milliseconds(50), bulk: 12 << 20, probeAfter: .seconds(1)) {
            $0.inFlightLimit = nil
        }
        #expect(limited.peak > 1_000_000)
        let done = try #require(limited.done), doneWithout = try #require(unlimited.done)
        #expect(done < doneWithout * 1.1)
        #expect(try #require(limited.probe) < .milliseconds(300))
    }

    /// A lone message is one packet: without the I bit (RFC 7053) the receiver would hold its SACK for
    /// the delayed-ack timeout, as long as the minimum RTO, and T3-rtx would fire for a chunk that arrived.
    @Test func aLoneMessageIsAcknowledgedWithinARoundTrip() throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(5)))
        pipe.connect()
        pipe.advance(.seconds(1))
        for _ in 0..<3 {
            let sent = pipe.now
            try pipe.a.send([1, 2, 3], stream: 0, ppid: 51, ordered: true, reliability: .reliable, at: pipe.now)
            #expect(pipe.run(until: { pipe.a.statistics.outstandingBytes == 0 }, limit: .seconds(1)))
            #expect(pipe.now - sent < .milliseconds(20))
            pipe.advance(.milliseconds(500))
        }
        #expect(pipe.a.statistics.t3Expirations == 0)
    }

    @Test func smallReceiveWindowStillDeliversEverything() throws {
        let pipe = SCTPTestPipe(impairments: .init(delay: .milliseconds(2), jitter: .milliseconds(2), loss: 0.05), seed: 81) {
            $0.receiveWindow = 24_000
            $0.maxMessageSize = 20_000
        }
        pipe.connect()
        var expected: [[UInt8]] = []
        for index in 0..<60 {
            let message = [UInt8](repeating: UInt8(index), count: 1000 + index * 300)
            try pipe.a.send(message, stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: pipe.now)
            expected.append(message)
        }
        #expect(pipe.run(until: { pipe.messageCount(receivedBy: pipe.b) == 60 }, limit: .seconds(120)))
        #expect(sameMessages(pipe.messages(receivedBy: pipe.b)[0] ?? [], expected))
        // The peer's advertised window bounded what was in flight.
        #expect(pipe.a.statistics.peerReceiveWindow <= 24_000)
    }

    @Test func unknownInitParametersAreReportedInTheInitAck() throws {
        let pipe = SCTPTestPipe(seed: 82)
        pipe.a.connect(at: pipe.now)
        let initBytes = try #require(pipe.a.pollTransmit())
        var packet = try SCTPPacket.decode(initBytes)
        guard case var .initiation(chunk) = packet.chunks[0] else { Issue.record("not an INIT"); return }
        chunk.parameters.append(.other(type: 0xC00F, tlv: [0xC0, 0x0F, 0, 6, 1, 2]))
        packet.chunks = [.initiation(chunk)]
        pipe.b.handlePacket(packet.encode(), at: pipe.now)
        let reply = try SCTPPacket.decode(try #require(pipe.b.pollTransmit()))
        guard case let .initiationAck(ack) = reply.chunks[0] else { Issue.record("not an INIT ACK"); return }
        #expect(ack.parameters.contains(.unrecognizedParameter([0xC0, 0x0F, 0, 6, 1, 2])))
        #expect(reply.verificationTag == chunk.initiateTag)
    }
}

@Suite struct SCTPDeferredResetTests {
    func responses(_ side: SCTPAssociation) -> [UInt32] {
        var results: [UInt32] = []
        while let bytes = side.pollTransmit() {
            for chunk in (try? SCTPPacket.decode(bytes))?.chunks ?? [] {
                if case let .reconfig(parameters) = chunk {
                    for case let .response(_, result) in parameters { results.append(result) }
                }
            }
        }
        return results
    }

    func request(_ side: SCTPAssociation, sequence: UInt32, lastTSN: UInt32) -> [UInt8] {
        SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: side.localTag,
                   chunks: [.reconfig([.outgoingReset(requestSequence: sequence, responseSequence: 0,
                                                      senderLastTSN: lastTSN, streams: [2])])]).encode()
    }

    /// RFC 6525 §5.2.2: data still missing → "in progress"; asked again (same or next sequence number,
    /// as dcSCTP does) once it arrived → performed; a plain retransmission gets the same answer.
    @Test(arguments: [false, true])
    func resetWaitsForTheSendersLastTSN(retryWithNextSequence: Bool) {
        let pipe = SCTPTestPipe(seed: 91)
        pipe.connect()
        let b = pipe.b
        _ = responses(b)
        let first = b.peerNextReconfigSequence
        let missing = b.tracker.cumulative &+ 1
        b.handlePacket(request(b, sequence: first, lastTSN: missing), at: pipe.now)
        #expect(responses(b) == [SCTPReconfigResult.inProgress])
        #expect(b.pollEvent() == nil)
        b.handlePacket(SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: b.localTag,
                                  chunks: [.data(SCTPDataChunk(tsn: missing, streamID: 2, ssn: 0, ppid: 51, unordered: false,
                                                               beginning: true, ending: true, payload: [1]))]).encode(),
                       at: pipe.now)
        let retry = retryWithNextSequence ? first &+ 1 : first
        b.handlePacket(request(b, sequence: retry, lastTSN: missing), at: pipe.now)
        #expect(responses(b).last == SCTPReconfigResult.successPerformed)
        var events: [SCTPEvent] = []
        while let event = b.pollEvent() { events.append(event) }
        #expect(events == [.message(stream: 2, ppid: 51, payload: [1]), .incomingStreamsReset([2])])
        b.handlePacket(request(b, sequence: retry, lastTSN: missing), at: pipe.now)
        #expect(responses(b) == [SCTPReconfigResult.successPerformed])
        #expect(b.pollEvent() == nil)
        b.handlePacket(request(b, sequence: retry &+ 5, lastTSN: missing), at: pipe.now)
        #expect(responses(b) == [SCTPReconfigResult.errorBadSequenceNumber])
    }
}
