import SignalingCore
import SignalingModel

/// Walks the whole audit chain of a store, page by page, from its anchor, then checks both ends: the newest record
/// must be the head recorded with every append (else the newest records were removed), and an anchor other than the
/// genesis must be the one the newest retention record names (else old records were removed and the anchor
/// rewritten by hand).
public enum AuditVerification {
    public struct Report: Sendable {
        public var checked: Int
        /// The first problem found, or nil when the chain is intact.
        public var problem: String?
        /// The newest record's sequence and hash (what an operator may keep elsewhere to compare later).
        public var head: (sequence: Int64, hash: String)?
        public var intact: Bool { problem == nil }
    }

    public static func verify(_ store: any Store, pageSize: Int = 1000) async throws -> Report {
        let anchor = try await store.auditAnchor()
        let recordedHead = try await store.auditHead()
        var verifier = AuditChain.Verifier(anchorHash: anchor.hash, anchorSequence: anchor.sequence ?? 0)
        var after = anchor.sequence ?? 0
        var newest: AuditRecord?
        var anchorClaim: (sequence: String, hash: String)?
        while true {
            let page = try await store.auditRecords(tenantID: nil, afterSequence: after, limit: pageSize)
            for record in page {
                if let problem = verifier.check(record) {
                    return Report(checked: verifier.checked, problem: problem, head: recordedHead)
                }
                if let sequence = record.entry.details[AuditAnchorClaim.sequenceKey],
                   let hash = record.entry.details[AuditAnchorClaim.hashKey] {
                    anchorClaim = (sequence, hash)
                }
                newest = record
            }
            guard let last = page.last, page.count == pageSize else { break }
            after = last.sequence
        }
        let problem = headProblem(newest: newest, recorded: recordedHead, anchor: anchor)
            ?? anchorProblem(anchor: anchor, claim: anchorClaim)
        return Report(checked: verifier.checked, problem: problem, head: newest.map { ($0.sequence, $0.hash) })
    }

    static func headProblem(newest: AuditRecord?, recorded: (sequence: Int64, hash: String)?,
                            anchor: (sequence: Int64?, hash: String)) -> String? {
        let end = newest.map { ($0.sequence, $0.hash) } ?? (anchor.sequence ?? 0, anchor.hash)
        guard let recorded else {
            return newest == nil ? nil : "the chain's head record is missing (it is written with every append)"
        }
        if end.0 < recorded.sequence {
            return "the chain ends at record \(end.0) but its head is record \(recorded.sequence): the newest records were removed"
        }
        if end.0 > recorded.sequence {
            return "the chain runs to record \(end.0) past its head, record \(recorded.sequence): records were added behind the service's back"
        }
        if end.1 != recorded.hash {
            return "record \(end.0) is not the record the head names (replaced)"
        }
        return nil
    }

    static func anchorProblem(anchor: (sequence: Int64?, hash: String), claim: (sequence: String, hash: String)?)
        -> String?
    {
        guard let sequence = anchor.sequence else { return nil }
        guard let claim, claim.sequence == String(sequence), claim.hash == anchor.hash else {
            return "the chain starts after record \(sequence), but no retention record moved it there: old records were removed"
        }
        return nil
    }
}
