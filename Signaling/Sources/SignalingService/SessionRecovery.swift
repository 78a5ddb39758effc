import SignalingModel
import SignalingStore

/// Live sessions exist only in the memory of the service that runs them. A service that stopped without ending
/// them (a crash, a kill) leaves them `waiting`, `joined` or `active` in the store; the next start ends them with
/// reason `service_restart`, on record, before it accepts connections. (One service per database: sessions are not
/// shared between nodes yet.)
public enum SessionRecovery {
    /// Returns how many sessions were closed.
    public static func closeInterrupted(store: any Store, clock: ServiceClock) async throws -> Int {
        var closed = 0
        for tenant in try await store.tenants() {
            for state in [SessionState.waiting, .joined, .active] {
                while true {
                    let open = try await store.sessions(tenantID: tenant.id, filter: SessionFilter(state: state, limit: 500))
                    guard !open.isEmpty else { break }
                    for var session in open {
                        session.state = .ended
                        session.endedAt = clock.seconds
                        session.endReason = "service_restart"
                        try await store.appendAudit(AuditEntry(
                            time: clock.milliseconds, tenantID: tenant.id, actor: "system", action: "session.end",
                            outcome: .info, reason: "Session ended: service_restart (the service stopped while it was \(state.rawValue)).",
                            sessionID: session.id))
                        try await store.saveSession(session)
                        closed += 1
                    }
                }
            }
        }
        return closed
    }
}
