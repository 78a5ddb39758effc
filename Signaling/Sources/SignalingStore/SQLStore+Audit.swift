import Foundation
import SQLKit
import SignalingCore
import SignalingModel

/// One write to the audit chain, queued so that writes run one at a time on the audit connection.
enum AuditJob {
    case append(AuditEntry, CheckedContinuation<AuditRecord, any Error>)
    case prune(before: Int64, note: @Sendable (Int) -> AuditEntry, CheckedContinuation<Int, any Error>)
}

/// The audit chain: append-only records, each carrying the hash of the one before (design notes §4); the anchor
/// where the chain starts after retention; and the head (newest sequence and hash), updated in the same transaction
/// as every append, so that removing the newest records shows as a chain shorter than its head.
extension SQLStore {
    /// Appends are written by one drain loop, so that two appends can never claim the same sequence number (an
    /// actor method awaiting the database would otherwise interleave with the next). Entries that arrive while a
    /// write is under way go together in the next transaction: one commit for many records (group commit).
    public func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.append(entry, continuation))
        }
    }

    /// Retention: removes the records older than `before`, moves the anchor to the last one removed and appends
    /// `note(removed)` carrying that anchor (`anchorSequence`, `anchorHash`), all in one transaction. The chain thus
    /// vouches for its own anchor: removing old records and rewriting the anchor by hand leaves an anchor no
    /// retention record names.
    public func pruneAudit(before unixMilliseconds: Int64, note: @escaping @Sendable (Int) -> AuditEntry) async throws
        -> Int
    {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.prune(before: unixMilliseconds, note: note, continuation))
        }
    }

    private func enqueue(_ job: AuditJob) {
        auditJobs.append(job)
        if !auditDrainRunning {
            auditDrainRunning = true
            Task { await self.drainAudit() }
        }
    }

    private func drainAudit() async {
        while let first = auditJobs.first {
            if case .prune(let before, let note, let continuation) = first {
                auditJobs.removeFirst()
                do { continuation.resume(returning: try await prune(before: before, note: note)) }
                catch { continuation.resume(throwing: error) }
                continue
            }
            var batch: [(AuditEntry, CheckedContinuation<AuditRecord, any Error>)] = []
            while batch.count < Self.auditBatchLimit, case .append(let entry, let continuation)? = auditJobs.first {
                auditJobs.removeFirst()
                batch.append((entry, continuation))
            }
            do {
                let records = try await insertAudit(batch.map(\.0))
                for ((_, continuation), record) in zip(batch, records) { continuation.resume(returning: record) }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        auditDrainRunning = false
    }

    /// Nine binds a row stays well under SQLite's bind limit.
    static let auditBatchLimit = 100

    private func insertAudit(_ entries: [AuditEntry]) async throws -> [AuditRecord] {
        // The primary key on sequence makes another node's conflicting insert fail; re-read the head and retry.
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                return try await inAuditTransaction {
                    let head = try await currentHead()
                    let records = try await insert(entries, after: head)
                    return records
                }
            } catch {
                chainHead = nil
                lastError = error
            }
        }
        throw StoreError.auditAppendFailed(lastError.map { "\($0)" } ?? "unknown")
    }

    /// Seals `entries` after `head`, inserts them and moves the head; inside the caller's transaction.
    private func insert(_ entries: [AuditEntry], after head: (sequence: Int64, hash: String)) async throws
        -> [AuditRecord]
    {
        var records: [AuditRecord] = []
        var previous = head
        for entry in entries {
            let record = AuditChain.seal(entry, sequence: previous.sequence + 1, previousHash: previous.hash)
            records.append(record)
            previous = (record.sequence, record.hash)
        }
        var statement = SQLQueryString(
            "INSERT INTO audit (sequence, time, tenant_id, action, outcome, code, previous_hash, hash, body) VALUES ")
        for (index, record) in records.enumerated() {
            let entry = record.entry
            let body = String(decoding: try encoder.encode(entry), as: UTF8.self)
            statement.appendInterpolation(unsafeRaw: index == 0 ? "(" : ", (")
            statement.appendInterpolation(bind: record.sequence)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: entry.time)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: entry.tenantID)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: entry.action)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: entry.outcome.rawValue)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: entry.code)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: record.previousHash)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: record.hash)
            statement.appendInterpolation(unsafeRaw: ", ")
            statement.appendInterpolation(bind: body)
            statement.appendInterpolation(unsafeRaw: ")")
        }
        try await auditDatabase.raw(statement).run()
        try await auditDatabase.raw("""
            INSERT INTO audit_head (id, sequence, hash) VALUES (1, \(bind: previous.sequence), \(bind: previous.hash))
            ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
            """).run()
        chainHead = previous
        return records
    }

    private func prune(before unixMilliseconds: Int64, note: @Sendable (Int) -> AuditEntry) async throws -> Int {
        do {
            return try await inAuditTransaction {
                guard let last = try await auditDatabase.raw("""
                    SELECT sequence, hash FROM audit WHERE time < \(bind: unixMilliseconds) ORDER BY sequence DESC LIMIT 1
                    """).first()
                else { return 0 }
                let sequence = try last.decode(column: "sequence", as: Int64.self)
                let hash = try last.decode(column: "hash", as: String.self)
                let removed = try await auditDatabase.raw("""
                    SELECT COUNT(*) AS removed FROM audit WHERE sequence <= \(bind: sequence)
                    """).first()?.decode(column: "removed", as: Int.self) ?? 0
                let head = try await currentHead()
                try await auditDatabase.raw("""
                    INSERT INTO audit_anchor (id, sequence, hash) VALUES (1, \(bind: sequence), \(bind: hash))
                    ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
                    """).run()
                try await auditDatabase.raw("DELETE FROM audit WHERE sequence <= \(bind: sequence)").run()
                var entry = note(removed)
                entry.details[AuditAnchorClaim.sequenceKey] = String(sequence)
                entry.details[AuditAnchorClaim.hashKey] = hash
                _ = try await insert([entry], after: head)
                return removed
            }
        } catch {
            chainHead = nil
            throw error
        }
    }

    /// Runs `body` in a transaction of the audit connection, in turn with the store's other writes (`BEGIN
    /// IMMEDIATE` on SQLite takes the write lock at once, so another process's writer waits instead of failing to
    /// upgrade a read lock).
    private func inAuditTransaction<T>(_ body: () async throws -> T) async throws -> T {
        let begin: SQLQueryString = auditDatabase.dialect.name == "sqlite" ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await exclusively {
            try await auditDatabase.raw(begin).run()
            do {
                let value = try await body()
                try await auditDatabase.raw("COMMIT").run()
                return value
            } catch {
                try? await auditDatabase.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// The newest record's sequence and hash: the head row, else the anchor (an empty chain).
    private func currentHead() async throws -> (sequence: Int64, hash: String) {
        if let chainHead { return chainHead }
        let head: (sequence: Int64, hash: String)
        if let stored = try await auditHead() {
            head = stored
        } else {
            let anchor = try await auditAnchor()
            head = (anchor.sequence ?? 0, anchor.hash)
        }
        chainHead = head
        return head
    }

    public func auditHead() async throws -> (sequence: Int64, hash: String)? {
        guard let row = try await auditDatabase.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first() else {
            return nil
        }
        return (try row.decode(column: "sequence", as: Int64.self), try row.decode(column: "hash", as: String.self))
    }

    public func auditRecords(tenantID: String?, afterSequence: Int64, limit: Int) async throws -> [AuditRecord] {
        let rows: [any SQLRow]
        if let tenantID {
            rows = try await database.raw("""
                SELECT sequence, previous_hash, hash, body FROM audit WHERE tenant_id = \(bind: tenantID)
                AND sequence > \(bind: afterSequence) ORDER BY sequence LIMIT \(bind: limit)
                """).all()
        } else {
            rows = try await database.raw("""
                SELECT sequence, previous_hash, hash, body FROM audit WHERE sequence > \(bind: afterSequence)
                ORDER BY sequence LIMIT \(bind: limit)
                """).all()
        }
        return try rows.map { row in
            AuditRecord(
                sequence: try row.decode(column: "sequence", as: Int64.self),
                entry: try decoder.decode(AuditEntry.self, from: Data(try row.decode(column: "body", as: String.self).utf8)),
                previousHash: try row.decode(column: "previous_hash", as: String.self),
                hash: try row.decode(column: "hash", as: String.self))
        }
    }

    public func auditAnchor() async throws -> (sequence: Int64?, hash: String) {
        guard let row = try await auditDatabase.raw("SELECT sequence, hash FROM audit_anchor WHERE id = 1").first() else {
            return (nil, AuditChain.genesisHash)
        }
        return (try row.decode(column: "sequence", as: Int64.self), try row.decode(column: "hash", as: String.self))
    }
}
