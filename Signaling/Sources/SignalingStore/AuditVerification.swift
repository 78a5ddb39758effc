import SignalingCore
import SignalingModel

/// Walks the whole audit chain of a store, page by page, from its anchor.
public enum AuditVerification {
    public struct Report: Sendable {
        public var checked: Int
        /// The first problem found, or nil when the chain is intact.
        public var problem: String?
        public var intact: Bool { problem == nil }
    }

    public static func verify(_ store: any Store, pageSize: Int = 1000) async throws -> Report {
        let anchor = try await store.auditAnchor()
        var verifier = AuditChain.Verifier(anchorHash: anchor.hash, anchorSequence: anchor.sequence ?? 0)
        var after = anchor.sequence ?? 0
        while true {
            let page = try await store.auditRecords(tenantID: nil, afterSequence: after, limit: pageSize)
            for record in page {
                if let problem = verifier.check(record) {
                    return Report(checked: verifier.checked, problem: problem)
                }
            }
            guard let last = page.last, page.count == pageSize else { break }
            after = last.sequence
        }
        return Report(checked: verifier.checked, problem: nil)
    }
}
