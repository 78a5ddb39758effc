import Foundation
import Logging
import SQLKit
import SignalingCore
import SignalingModel

/// The one SQL implementation of `Store`, over any sql-kit database (SQLite or PostgreSQL).
/// An actor, so that audit records are sealed one after another.
public actor SQLStore: Store {
    private let database: any SQLDatabase
    private let closeConnection: @Sendable () async throws -> Void
    private var chainHead: (sequence: Int64, hash: String)?
    private var pendingAudit: [(entry: AuditEntry, continuation: CheckedContinuation<AuditRecord, any Error>)] = []
    private var auditDrainRunning = false
    private var lastAuditError: (any Error)?
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    private let decoder = JSONDecoder()

    public init(database: any SQLDatabase, close: @escaping @Sendable () async throws -> Void) {
        self.database = database
        self.closeConnection = close
    }

    public func migrate() async throws {
        try await database.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)").run()
        let rows = try await database.raw("SELECT version FROM schema_migrations").all()
        let applied = Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
        for step in Migrations.steps where !applied.contains(step.version) {
            for statement in step.statements {
                try await database.raw(SQLQueryString(statement)).run()
            }
            try await database.raw("INSERT INTO schema_migrations (version) VALUES (\(bind: step.version))").run()
        }
    }

    public func close() async throws { try await closeConnection() }

    // MARK: Documents

    private func put(_ kind: String, id: String, tenantID: String?, lookup: String? = nil, _ value: some Encodable)
        async throws
    {
        let body = String(decoding: try encoder.encode(value), as: UTF8.self)
        try await database.raw("""
            INSERT INTO documents (kind, id, tenant_id, lookup, body)
            VALUES (\(bind: kind), \(bind: id), \(bind: tenantID), \(bind: lookup), \(bind: body))
            ON CONFLICT (kind, id) DO UPDATE SET tenant_id = excluded.tenant_id, lookup = excluded.lookup,
            body = excluded.body
            """).run()
    }

    private func get<T: Decodable>(_ kind: String, id: String, as type: T.Type) async throws -> T? {
        let row = try await database.raw(
            "SELECT body FROM documents WHERE kind = \(bind: kind) AND id = \(bind: id)").first()
        return try row.map { try decoder.decode(T.self, from: Data(try $0.decode(column: "body", as: String.self).utf8)) }
    }

    private func list<T: Decodable>(_ kind: String, tenantID: String?, as type: T.Type) async throws -> [T] {
        let rows: [any SQLRow]
        if let tenantID {
            rows = try await database.raw("""
                SELECT body FROM documents WHERE kind = \(bind: kind) AND tenant_id = \(bind: tenantID) ORDER BY id
                """).all()
        } else {
            rows = try await database.raw("SELECT body FROM documents WHERE kind = \(bind: kind) ORDER BY id").all()
        }
        return try rows.map { try decoder.decode(T.self, from: Data(try $0.decode(column: "body", as: String.self).utf8)) }
    }

    private func remove(_ kind: String, id: String, tenantID: String) async throws {
        try await database.raw("""
            DELETE FROM documents WHERE kind = \(bind: kind) AND id = \(bind: id) AND tenant_id = \(bind: tenantID)
            """).run()
    }

    /// Documents are keyed by kind and id; ids of tenant-owned things are prefixed with the tenant so two tenants
    /// may use the same id.
    private func key(_ tenantID: String, _ id: String) -> String { "\(tenantID)/\(id)" }

    public func saveTenant(_ tenant: Tenant) async throws { try await put("tenant", id: tenant.id, tenantID: tenant.id, tenant) }
    public func tenant(id: String) async throws -> Tenant? { try await get("tenant", id: id, as: Tenant.self) }
    public func tenants() async throws -> [Tenant] { try await list("tenant", tenantID: nil, as: Tenant.self) }

    public func saveUser(_ user: User) async throws {
        try await put("user", id: key(user.tenantID, user.id), tenantID: user.tenantID, lookup: user.username, user)
    }
    public func user(id: String, tenantID: String) async throws -> User? {
        try await get("user", id: key(tenantID, id), as: User.self)
    }
    public func user(username: String, tenantID: String) async throws -> User? {
        let row = try await database.raw("""
            SELECT body FROM documents WHERE kind = 'user' AND tenant_id = \(bind: tenantID) AND lookup = \(bind: username)
            """).first()
        return try row.map { try decoder.decode(User.self, from: Data(try $0.decode(column: "body", as: String.self).utf8)) }
    }
    public func users(tenantID: String) async throws -> [User] { try await list("user", tenantID: tenantID, as: User.self) }
    public func deleteUser(id: String, tenantID: String) async throws {
        try await remove("user", id: key(tenantID, id), tenantID: tenantID)
    }

    public func saveRole(_ role: Role) async throws {
        let tenantID = role.tenantID ?? ""
        try await put("role", id: key(tenantID, role.id), tenantID: tenantID, role)
    }
    public func roles(tenantID: String) async throws -> [Role] { try await list("role", tenantID: tenantID, as: Role.self) }
    public func deleteRole(id: String, tenantID: String) async throws {
        try await remove("role", id: key(tenantID, id), tenantID: tenantID)
    }

    public func saveAssignment(_ assignment: RoleAssignment) async throws {
        try await put("assignment", id: key(assignment.tenantID, assignment.id), tenantID: assignment.tenantID,
                      assignment)
    }
    public func assignments(tenantID: String) async throws -> [RoleAssignment] {
        try await list("assignment", tenantID: tenantID, as: RoleAssignment.self)
    }
    public func deleteAssignment(id: String, tenantID: String) async throws {
        try await remove("assignment", id: key(tenantID, id), tenantID: tenantID)
    }

    public func saveDevice(_ device: Device) async throws {
        try await put("device", id: key(device.tenantID, device.id), tenantID: device.tenantID, device)
    }
    public func device(id: String, tenantID: String) async throws -> Device? {
        try await get("device", id: key(tenantID, id), as: Device.self)
    }
    public func devices(tenantID: String) async throws -> [Device] {
        try await list("device", tenantID: tenantID, as: Device.self)
    }
    public func deleteDevice(id: String, tenantID: String) async throws {
        try await remove("device", id: key(tenantID, id), tenantID: tenantID)
    }

    public func savePolicy(_ policy: ConditionalAccessPolicy) async throws {
        try await put("policy", id: key(policy.tenantID, policy.id), tenantID: policy.tenantID, policy)
    }
    public func policies(tenantID: String) async throws -> [ConditionalAccessPolicy] {
        try await list("policy", tenantID: tenantID, as: ConditionalAccessPolicy.self)
    }
    public func deletePolicy(id: String, tenantID: String) async throws {
        try await remove("policy", id: key(tenantID, id), tenantID: tenantID)
    }

    // MARK: Sessions

    public func saveSession(_ session: SessionRecord) async throws {
        let body = String(decoding: try encoder.encode(session), as: UTF8.self)
        try await database.raw("""
            INSERT INTO sessions (id, tenant_id, helper_user_id, sharer_user_id, device_id, state, created_at, body)
            VALUES (\(bind: session.id), \(bind: session.tenantID), \(bind: session.helperUserID),
            \(bind: session.sharerUserID), \(bind: session.deviceID), \(bind: session.state.rawValue),
            \(bind: session.createdAt), \(bind: body))
            ON CONFLICT (id) DO UPDATE SET sharer_user_id = excluded.sharer_user_id, device_id = excluded.device_id,
            state = excluded.state, body = excluded.body
            """).run()
    }

    public func session(id: String) async throws -> SessionRecord? {
        let row = try await database.raw("SELECT body FROM sessions WHERE id = \(bind: id)").first()
        return try row.map { try decoder.decode(SessionRecord.self, from: Data(try $0.decode(column: "body", as: String.self).utf8)) }
    }

    public func sessions(tenantID: String, filter: SessionFilter) async throws -> [SessionRecord] {
        var query = SQLQueryString("SELECT body FROM sessions WHERE tenant_id = \(bind: tenantID)")
        if let helper = filter.helperUserID { query.appendInterpolation(unsafeRaw: " AND helper_user_id = "); query.appendInterpolation(bind: helper) }
        if let sharer = filter.sharerUserID { query.appendInterpolation(unsafeRaw: " AND sharer_user_id = "); query.appendInterpolation(bind: sharer) }
        if let device = filter.deviceID { query.appendInterpolation(unsafeRaw: " AND device_id = "); query.appendInterpolation(bind: device) }
        if let state = filter.state { query.appendInterpolation(unsafeRaw: " AND state = "); query.appendInterpolation(bind: state.rawValue) }
        if let from = filter.from { query.appendInterpolation(unsafeRaw: " AND created_at >= "); query.appendInterpolation(bind: from) }
        if let to = filter.to { query.appendInterpolation(unsafeRaw: " AND created_at <= "); query.appendInterpolation(bind: to) }
        query.appendInterpolation(unsafeRaw: " ORDER BY created_at DESC, id LIMIT ")
        query.appendInterpolation(bind: max(0, filter.limit))
        let rows = try await database.raw(query).all()
        return try rows.map { try decoder.decode(SessionRecord.self, from: Data(try $0.decode(column: "body", as: String.self).utf8)) }
    }

    public func deleteSessions(tenantID: String, endedBefore unixSeconds: Int64) async throws -> Int {
        let doomed = try await database.raw("""
            SELECT id FROM sessions WHERE tenant_id = \(bind: tenantID) AND state = 'ended' AND created_at < \(bind: unixSeconds)
            """).all()
        try await database.raw("""
            DELETE FROM sessions WHERE tenant_id = \(bind: tenantID) AND state = 'ended' AND created_at < \(bind: unixSeconds)
            """).run()
        return doomed.count
    }

    // MARK: Audit

    /// Appends are written by one drain loop, so that two appends can never claim the same sequence number (an
    /// actor method awaiting the database would otherwise interleave with the next). Entries that arrive while a
    /// write is under way go together in the next statement: one transaction for many records (group commit).
    public func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        try await withCheckedThrowingContinuation { continuation in
            pendingAudit.append((entry, continuation))
            if !auditDrainRunning {
                auditDrainRunning = true
                Task { await self.drainAudit() }
            }
        }
    }

    private func drainAudit() async {
        while !pendingAudit.isEmpty {
            let batch = Array(pendingAudit.prefix(Self.auditBatchLimit))
            pendingAudit.removeFirst(batch.count)
            do {
                let records = try await insertAudit(batch.map(\.entry))
                for (item, record) in zip(batch, records) { item.continuation.resume(returning: record) }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        auditDrainRunning = false
    }

    /// Nine binds a row stays well under SQLite's bind limit.
    static let auditBatchLimit = 100

    private func insertAudit(_ entries: [AuditEntry]) async throws -> [AuditRecord] {
        // The primary key on sequence makes another node's conflicting insert fail; re-read the head and retry.
        for _ in 0..<5 {
            let head = try await currentHead()
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
            do {
                try await database.raw(statement).run()
                chainHead = previous
                return records
            } catch {
                chainHead = nil
                lastAuditError = error
            }
        }
        throw StoreError.auditAppendFailed(lastAuditError.map { "\($0)" } ?? "unknown")
    }

    private func currentHead() async throws -> (sequence: Int64, hash: String) {
        if let chainHead { return chainHead }
        if let row = try await database.raw("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1").first() {
            let head = (try row.decode(column: "sequence", as: Int64.self), try row.decode(column: "hash", as: String.self))
            chainHead = head
            return head
        }
        let anchor = try await auditAnchor()
        let head = (anchor.sequence ?? 0, anchor.hash)
        chainHead = head
        return head
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
        guard let row = try await database.raw("SELECT sequence, hash FROM audit_anchor WHERE id = 1").first() else {
            return (nil, AuditChain.genesisHash)
        }
        return (try row.decode(column: "sequence", as: Int64.self), try row.decode(column: "hash", as: String.self))
    }

    public func pruneAudit(before unixMilliseconds: Int64) async throws -> Int {
        guard let last = try await database.raw("""
            SELECT sequence, hash FROM audit WHERE time < \(bind: unixMilliseconds) ORDER BY sequence DESC LIMIT 1
            """).first()
        else { return 0 }
        let sequence = try last.decode(column: "sequence", as: Int64.self)
        let hash = try last.decode(column: "hash", as: String.self)
        let count = try await database.raw("SELECT sequence FROM audit WHERE sequence <= \(bind: sequence)").all().count
        try await database.raw("""
            INSERT INTO audit_anchor (id, sequence, hash) VALUES (1, \(bind: sequence), \(bind: hash))
            ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
            """).run()
        try await database.raw("DELETE FROM audit WHERE sequence <= \(bind: sequence)").run()
        return count
    }

    // MARK: Settings

    public func setting(_ key: String) async throws -> String? {
        try await database.raw("SELECT value FROM settings WHERE key = \(bind: key)").first()?
            .decode(column: "value", as: String.self)
    }

    public func saveSetting(_ key: String, _ value: String) async throws {
        try await database.raw("""
            INSERT INTO settings (key, value) VALUES (\(bind: key), \(bind: value))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """).run()
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case auditAppendFailed(String)
    case unsupportedDatabaseURL(String)

    public var description: String {
        switch self {
        case .auditAppendFailed(let error): "could not append to the audit log: \(error)"
        case .unsupportedDatabaseURL(let url): "unsupported database URL \(url.prefix { $0 != ":" })://…; use postgres:// or sqlite:"
        }
    }
}
