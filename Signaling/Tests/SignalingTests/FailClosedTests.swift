import Foundation
import Synchronization
import Testing
import SignalingCore
import SignalingModel
import SignalingService
import SignalingStore

/// A store whose audit appends fail on demand; everything else goes to a real store.
final class FlakyAuditStore: Store {
    let base: SQLStore
    private let failing = Mutex(false)

    init(base: SQLStore) { self.base = base }

    func failAudit(_ fail: Bool) { failing.withLock { $0 = fail } }

    struct Unavailable: Error {}

    func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        if failing.withLock({ $0 }) { throw Unavailable() }
        return try await base.appendAudit(entry)
    }

    func migrate() async throws { try await base.migrate() }
    func close() async throws { try await base.close() }
    func saveTenant(_ tenant: Tenant) async throws { try await base.saveTenant(tenant) }
    func tenant(id: String) async throws -> Tenant? { try await base.tenant(id: id) }
    func tenants() async throws -> [Tenant] { try await base.tenants() }
    func saveUser(_ user: User) async throws { try await base.saveUser(user) }
    func user(id: String, tenantID: String) async throws -> User? { try await base.user(id: id, tenantID: tenantID) }
    func user(username: String, tenantID: String) async throws -> User? {
        try await base.user(username: username, tenantID: tenantID)
    }
    func users(tenantID: String) async throws -> [User] { try await base.users(tenantID: tenantID) }
    func deleteUser(id: String, tenantID: String) async throws { try await base.deleteUser(id: id, tenantID: tenantID) }
    func saveRole(_ role: Role) async throws { try await base.saveRole(role) }
    func roles(tenantID: String) async throws -> [Role] { try await base.roles(tenantID: tenantID) }
    func deleteRole(id: String, tenantID: String) async throws { try await base.deleteRole(id: id, tenantID: tenantID) }
    func saveAssignment(_ assignment: RoleAssignment) async throws { try await base.saveAssignment(assignment) }
    func assignments(tenantID: String) async throws -> [RoleAssignment] { try await base.assignments(tenantID: tenantID) }
    func deleteAssignment(id: String, tenantID: String) async throws {
        try await base.deleteAssignment(id: id, tenantID: tenantID)
    }
    func saveDevice(_ device: Device) async throws { try await base.saveDevice(device) }
    func device(id: String, tenantID: String) async throws -> Device? { try await base.device(id: id, tenantID: tenantID) }
    func devices(tenantID: String) async throws -> [Device] { try await base.devices(tenantID: tenantID) }
    func deleteDevice(id: String, tenantID: String) async throws { try await base.deleteDevice(id: id, tenantID: tenantID) }
    func savePolicy(_ policy: ConditionalAccessPolicy) async throws { try await base.savePolicy(policy) }
    func policies(tenantID: String) async throws -> [ConditionalAccessPolicy] { try await base.policies(tenantID: tenantID) }
    func deletePolicy(id: String, tenantID: String) async throws { try await base.deletePolicy(id: id, tenantID: tenantID) }
    func saveSession(_ session: SessionRecord) async throws { try await base.saveSession(session) }
    func session(id: String) async throws -> SessionRecord? { try await base.session(id: id) }
    func sessions(tenantID: String, filter: SessionFilter) async throws -> [SessionRecord] {
        try await base.sessions(tenantID: tenantID, filter: filter)
    }
    func deleteSessions(tenantID: String, endedBefore unixSeconds: Int64) async throws -> Int {
        try await base.deleteSessions(tenantID: tenantID, endedBefore: unixSeconds)
    }
    func auditRecords(tenantID: String?, afterSequence: Int64, limit: Int) async throws -> [AuditRecord] {
        try await base.auditRecords(tenantID: tenantID, afterSequence: afterSequence, limit: limit)
    }
    func auditAnchor() async throws -> (sequence: Int64?, hash: String) { try await base.auditAnchor() }
    func auditHead() async throws -> (sequence: Int64, hash: String)? { try await base.auditHead() }
    func pruneAudit(before unixMilliseconds: Int64, note: @escaping @Sendable (Int) -> AuditEntry) async throws -> Int {
        try await base.pruneAudit(before: unixMilliseconds, note: note)
    }
    func setting(_ key: String) async throws -> String? { try await base.setting(key) }
    func saveSetting(_ key: String, _ value: String) async throws { try await base.saveSetting(key, value) }
}

@Suite("Audit fails closed", .serialized)
struct FailClosedTests {
    @Test("Without an audit record nothing is allowed: no sign-in, session, join, control or admin change; ending and revoking still work")
    func failClosed() async throws {
        let holder = Mutex<FlakyAuditStore?>(nil)
        let service = try await TestService.start(store: { directory, logger in
            let store = FlakyAuditStore(base: try await StoreFactory.open(dataDirectory: directory, logger: logger))
            holder.withLock { $0 = store }
            return store
        })
        defer { Task { await service.stop() } }
        let store = try #require(holder.withLock { $0 })
        try await service.seedAcme()
        let helper = try await service.signedIn("helen")
        let sharer = try await service.signedIn("sam")
        let admin = try await service.token("admin", tenant: "default")

        store.failAudit(true)
        let before = try await service.store.auditRecords(tenantID: nil, afterSequence: 0, limit: 10_000).count
        #expect(try await helper.refusal(["type": "session.create"]) == "audit_unavailable")
        #expect(await service.server.hub.activeSessions(tenantID: "acme").isEmpty)
        #expect(try await service.store.sessions(tenantID: "acme", filter: SessionFilter()).isEmpty)
        let stranger = try await TestParty.connect(port: service.port)
        #expect(try await stranger.refusal(["type": "hello", "token": .string(try await service.token("sue"))])
                == "audit_unavailable")
        #expect(try await stranger.refusal(["type": "session.create"]) == "not_signed_in")
        let signIn = try await service.httpJSON("POST", "/auth/token", json: [
            "tenant": "default", "username": "admin", "password": .string(service.firstAdminPassword ?? "")])
        #expect(signIn.status == 503 && signIn.body["error"]?["code"] == "audit_unavailable")
        #expect(signIn.body["access_token"] == nil)
        var tenant = try #require(try await service.store.tenant(id: "acme"))
        tenant.chatEnabled = false
        let change = try await service.httpJSON("PUT", "/admin/v1/tenants/acme", json: .encoding(tenant), token: admin)
        #expect(change.status == 503)
        #expect(try await service.store.tenant(id: "acme")?.chatEnabled == true)
        #expect(try await service.store.auditRecords(tenantID: nil, afterSequence: 0, limit: 10_000).count == before)

        // A session in full control, then the log fails: no more control is granted, but taking it back and
        // ending the session still happen.
        store.failAudit(false)
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "full_control"])
        _ = try await helper.next("session.started")
        store.failAudit(true)
        #expect(try await helper.refusal(["type": "session.request_control", "sessionId": .string(sessionID),
                                          "permission": "elevation"]) == "audit_unavailable")
        #expect(await sharer.messages.types().contains("session.control_requested") == false)
        sharer.send(["type": "session.revoke_control", "sessionId": .string(sessionID)])
        #expect(try await helper.next("session.grant")["permissions"] == ["view_screen"])
        sharer.send(["type": "session.end", "sessionId": .string(sessionID)])
        #expect(try await helper.next("session.ended")["reason"] == "ended_by_sharer")
        #expect(try await service.store.session(id: sessionID)?.state == .ended)
        for party in [helper, sharer, stranger] { await party.close() }
    }
}
