import SignalingCore
import SignalingModel

/// Walks the whole audit chain of a store, page by page, from its anchor, then checks both ends: the newest record
/// must be the head recorded with every append (else the newest records were removed), and an anchor other than the
/// genesis must be the one the newest retention record names (else old records were removed and the anchor
/// rewritten by hand).
///
/// Someone with write access to the database can still replace the whole chain with a new, self-consistent one
/// (every hash recomputed, the head moved with it). That is caught only against a record kept outside the
/// database: an operator keeps the head an earlier run printed, and passes it as `expecting`; the record with that
/// sequence must still carry that hash, since a chain only grows after it.
public enum AuditVerification {
    /// A record's sequence and hash kept outside the database, as `tandem audit verify` prints them.
    public struct KnownRecord: Sendable, Equatable {
        public var sequence: Int64
        public var hash: String

        public init(sequence: Int64, hash: String) {
            self.sequence = sequence
            self.hash = hash
        }

        /// Parses `SEQUENCE:HASH` (64 lowercase hex digits); nil when malformed.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let sequence = Int64(parts[0]), sequence > 0, parts[1].count == 64,
                  parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
            self.init(sequence: sequence, hash: String(parts[1]))
        }
    }

    public struct Report: Sendable {
        public var checked: Int
        /// The first problem found, or nil when the chain is intact.
        public var problem: String?
        /// The newest record's sequence and hash (what an operator may keep elsewhere to compare later).
        public var head: (sequence: Int64, hash: String)?
        public var intact: Bool { problem == nil }
    }

    public static func verify(_ store: any Store, expecting known: KnownRecord? = nil, pageSize: Int = 1000)
        async throws -> Report
    {
        let anchor = try await store.auditAnchor()
        let recordedHead = try await store.auditHead()
        var verifier = AuditChain.Verifier(anchorHash: anchor.hash, anchorSequence: anchor.sequence ?? 0)
        var after = anchor.sequence ?? 0
        var newest: AuditRecord?
        var anchorClaim: (sequence: String, hash: String)?
        var knownRecordHash: String?
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
                if record.sequence == known?.sequence { knownRecordHash = record.hash }
                newest = record
            }
            guard let last = page.last, page.count == pageSize else { break }
            after = last.sequence
        }
        let problem = headProblem(newest: newest, recorded: recordedHead, anchor: anchor)
            ?? anchorProblem(anchor: anchor, claim: anchorClaim)
            ?? known.flatMap { knownRecordProblem($0, found: knownRecordHash, anchor: anchor, newest: newest?.sequence) }
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

    /// Compares the record kept outside the database with the chain's record of that sequence.
    static func knownRecordProblem(_ known: KnownRecord, found: String?, anchor: (sequence: Int64?, hash: String),
                                   newest: Int64?) -> String?
    {
        let hash: String
        if let found {
            hash = found
        } else if let anchorSequence = anchor.sequence, known.sequence <= anchorSequence {
            guard known.sequence == anchorSequence else {
                return "record \(known.sequence), the one kept outside the database, was removed by retention "
                    + "(the chain now starts after record \(anchorSequence)): keep a newer head to compare with"
            }
            hash = anchor.hash
        } else {
            let end = newest ?? anchor.sequence ?? 0
            return "the chain ends at record \(end), before record \(known.sequence) kept outside the database: "
                + "the chain was replaced or its newest records removed"
        }
        guard hash == known.hash else {
            return "record \(known.sequence) does not carry the hash kept outside the database: the chain was replaced"
        }
        return nil
    }
}
