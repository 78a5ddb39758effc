import STUN
import TandemBase

extension ICEAgent {
    /// RFC 8445 §6.1.4.2: the next check to send at this Ta tick: a triggered check first, then
    /// the highest-priority Waiting pair, then the highest-priority Frozen pair whose foundation
    /// has no Waiting or In-Progress pair (which is unfrozen). Nil without the peer's password.
    func peekNextCheck() -> (pair: CheckPair, useCandidate: Bool)? {
        guard current.remote != nil, connectionState != .closed else { return nil }
        for entry in triggeredChecks {
            if let pair = pair(withID: entry.pairID), pair.generation == current.number { return (pair, entry.useCandidate) }
        }
        let checklist = pairs.filter { $0.generation == current.number }
        if let waiting = checklist.filter({ $0.state == .waiting }).max(by: { $0.priority(role: role) < $1.priority(role: role) }) {
            return (waiting, false)
        }
        let busyFoundations = Set(checklist.filter { $0.state == .waiting || $0.state == .inProgress }.map(\.foundation))
        let frozen = checklist.filter { $0.state == .frozen && !busyFoundations.contains($0.foundation) }
        return frozen.max(by: { $0.priority(role: role) < $1.priority(role: role) }).map { ($0, false) }
    }

    /// Sends one paced check if Ta has passed since the last (RFC 8445 §14.2).
    func sendPacedCheck(at now: Instant) {
        if let last = lastCheckSentAt, now < last + configuration.checkInterval { return }
        guard let (pair, useCandidate) = peekNextCheck() else { return }
        triggeredChecks.removeAll { $0.pairID == pair.id }
        // Only the controlling agent nominates; a role switch may have happened since it was queued.
        sendCheck(on: pair, useCandidate: useCandidate && role == .controlling, at: now)
        lastCheckSentAt = now
    }

    /// When the next paced check is due, if one is waiting.
    var nextCheckDeadline: Instant? {
        guard peekNextCheck() != nil else { return nil }
        guard let last = lastCheckSentAt else { return lastNow }
        return max(last + configuration.checkInterval, lastNow)
    }

    /// A connectivity check (RFC 8445 §7.2.2): USERNAME `remote:local`, PRIORITY of a
    /// peer-reflexive candidate from this base, ICE-CONTROLLING/CONTROLLED with the tie-breaker,
    /// USE-CANDIDATE when nominating, MESSAGE-INTEGRITY with the peer's password, FINGERPRINT.
    func sendCheck(on pair: CheckPair, useCandidate: Bool, at now: Instant) {
        guard let remote = current.remote else { return }
        let priority = peerReflexivePriority(for: pair.local)
        var attributes: [STUNAttribute] = [
            .username("\(remote.ufrag):\(current.local.ufrag)"),
            .priority(priority),
            role == .controlling ? .iceControlling(tieBreaker: tieBreaker) : .iceControlled(tieBreaker: tieBreaker),
        ]
        if useCandidate { attributes.append(.useCandidate) }
        let rto = checkRTO()
        let transmissions = max(1, configuration.checkTransmissions)
        // RFC 8489 §6.2.1: transmissions at 0, RTO, 3·RTO, …; failure Rm·RTO after the last.
        let lastTransmission = rto * ((1 << (transmissions - 1)) - 1)
        startTransaction(
            .check(pairID: pair.id, useCandidate: useCandidate, sentRole: role, priority: priority),
            attributes: attributes, key: STUNCredentials.shortTermKey(password: remote.pwd),
            from: pair.socket, to: pair.remote.address, rto: rto, transmissions: transmissions,
            expiresAt: now + lastTransmission + rto * configuration.checkFinalWaitMultiplier, at: now)
        if pair.state != .succeeded { pair.state = .inProgress }
        if !checksStarted {
            checksStarted = true
            updateState(now)
        }
    }

    /// RFC 8445 §14.3: RTO = MAX(500 ms, N × Ta), N being the Waiting and In-Progress pairs.
    private func checkRTO() -> Duration {
        let active = pairs.filter { $0.generation == current.number && ($0.state == .waiting || $0.state == .inProgress) }.count
        return max(configuration.minimumCheckRTO, configuration.checkInterval * max(active, 1))
    }

    /// RFC 8445 §7.2.2: the priority a peer-reflexive candidate from this base would get.
    func peerReflexivePriority(for local: ICECandidate) -> UInt32 {
        let localPreference = UInt16(truncatingIfNeeded: local.priority >> 8)
        return ICECandidate.priority(type: .prflx, localPreference: localPreference, component: local.component)
    }

    func startTransaction(_ purpose: StunTransaction.Purpose, attributes: [STUNAttribute], key: [UInt8]?,
                          from: TransportAddress, to: TransportAddress, rto: Duration, transmissions: Int,
                          expiresAt: Instant, at now: Instant) {
        let id = random.bytes(12)
        let message = STUNMessage(method: .binding, messageClass: .request, transactionID: id, attributes: attributes)
        let bytes = message.encode(integrityKey: key, fingerprint: key != nil)
        let request = ICETransmit(bytes: bytes, from: from, to: to)
        transactionSequence += 1
        transactions[id] = StunTransaction(sequence: transactionSequence, purpose: purpose, request: request, responseKey: key, rto: rto,
                                           retransmitAt: transmissions > 1 ? now + rto : nil,
                                           transmissionsLeft: transmissions - 1, expiresAt: expiresAt)
        send(request)
    }

    /// Retransmits and expires client transactions (RFC 8489 §6.2.1).
    func processTransactions(at now: Instant) {
        for id in transactions.sorted(by: { $0.value.sequence < $1.value.sequence }).map(\.key) {
            guard var transaction = transactions[id] else { continue }
            if now >= transaction.expiresAt {
                transactions[id] = nil
                if !transaction.cancelled { transactionFailed(transaction, at: now) }
                continue
            }
            guard !transaction.cancelled, let due = transaction.retransmitAt, now >= due else { continue }
            send(transaction.request)
            transaction.transmissionsLeft -= 1
            transaction.rto = transaction.rto * 2
            let next = now + transaction.rto
            transaction.retransmitAt = transaction.transmissionsLeft > 0 && next < transaction.expiresAt ? next : nil
            transactions[id] = transaction
        }
    }

    var nextTransactionDeadline: Instant? {
        var deadline: Instant?
        for transaction in transactions.values {
            deadline = deadline.earliest(transaction.expiresAt)
            if !transaction.cancelled { deadline = deadline.earliest(transaction.retransmitAt) }
        }
        return deadline
    }

    private func transactionFailed(_ transaction: StunTransaction, at now: Instant) {
        switch transaction.purpose {
        case let .check(pairID, useCandidate, _, _):
            checkFailed(pairID: pairID, nominating: useCandidate, at: now)
        case .gathering, .consent:
            break  // gathering simply yields no candidate; consent is judged by its timers
        }
    }

    func checkFailed(pairID: Int, nominating: Bool, at now: Instant) {
        guard let pair = pair(withID: pairID) else { return }
        if nominating {
            // The nomination check failed: the pair leaves the valid list (RFC 8445 §8.1.1).
            pair.isValid = false
            nominationPairID = nil
        }
        pair.state = .failed
        updateSelection(at: now)
        updateState(now)
    }

    /// Connectivity-check response (RFC 8445 §7.2.5), already matched and authenticated.
    func handleCheckResponse(_ message: STUNMessage, transaction: StunTransaction, from: TransportAddress,
                             to socket: TransportAddress, at now: Instant) {
        guard case let .check(pairID, useCandidate, sentRole, priority) = transaction.purpose,
              let pair = pair(withID: pairID) else { return }
        // §7.2.5.2.1: the response must come from where the request went, to where it came from.
        guard from == transaction.request.to, socket == transaction.request.from else {
            checkFailed(pairID: pairID, nominating: useCandidate, at: now)
            return
        }
        if message.messageClass == .errorResponse {
            if message.errorCode?.code == STUNErrorCode.roleConflict {
                // §7.2.5.1: switch role (unless already done) and check the pair again.
                if sentRole == role { switchRole(to: role.opposite) }
                if pair.state != .succeeded { pair.state = .waiting }
                enqueueTriggeredCheck(pair, useCandidate: useCandidate && role == .controlling)
            } else {
                checkFailed(pairID: pairID, nominating: useCandidate, at: now)
            }
            return
        }
        guard let mapped = message.xorMappedAddress else {
            checkFailed(pairID: pairID, nominating: useCandidate, at: now)
            return
        }
        let valid = validPair(for: pair, mapped: mapped, priority: priority)
        pair.state = .succeeded
        pair.validPairID = valid.id
        valid.isValid = true
        valid.state = .succeeded
        if firstValidAt == nil { firstValidAt = now }
        // §7.2.5.3.3: unfreeze the pairs sharing the foundation.
        for other in pairs where other.generation == pair.generation && other.state == .frozen && other.foundation == pair.foundation {
            other.state = .waiting
        }
        // §7.2.5.3.4 (controlling) and §7.3.1.5 (controlled): the nominated flag.
        if (useCandidate && role == .controlling) || (pair.nominateOnSuccess && role == .controlled) {
            valid.nominated = true
            concludeNomination(at: now)
        }
        if let consent, consent.pairID == valid.id { self.consent?.lastResponseAt = now }
        updateSelection(at: now)
        updateState(now)
    }

    /// RFC 8445 §7.2.5.3.1–7.2.5.3.2: the valid pair has the local candidate whose address is the
    /// mapped address (a new peer-reflexive one if none is), the base of the checked pair and its
    /// remote candidate.
    private func validPair(for pair: CheckPair, mapped: TransportAddress, priority: UInt32) -> CheckPair {
        if mapped == pair.local.address { return pair }
        let local: ICECandidate
        if let known = localCandidates.first(where: { $0.address == mapped && ($0.base ?? $0.address) == pair.socket }) {
            local = known
        } else {
            // Not signalled to the peer (RFC 8445 §7.2.5.3.1).
            local = ICECandidate(foundation: ICECandidate.foundation(type: .prflx, baseIP: pair.socket.ip, serverIP: nil),
                                 priority: priority, address: mapped, type: .prflx, relatedAddress: pair.socket,
                                 base: pair.socket)
            localCandidates.append(local)
        }
        if let existing = pairs.first(where: {
            $0.generation == pair.generation && $0.local.address == local.address && $0.socket == pair.socket
                && $0.remote.address == pair.remote.address
        }) {
            return existing
        }
        let valid = CheckPair(id: nextPairID, generation: pair.generation, local: local, remote: pair.remote, state: .succeeded)
        nextPairID += 1
        pairs.append(valid)
        return valid
    }

    func enqueueTriggeredCheck(_ pair: CheckPair, useCandidate: Bool) {
        if let index = triggeredChecks.firstIndex(where: { $0.pairID == pair.id }) {
            triggeredChecks[index].useCandidate = triggeredChecks[index].useCandidate || useCandidate
        } else {
            triggeredChecks.append((pair.id, useCandidate))
        }
    }

    /// RFC 8445 §7.3.1.1 / §7.2.5.1: role switch; pair priorities follow the role.
    func switchRole(to newRole: ICERole) {
        role = newRole
        nominationPairID = nil
    }

    /// Regular nomination (RFC 8445 §8.1.1): the controlling agent nominates its best valid pair
    /// once no higher-priority pair is still pending, or `nominationDelay` after the first valid pair.
    func nominateIfReady(at now: Instant) {
        guard let (best, deadline) = nominationCandidate(), now >= deadline else { return }
        nominationPairID = best.id
        enqueueTriggeredCheck(best, useCandidate: true)
    }

    /// When the controlling agent will nominate, and which pair, if it has one to nominate.
    var nominationDeadline: Instant? { nominationCandidate()?.at }

    private func nominationCandidate() -> (pair: CheckPair, at: Instant)? {
        guard role == .controlling, nominationPairID == nil, !checklistCompleted, let firstValidAt else { return nil }
        let checklist = pairs.filter { $0.generation == current.number }
        guard let best = checklist.filter(\.isValid).max(by: { $0.priority(role: role) < $1.priority(role: role) }) else { return nil }
        let betterPending = checklist.contains { $0.state.isPending && $0.priority(role: role) > best.priority(role: role) }
        return (best, betterPending ? firstValidAt + configuration.nominationDelay : lastNow)
    }

    /// RFC 8445 §8.1.2: once a pair is nominated, Waiting and Frozen pairs are dropped and checks
    /// in progress are no longer retransmitted; the check list is then Completed.
    func concludeNomination(at now: Instant) {
        pairs.removeAll { $0.generation == current.number && ($0.state == .waiting || $0.state == .frozen) }
        triggeredChecks.removeAll()
        for (id, transaction) in transactions {
            if case .check = transaction.purpose { transactions[id]?.cancelled = true }
        }
        nominationPairID = nil
    }
}
