import STUN
import TandemBase

extension ICEAgent {
    /// Hands the agent a received datagram. Returns true when it was STUN and the agent consumed
    /// it (answered, used or dropped as the RFCs say); false for anything else (DTLS, RTP, …) and
    /// for datagrams on sockets the agent does not know.
    public func handleDatagram(_ bytes: [UInt8], from: TransportAddress, to local: TransportAddress, at now: Instant) -> Bool {
        guard connectionState != .closed, sockets.contains(local), STUNMessage.looksLikeSTUN(bytes) else { return false }
        lastNow = max(lastNow, now)
        // RFC 8445 §7.2.2 / §7.3: ICE messages carry FINGERPRINT; a wrong one is not for us. Bytes
        // that do not decode are dropped without answer (RFC 8489 §6.3).
        guard STUNMessage.verifyFingerprint(bytes) != .mismatch,
              let message = try? STUNMessage.decode(bytes), message.method == .binding else { return true }
        switch message.messageClass {
        case .request:
            handleRequest(message, raw: bytes, from: from, to: local, at: now)
        case .successResponse, .errorResponse:
            handleResponse(message, raw: bytes, from: from, to: local, at: now)
        case .indication:
            break  // keepalive (RFC 8445 §11): nothing to do
        }
        updateState(now)
        return true
    }

    private func handleResponse(_ message: STUNMessage, raw: [UInt8], from: TransportAddress, to socket: TransportAddress,
                                at now: Instant) {
        guard let transaction = transactions[message.transactionID] else { return }
        if let key = transaction.responseKey {
            // RFC 8489 §9.1.4: a response that fails the integrity check is discarded.
            guard STUNMessage.verifyMessageIntegrity(raw, key: key) == .valid else { return }
        }
        transactions[message.transactionID] = nil
        switch transaction.purpose {
        case .check:
            handleCheckResponse(message, transaction: transaction, from: from, to: socket, at: now)
        case let .gathering(gatheringSocket, server):
            handleGatheringResponse(message, socket: gatheringSocket, server: server, from: from, at: now)
        case let .consent(pairID):
            handleConsentResponse(message, transaction: transaction, pairID: pairID, from: from, to: socket, at: now)
        }
    }

    /// Runs every timer that is due: retransmissions, the Ta pacing of checks, nomination, consent.
    public func handleTimeout(at now: Instant) {
        guard connectionState != .closed else { return }
        lastNow = max(lastNow, now)
        processTransactions(at: now)
        announceGatheringIfDone()
        nominateIfReady(at: now)
        sendPacedCheck(at: now)
        runConsent(at: now)
        updateState(now)
    }

    /// When `handleTimeout` should next be called; nil when nothing is scheduled.
    public func pollTimeout() -> Instant? {
        guard connectionState != .closed else { return nil }
        var deadline = nextTransactionDeadline.earliest(nextCheckDeadline)
        deadline = deadline.earliest(nominationDeadline).earliest(consentDeadline).earliest(failureDeadline)
        if !gatheringAnnounced, !sockets.isEmpty, !isGathering { deadline = deadline.earliest(lastNow) }
        return deadline
    }

    /// The selected pair (RFC 8445 §8.1.1): the best nominated pair of the current generation, or
    /// before nomination its best valid pair, so that data can start early. A pair of the previous
    /// generation stays selected until the current one has a valid pair (RFC 8445 §9).
    func updateSelection(at now: Instant) {
        let valid = pairs.filter { $0.generation == current.number && $0.isValid }
        let nominated = valid.filter(\.nominated)
        guard let best = (nominated.isEmpty ? valid : nominated).max(by: { $0.priority(role: role) < $1.priority(role: role) }),
              best.id != selectedPairID else { return }
        if let selected = selectedPairID.flatMap(pair(withID:)), selected.generation == current.number,
           selected.nominated, !best.nominated { return }
        selectedPairID = best.id
        if previous != nil {
            previous = nil
            pairs.removeAll { $0.generation != current.number }
            for (id, transaction) in transactions {
                if case .consent = transaction.purpose { transactions[id] = nil }
            }
        }
        consent = Consent(pairID: best.id, lastResponseAt: now, nextRequestAt: now + jitter(configuration.consentInterval))
        events.append(.selectedPairChanged(best.publicPair))
    }

    /// Checks are over once no pair waits and no check is retransmitted (RFC 8445 §8.1.2).
    private var checksOutstanding: Bool {
        pairs.contains { $0.generation == current.number && ($0.state == .waiting || $0.state == .frozen) }
            || !triggeredChecks.isEmpty
            || transactions.values.contains { if case .check = $0.purpose { !$0.cancelled } else { false } }
    }

    /// The connection state (W3C webrtc-pc §5.6.4, RFC 8445 §8.1.2, RFC 7675 §5.1).
    func updateState(_ now: Instant) {
        guard connectionState != .closed else { return }
        if let consent {
            if consent.expired || now - consent.lastResponseAt >= configuration.consentTimeout {
                setState(.failed)
            } else if now - consent.lastResponseAt >= configuration.disconnectedTimeout {
                setState(.disconnected)
            } else if let selected = pair(withID: consent.pairID), selected.generation == current.number, selected.nominated,
                      !checksOutstanding {
                // Report `connected` on the way, even when nomination came with the first success.
                if connectionState == .new || connectionState == .checking { setState(.connected) }
                setState(.completed)
            } else {
                setState(.connected)
            }
            return
        }
        // RFC 8445 §8.1.2 and RFC 8838 §8: with end-of-candidates received and gathering done, ICE
        // fails when every pair failed. The verdict waits `failureGrace` for checks from the peer,
        // whose peer-reflexive pairs may still succeed.
        let checklist = pairs.filter { $0.generation == current.number }
        let exhausted = remoteEndOfCandidates && gatheringAnnounced && triggeredChecks.isEmpty
            && !checklist.isEmpty && checklist.allSatisfy { $0.state == .failed }
        if !exhausted {
            exhaustedSince = nil
        } else if exhaustedSince == nil {
            exhaustedSince = now
        }
        if let exhaustedSince, now >= exhaustedSince + configuration.failureGrace {
            setState(.failed)
        } else if checksStarted {
            setState(.checking)
        }
    }

    var failureDeadline: Instant? {
        guard consent == nil, connectionState != .failed, let exhaustedSince else { return nil }
        return exhaustedSince + configuration.failureGrace
    }
}
