import STUN
import TandemBase

extension ICEAgent {
    /// RFC 7675 §5.1: consent requests on the selected pair every `consentInterval` ×0.8–1.2,
    /// each a fresh authenticated Binding request retransmitted until the next one is due. Only
    /// authenticated responses refresh consent: incoming data or requests prove nothing about the
    /// peer's willingness to receive, so they do not count.
    func runConsent(at now: Instant) {
        guard var state = consent, !state.expired, let pair = pair(withID: state.pairID) else { return }
        if now - state.lastResponseAt >= configuration.consentTimeout {
            // Consent expired: stop sending on this pair (RFC 7675 §5.1).
            state.expired = true
            consent = state
            for (id, transaction) in transactions {
                if case .consent = transaction.purpose { transactions[id] = nil }
            }
            return
        }
        guard now >= state.nextRequestAt else { return }
        let interval = jitter(configuration.consentInterval)
        state.nextRequestAt = now + interval
        consent = state
        let generation = pair.generation == current.number ? current : (previous ?? current)
        guard let remote = generation.remote else { return }
        let attributes: [STUNAttribute] = [
            .username("\(remote.ufrag):\(generation.local.ufrag)"),
            .priority(peerReflexivePriority(for: pair.local)),
            role == .controlling ? .iceControlling(tieBreaker: tieBreaker) : .iceControlled(tieBreaker: tieBreaker),
        ]
        startTransaction(.consent(pairID: pair.id), attributes: attributes,
                         key: STUNCredentials.shortTermKey(password: remote.pwd), from: pair.socket, to: pair.remote.address,
                         rto: configuration.minimumCheckRTO, transmissions: Int.max, expiresAt: now + interval, at: now)
    }

    /// An authenticated response to a consent request.
    func handleConsentResponse(_ message: STUNMessage, transaction: StunTransaction, pairID: Int,
                               from: TransportAddress, to socket: TransportAddress, at now: Instant) {
        guard message.messageClass == .successResponse, from == transaction.request.to, socket == transaction.request.from,
              var state = consent, state.pairID == pairID, !state.expired else { return }
        state.lastResponseAt = now
        consent = state
    }

    var consentDeadline: Instant? {
        guard let state = consent, !state.expired else { return nil }
        var deadline = Optional(state.nextRequestAt).earliest(state.lastResponseAt + configuration.consentTimeout)
        let disconnectAt = state.lastResponseAt + configuration.disconnectedTimeout
        if disconnectAt > lastNow { deadline = deadline.earliest(disconnectAt) }
        return deadline
    }
}
