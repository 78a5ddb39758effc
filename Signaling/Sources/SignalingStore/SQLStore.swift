import Foundation
import Logging
import SQLKit
import SignalingCore
import SignalingModel

/// The one SQL implementation of `Store`, over any sql-kit database (SQLite or PostgreSQL).
/// An actor, so that audit records are sealed one after another (SQLStore+Audit.swift).
public actor SQLStore: Store {
    let database: any SQLDatabase
    /// The audit chain's own connection: its transactions (records + head, or pruning + anchor + record) then hold
    /// only audit statements, never a document write that happened to run on the same connection meanwhile.
    let auditDatabase: any SQLDatabase
    private let closeConnection: @Sendable () async throws -> Void
    var chainHead: (sequence: Int64, hash: String)?
    var auditJobs: [AuditJob] = []
    var auditDrainRunning = false
    private var writing = false
    private var waitingWriters: [CheckedContinuation<Void, Never>] = []
    let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    let decoder = JSONDecoder()

    /// `auditDatabase` is a second connection to the same database (the same one for a read-only store).
    public init(database: any SQLDatabase, auditDatabase: any SQLDatabase,
                close: @escaping @Sendable () async throws -> Void) {
        self.database = database
        self.auditDatabase = auditDatabase
        self.closeConnection = close
    }

    /// Refuses a database this build would have to migrate (missing tables, an older or newer schema): for
    /// read-only users such as `tandem audit verify`, which must never write.
    public func requireCurrentSchema() async throws {
        let latest = Migrations.steps.map(\.version).max() ?? 0
        let applied: Int
        do {
            let row = try await database.raw("SELECT MAX(version) AS version FROM schema_migrations").first()
            applied = try row?.decode(column: "version", as: Int?.self) ?? 0
        } catch {
            throw StoreError.notATandemDatabase
        }
        guard applied == latest else { throw StoreError.schemaVersion(found: applied, expected: latest) }
    }

    /// Runs one write (a statement, or a whole audit transaction) at a time, in arrival order. The two connections
    /// then never compete for the database's write lock: SQLite's busy handler could starve one of them, and a
    /// waiting write would hold a thread of the shared pool the other needs to commit.
    func exclusively<T>(_ body: () async throws -> T) async throws -> T {
        if writing {
            await withCheckedContinuation { waitingWriters.append($0) }
        } else {
            writing = true
        }
        defer {
            if waitingWriters.isEmpty { writing = false } else { waitingWriters.removeFirst().resume() }
        }
        return try await body()
    }

    /// Runs a write statement on the documents' connection, in turn with every other write.
    private func write(_ query: SQLQueryString) async throws {
        try await exclusively { try await database.raw(query).run() }
    }

    public func migrate() async throws {
        try await exclusively {
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
    }

    public func close() async throws { try await closeConnection() }

    // MARK: Documents

    private func put(_ kind: String, id: String, tenantID: String?, lookup: String? = nil, _ value: some Encodable)
        async throws
    {
        let body = String(decoding: try encoder.encode(value), as: UTF8.self)
        try await write("""
            INSERT INTO documents (kind, id, tenant_id, lookup, body)
            VALUES (\(bind: kind), \(bind: id), \(bind: tenantID), \(bind: lookup), \(bind: body))
            ON CONFLICT (kind, id) DO UPDATE SET tenant_id = excluded.tenant_id, lookup = excluded.lookup,
            body = excluded.body
            """)
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
        try await write("""
            DELETE FROM documents WHERE kind = \(bind: kind) AND id = \(bind: id) AND tenant_id = \(bind: tenantID)
            """)
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
        try await write("""
            INSERT INTO sessions (id, tenant_id, helper_user_id, sharer_user_id, device_id, state, created_at, body)
            VALUES (\(bind: session.id), \(bind: session.tenantID), \(bind: session.helperUserID),
            \(bind: session.sharerUserID), \(bind: session.deviceID), \(bind: session.state.rawValue),
            \(bind: session.createdAt), \(bind: body))
            ON CONFLICT (id) DO UPDATE SET sharer_user_id = excluded.sharer_user_id, device_id = excluded.device_id,
            state = excluded.state, body = excluded.body
            """)
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
        try await write("""
            DELETE FROM sessions WHERE tenant_id = \(bind: tenantID) AND state = 'ended' AND created_at < \(bind: unixSeconds)
            """)
        return doomed.count
    }

    // MARK: Settings

    public func setting(_ key: String) async throws -> String? {
        try await database.raw("SELECT value FROM settings WHERE key = \(bind: key)").first()?
            .decode(column: "value", as: String.self)
    }

    public func saveSetting(_ key: String, _ value: String) async throws {
        try await write("""
            INSERT INTO settings (key, value) VALUES (\(bind: key), \(bind: value))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """)
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case auditAppendFailed(String)
    case unsupportedDatabaseURL(String)
    case databaseMissing(String)
    case notATandemDatabase
    case schemaVersion(found: Int, expected: Int)

    public var description: String {
        switch self {
        case .auditAppendFailed(let error): "could not append to the audit log: \(error)"
        case .unsupportedDatabaseURL(let url): "unsupported database URL \(url.prefix { $0 != ":" })://…; use postgres:// or sqlite:"
        case .databaseMissing(let path): "no Tandem database at \(path) (is --data-dir right?)"
        case .notATandemDatabase: "the database has no Tandem schema (is --data-dir or --database right?)"
        case .schemaVersion(let found, let expected):
            "the database schema is version \(found), this build reads version \(expected); run the matching tandem serve once"
        }
    }
}
