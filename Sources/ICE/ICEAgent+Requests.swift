import STUN
import TandemBase

extension ICEAgent {
    /// An incoming Binding request (RFC 8445 §7.3), answered from the socket it reached.
    func handleRequest(_ message: STUNMessage, raw: [UInt8], from remoteAddress: TransportAddress,
                       to socket: TransportAddress, at now: Instant) {
        func reject(_ code: UInt16, _ reason: String, key: [UInt8]? = nil, extra: [STUNAttribute] = []) {
            respond(to: message, attributes: [.errorCode(STUNErrorCode(code: code, reason: reason))] + extra,
                    messageClass: .errorResponse, key: key, from: socket, to: remoteAddress)
        }
        // RFC 8489 §9.1.3: short-term credentials. No USERNAME or MESSAGE-INTEGRITY: 400 without
        // integrity; an unknown ufrag or a wrong HMAC: 401 without integrity.
        guard let username = message.username, message.attribute(ofType: STUNAttributeType.messageIntegrity) != nil else {
            reject(STUNErrorCode.badRequest, "Bad Request")
            return
        }
        let localUfrag = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        guard let generation = [current, previous].compactMap({ $0 }).first(where: { $0.local.ufrag == localUfrag }) else {
            reject(STUNErrorCode.unauthorized, "Unauthorized")
            return
        }
        let key = STUNCredentials.shortTermKey(password: generation.local.pwd)
        guard STUNMessage.verifyMessageIntegrity(raw, key: key) == .valid else {
            reject(STUNErrorCode.unauthorized, "Unauthorized")
            return
        }
        // RFC 8489 §6.3.1.1: unknown comprehension-required attributes.
        let unknown = message.attributes.compactMap { attribute -> UInt16? in
            if case let .unknown(type, _) = attribute, STUNAttributeType.isComprehensionRequired(type) { return type }
            return nil
        }
        guard unknown.isEmpty else {
            reject(STUNErrorCode.unknownAttribute, "Unknown Attribute", key: key, extra: [.unknownAttributes(unknown)])
            return
        }
        // RFC 8445 §7.3: a check carries PRIORITY.
        guard let priority = message.priority else {
            reject(STUNErrorCode.badRequest, "Bad Request", key: key)
            return
        }
        // RFC 8445 §7.3.1.1: role conflict, settled by the tie-breakers.
        if role == .controlling, let theirs = message.iceControlling {
            if tieBreaker >= theirs {
                reject(STUNErrorCode.roleConflict, "Role Conflict", key: key)
                return
            }
            switchRole(to: .controlled)
        } else if role == .controlled, let theirs = message.iceControlled {
            if tieBreaker >= theirs {
                switchRole(to: .controlling)
            } else {
                reject(STUNErrorCode.roleConflict, "Role Conflict", key: key)
                return
            }
        }
        // RFC 8445 §7.3.1.2: success with XOR-MAPPED-ADDRESS = the source.
        respond(to: message, attributes: [.xorMappedAddress(remoteAddress)], messageClass: .successResponse, key: key,
                from: socket, to: remoteAddress)
        guard generation.number == current.number, let local = baseCandidate(of: socket) else { return }
        let remote = learnRemoteCandidate(at: remoteAddress, priority: priority)
        let useCandidate = message.hasUseCandidate && role == .controlled
        // After nomination only a new nomination from the peer adds work (RFC 8445 §8.1.2).
        let existing = findPair(socket: socket, remote: remoteAddress)
        if existing == nil && checklistCompleted && !useCandidate { return }
        guard let pair = existing ?? addPair(local: local, remote: remote, state: .waiting, evenIfCompleted: true) else { return }
        triggerCheck(on: pair, useCandidate: useCandidate, at: now)
    }

    /// RFC 8445 §7.3.1.3: a source address that matches no remote candidate is a new
    /// peer-reflexive remote candidate, with the request's PRIORITY and a foundation of its own.
    private func learnRemoteCandidate(at address: TransportAddress, priority: UInt32) -> ICECandidate {
        if let known = remoteCandidates.first(where: { $0.address == address }) { return known }
        prflxRemoteCount += 1
        let candidate = ICECandidate(foundation: "prflx\(prflxRemoteCount)", priority: priority, address: address, type: .prflx)
        remoteCandidates.append(candidate)
        return candidate
    }

    /// RFC 8445 §7.3.1.4 (triggered checks) and §7.3.1.5 (nomination by the peer).
    private func triggerCheck(on pair: CheckPair, useCandidate: Bool, at now: Instant) {
        if useCandidate { pair.nominateOnSuccess = true }
        switch pair.state {
        case .succeeded:
            if useCandidate, let valid = pair.validPairID.flatMap(pair(withID:)) ?? (pair.isValid ? pair : nil) {
                valid.nominated = true
                concludeNomination(at: now)
                updateSelection(at: now)
                updateState(now)
            }
        case .inProgress:
            // Cancel the check in flight (no retransmission, no failure on timeout) and trigger anew.
            for (id, transaction) in transactions {
                if case let .check(pairID, _, _, _) = transaction.purpose, pairID == pair.id { transactions[id]?.cancelled = true }
            }
            pair.state = .waiting
            enqueueTriggeredCheck(pair, useCandidate: false)
        case .failed, .waiting, .frozen:
            pair.state = .waiting
            enqueueTriggeredCheck(pair, useCandidate: false)
        }
    }

    /// A response with MESSAGE-INTEGRITY (when `key` is given) and FINGERPRINT (RFC 8445 §7.3.1.2).
    private func respond(to request: STUNMessage, attributes: [STUNAttribute], messageClass: STUNClass, key: [UInt8]?,
                         from socket: TransportAddress, to remote: TransportAddress) {
        let response = STUNMessage(method: .binding, messageClass: messageClass, transactionID: request.transactionID,
                                   attributes: attributes)
        send(ICETransmit(bytes: response.encode(integrityKey: key, fingerprint: true), from: socket, to: remote))
    }
}
