import Foundation
import SignalingModel
import SignalingStore

/// Removes history older than the tenants' retention. Ended sessions follow each tenant's setting; the audit chain is
/// shared by every tenant, so it keeps records for the longest retention any tenant asks for, and moves its anchor.
public enum Retention {
    public struct Result: Codable, Sendable {
        public var sessionsRemoved: Int
        public var auditRecordsRemoved: Int
    }

    public static func apply(store: any Store, now: ServiceClock) async throws -> Result {
        let tenants = try await store.tenants()
        var sessions = 0
        for tenant in tenants {
            sessions += try await store.deleteSessions(tenantID: tenant.id,
                                                       endedBefore: now.seconds - Int64(tenant.retentionDays) * 86_400)
        }
        let longest = Int64(tenants.map(\.retentionDays).max() ?? 365)
        let removedSessions = sessions
        let time = now.milliseconds
        @Sendable func note(_ audit: Int) -> AuditEntry {
            AuditEntry(time: time, tenantID: nil, actor: "system", action: "retention", outcome: .info,
                       reason: "Retention removed \(removedSessions) ended sessions and \(audit) audit records.",
                       details: ["sessions": "\(removedSessions)", "audit": "\(audit)"])
        }
        // The record of an audit pruning is written by the store in the pruning's own transaction, with the anchor.
        let audit = try await store.pruneAudit(before: time - longest * 86_400_000, note: note)
        if audit == 0 && sessions > 0 { try await store.appendAudit(note(0)) }
        return Result(sessionsRemoved: sessions, auditRecordsRemoved: audit)
    }
}
