import STUN
import TandemBase

extension ICEAgent {
    /// RFC 8445 §5.1.1.2: a Binding request from the socket to each STUN server of its family.
    func startServerReflexiveGathering(from socket: TransportAddress, at now: Instant) {
        for server in configuration.stunServers where server.ip.isIPv4 == socket.ip.isIPv4 {
            startTransaction(.gathering(socket: socket, server: server), attributes: [], key: nil, from: socket, to: server,
                             rto: configuration.minimumCheckRTO, transmissions: Int.max,
                             expiresAt: now + configuration.stunServerTimeout, at: now)
        }
    }

    /// A STUN server's answer: a server-reflexive candidate unless it equals the host candidate
    /// (RFC 8445 §5.1.3: redundant candidates are dropped).
    func handleGatheringResponse(_ message: STUNMessage, socket: TransportAddress, server: TransportAddress,
                                 from: TransportAddress, at now: Instant) {
        guard from == server, message.messageClass == .successResponse else { return }
        let mappedAttribute = message.attribute(ofType: STUNAttributeType.mappedAddress)
        let legacyMapped: TransportAddress? = if case let .mappedAddress(address)? = mappedAttribute { address } else { nil }
        guard let mapped = message.xorMappedAddress ?? legacyMapped, mapped != socket,
              !localCandidates.contains(where: { $0.type == .srflx && $0.address == mapped && $0.base == socket }),
              let host = baseCandidate(of: socket) else { return }
        let localPreference = UInt16(truncatingIfNeeded: host.priority >> 8)
        let candidate = ICECandidate(
            foundation: ICECandidate.foundation(type: .srflx, baseIP: socket.ip, serverIP: server.ip),
            priority: ICECandidate.priority(type: .srflx, localPreference: localPreference),
            address: mapped, type: .srflx, relatedAddress: socket, base: socket)
        localCandidates.append(candidate)
        events.append(.localCandidate(candidate))
    }

    /// True while a STUN server has not answered.
    var isGathering: Bool {
        transactions.values.contains { if case .gathering = $0.purpose { true } else { false } }
    }

    /// Emits `.gatheringComplete` once sockets exist and no gathering transaction is outstanding.
    func announceGatheringIfDone() {
        guard !gatheringAnnounced, !sockets.isEmpty, !isGathering, connectionState != .closed else { return }
        gatheringAnnounced = true
        events.append(.gatheringComplete)
    }
}
