import SignalingModel

/// Everything the service keeps: one interface over SQLite (the embedded default) and PostgreSQL.
public protocol Store: Sendable {
    /// Creates or upgrades the schema; safe to call on every start.
    func migrate() async throws
    func close() async throws

    func saveTenant(_ tenant: Tenant) async throws
    func tenant(id: String) async throws -> Tenant?
    func tenants() async throws -> [Tenant]

    func saveUser(_ user: User) async throws
    func user(id: String, tenantID: String) async throws -> User?
    func user(username: String, tenantID: String) async throws -> User?
    func users(tenantID: String) async throws -> [User]
    func deleteUser(id: String, tenantID: String) async throws

    func saveRole(_ role: Role) async throws
    func roles(tenantID: String) async throws -> [Role]
    func deleteRole(id: String, tenantID: String) async throws

    func saveAssignment(_ assignment: RoleAssignment) async throws
    func assignments(tenantID: String) async throws -> [RoleAssignment]
    func deleteAssignment(id: String, tenantID: String) async throws

    func saveDevice(_ device: Device) async throws
    func device(id: String, tenantID: String) async throws -> Device?
    func devices(tenantID: String) async throws -> [Device]
    func deleteDevice(id: String, tenantID: String) async throws

    func savePolicy(_ policy: ConditionalAccessPolicy) async throws
    func policies(tenantID: String) async throws -> [ConditionalAccessPolicy]
    func deletePolicy(id: String, tenantID: String) async throws

    func saveSession(_ session: SessionRecord) async throws
    func session(id: String) async throws -> SessionRecord?
    /// Newest first.
    func sessions(tenantID: String, filter: SessionFilter) async throws -> [SessionRecord]
    /// Removes ended sessions of the tenant created before `unixSeconds`; returns how many.
    func deleteSessions(tenantID: String, endedBefore unixSeconds: Int64) async throws -> Int

    /// Appends to the hash chain and returns the sealed record.
    @discardableResult
    func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord
    /// Records with sequence greater than `afterSequence`, oldest first; `tenantID` nil means every tenant.
    func auditRecords(tenantID: String?, afterSequence: Int64, limit: Int) async throws -> [AuditRecord]
    /// Where the chain starts now: genesis, or the last record retention removed.
    func auditAnchor() async throws -> (sequence: Int64?, hash: String)
    /// The newest record's sequence and hash as recorded with every append (nil before the first one).
    func auditHead() async throws -> (sequence: Int64, hash: String)?
    /// Removes records older than `unixMilliseconds`, moves the anchor to the last one removed and appends
    /// `note(removed)` naming that anchor, in one transaction; returns how many records were removed (0: nothing
    /// removed, nothing appended).
    func pruneAudit(before unixMilliseconds: Int64, note: @escaping @Sendable (Int) -> AuditEntry) async throws -> Int

    func setting(_ key: String) async throws -> String?
    func saveSetting(_ key: String, _ value: String) async throws
}
