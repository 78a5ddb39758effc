import TandemBase

/// Stream reset (RFC 6525): our Outgoing SSN Reset Requests and the peer's.
extension SCTPAssociation {
    /// Asks the peer to reset these outgoing streams (RFC 6525 §5.1.2) once their queued messages
    /// have been handed their TSNs. send() on them throws `streamResetting` until the reset is done.
    public func resetStreams(_ streams: [UInt16], at now: Instant) {
        self.now = now
        guard state == .established, peerSupportsReconfig else { return }
        for id in streams where id < outboundStreamCount {
            let stream = sendQueue.streamCreating(id)
            guard !stream.resetRequested else { continue }
            stream.resetRequested = true
            pendingResetStreams.append(id)
        }
    }

    /// One request at a time (§5.1.1), for the requested streams whose data all has TSNs; the
    /// Sender's Last Assigned TSN lets the peer wait for that data before it resets (§5.2.2).
    func startReconfigRequestIfReady() {
        guard state == .established, reconfigRequest == nil, !pendingResetStreams.isEmpty else { return }
        let ready = pendingResetStreams.filter { sendQueue.isDrained($0) }
        guard !ready.isEmpty else { return }
        pendingResetStreams.removeAll { ready.contains($0) }
        let chunk = SCTPChunk.reconfig([.outgoingReset(requestSequence: nextReconfigSequence,
                                                       responseSequence: peerNextReconfigSequence &- 1,
                                                       senderLastTSN: nextTSN &- 1, streams: ready)])
        reconfigRequest = (nextReconfigSequence, ready, chunk)
        controlChunks.append(chunk)
        reconfigDeadline = now + rto
    }

    /// §5.1.1: the request is retransmitted on the RTO, which counts towards the association's errors.
    func reconfigExpired() {
        reconfigDeadline = nil
        guard let request = reconfigRequest else { return }
        guard countError("RE-CONFIG") else { return }
        backOffRTO()
        controlChunks.append(request.chunk)
        reconfigDeadline = now + rto
    }

    func handleReconfig(_ parameters: [SCTPReconfigParameter]) {
        guard state.isUp else { return }
        var responses: [SCTPReconfigParameter] = []
        for parameter in parameters {
            switch parameter {
            case let .outgoingReset(request, _, lastTSN, streams):
                responses.append(.response(responseSequence: request,
                                           result: peerOutgoingReset(request: request, lastTSN: lastTSN, streams: streams)))
            case let .incomingReset(request, _):
                // We never need the peer to reset its streams for us; decline (§5.2.3 permits it).
                responses.append(.response(responseSequence: request, result: declinedRequest(request)))
            case let .other(_, value) where value.count >= 4:
                let request = UInt32(value[0]) << 24 | UInt32(value[1]) << 16 | UInt32(value[2]) << 8 | UInt32(value[3])
                responses.append(.response(responseSequence: request, result: declinedRequest(request)))
            case let .response(sequence, result):
                handleReconfigResponse(sequence: sequence, result: result)
            case .other:
                break
            }
        }
        for response in responses { controlChunks.append(.reconfig([response])) }
    }

    /// §5.2.2: reset the incoming streams once every TSN up to the sender's last one has arrived;
    /// until then answer "in progress". The peer asks again either with the same sequence number
    /// (RFC 6525 §5.2.7) or, as dcSCTP does, with the next one: both are evaluated afresh.
    private func peerOutgoingReset(request: UInt32, lastTSN: UInt32, streams: [UInt16]) -> UInt32 {
        let previous = peerNextReconfigSequence &- 1
        if request == previous && lastPeerReconfigResult != SCTPReconfigResult.inProgress { return lastPeerReconfigResult }
        guard request == previous || request == peerNextReconfigSequence else { return SCTPReconfigResult.errorBadSequenceNumber }
        if request == peerNextReconfigSequence { peerNextReconfigSequence &+= 1 }
        guard tsnLessOrEqual(lastTSN, tracker.cumulative) else {
            lastPeerReconfigResult = SCTPReconfigResult.inProgress
            return SCTPReconfigResult.inProgress
        }
        if interleaving {
            interleavedReassembly.resetStreams(streams)
        } else {
            reassembly.resetStreams(streams)
        }
        lastPeerReconfigResult = SCTPReconfigResult.successPerformed
        emit(.incomingStreamsReset(streams))
        return SCTPReconfigResult.successPerformed
    }

    private func declinedRequest(_ request: UInt32) -> UInt32 {
        if request == peerNextReconfigSequence &- 1 { return lastPeerReconfigResult }
        guard request == peerNextReconfigSequence else { return SCTPReconfigResult.errorBadSequenceNumber }
        peerNextReconfigSequence &+= 1
        lastPeerReconfigResult = SCTPReconfigResult.denied
        return SCTPReconfigResult.denied
    }

    /// §5.2.7: a performed reset restarts our SSNs on those streams; "in progress" is asked again on
    /// the timer; any other answer ends the request without a reset.
    private func handleReconfigResponse(sequence: UInt32, result: UInt32) {
        guard let request = reconfigRequest, request.sequence == sequence else { return }
        switch result {
        case SCTPReconfigResult.inProgress:
            reconfigDeadline = now + rto
            return
        case SCTPReconfigResult.successPerformed, SCTPReconfigResult.successNothingToDo:
            for stream in request.streams { sendQueue.resetSequence(stream: stream) }
            emit(.outgoingStreamsResetDone(request.streams))
        default:
            for stream in request.streams { sendQueue.stream(stream)?.resetRequested = false }
        }
        errorCount = 0
        reconfigRequest = nil
        reconfigDeadline = nil
        nextReconfigSequence &+= 1
    }
}
