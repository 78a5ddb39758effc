import Foundation
import Testing
import SignalingCore
import SignalingModel
import SignalingStore

/// Suites whose tests use the one PostgreSQL test database (each drops and recreates its tables): one at a time.
@Suite("PostgreSQL users", .serialized)
enum DatabaseSuites {}

/// The same tests against every available backend.
extension DatabaseSuites {
@Suite("Store")
struct StoreTests {
    @Test("Tenants, users, roles, devices and policies round-trip and stay per tenant", arguments: TestBackend.available)
    func documentsRoundTrip(backend: TestBackend) async throws {
        let (store, _) = try await backend.makeStore()
        defer { Task { try? await store.close() } }
        var tenant = Tenant(id: "acme", name: "Acme", verifiedDomain: "acme.example")
        try await store.saveTenant(tenant)
        try await store.saveTenant(Tenant(id: "other", name: "Other"))
        #expect(try await store.tenant(id: "acme") == tenant)
        #expect(try await store.tenant(id: "acme")?.remoteHelpEnabled == false)
        tenant.remoteHelpEnabled = true
        try await store.saveTenant(tenant)
        #expect(try await store.tenant(id: "acme")?.remoteHelpEnabled == true)
        #expect(try await store.tenants().map(\.id) == ["acme", "other"])

        let alice = User(id: "u1", tenantID: "acme", username: "alice", displayName: "Alice", groups: ["helpdesk"])
        try await store.saveUser(alice)
        try await store.saveUser(User(id: "u1", tenantID: "other", username: "alice", displayName: "Other Alice"))
        #expect(try await store.user(id: "u1", tenantID: "acme") == alice)
        #expect(try await store.user(username: "alice", tenantID: "other")?.displayName == "Other Alice")
        #expect(try await store.users(tenantID: "acme").count == 1)
        try await store.deleteUser(id: "u1", tenantID: "other")
        #expect(try await store.user(id: "u1", tenantID: "other") == nil)
        #expect(try await store.user(id: "u1", tenantID: "acme") != nil)

        let role = Role(id: "r1", tenantID: "acme", name: "Custom", permissions: [.viewScreen])
        try await store.saveRole(role)
        #expect(try await store.roles(tenantID: "acme") == [role])
        let assignment = RoleAssignment(id: "a1", tenantID: "acme", roleID: "r1", userGroups: ["helpdesk"])
        try await store.saveAssignment(assignment)
        #expect(try await store.assignments(tenantID: "acme") == [assignment])
        let device = Device(id: "d1", tenantID: "acme", name: "Laptop", compliant: false,
                            complianceReasons: ["disk not encrypted"])
        try await store.saveDevice(device)
        #expect(try await store.device(id: "d1", tenantID: "acme") == device)
        #expect(try await store.device(id: "d1", tenantID: "other") == nil)
        let policy = ConditionalAccessPolicy(id: "p1", tenantID: "acme", name: "MFA", requireMFA: true)
        try await store.savePolicy(policy)
        #expect(try await store.policies(tenantID: "acme") == [policy])
        try await store.deletePolicy(id: "p1", tenantID: "acme")
        #expect(try await store.policies(tenantID: "acme").isEmpty)
        try await store.saveSetting("k", "v1")
        try await store.saveSetting("k", "v2")
        #expect(try await store.setting("k") == "v2")
    }

    @Test("Session history filters by helper, device, state and time, newest first", arguments: TestBackend.available)
    func sessionFilters(backend: TestBackend) async throws {
        let (store, _) = try await backend.makeStore()
        defer { Task { try? await store.close() } }
        for index in 0..<6 {
            try await store.saveSession(SessionRecord(
                id: "s\(index)", tenantID: "acme", helperUserID: index.isMultiple(of: 2) ? "h1" : "h2",
                helperName: "H", deviceID: index < 3 ? "d1" : nil, state: index == 5 ? .active : .ended,
                createdAt: Int64(1000 + index)))
        }
        try await store.saveSession(SessionRecord(id: "x", tenantID: "other", helperUserID: "h1", helperName: "H",
                                                  createdAt: 2000))
        #expect(try await store.sessions(tenantID: "acme", filter: SessionFilter()).map(\.id)
                == ["s5", "s4", "s3", "s2", "s1", "s0"])
        #expect(try await store.sessions(tenantID: "acme", filter: SessionFilter(helperUserID: "h1")).map(\.id)
                == ["s4", "s2", "s0"])
        #expect(try await store.sessions(tenantID: "acme", filter: SessionFilter(deviceID: "d1")).count == 3)
        #expect(try await store.sessions(tenantID: "acme", filter: SessionFilter(from: 1002, to: 1003)).map(\.id)
                == ["s3", "s2"])
        #expect(try await store.sessions(tenantID: "acme", filter: SessionFilter(state: .active)).map(\.id) == ["s5"])
        #expect(try await store.deleteSessions(tenantID: "acme", endedBefore: 1002) == 2)
        #expect(try await store.session(id: "s0") == nil)
        #expect(try await store.session(id: "s5")?.state == .active)
    }

    @Test("The audit chain verifies, survives a reopen, and shows an edit, a deletion and a reorder",
          arguments: TestBackend.available)
    func auditChainTampering(backend: TestBackend) async throws {
        let (store, location) = try await backend.makeStore()
        for index in 0..<5 {
            try await store.appendAudit(AuditEntry(time: Int64(index), tenantID: "acme", actor: "user:u1",
                                                   action: "test.\(index)", outcome: .info, reason: "entry \(index)"))
        }
        try await store.close()
        let reopened = try await backend.reopen(location)
        let appended = try await reopened.appendAudit(AuditEntry(time: 5, tenantID: "acme", actor: "system",
                                                                 action: "test.5", outcome: .info, reason: "after"))
        #expect(appended.sequence == 6)
        #expect(try await AuditVerification.verify(reopened).intact)
        #expect(try await AuditVerification.verify(reopened).checked == 6)
        try await reopened.close()

        try await backend.tamper(location, "UPDATE audit SET body = replace(body, 'entry 2', 'entry X') WHERE sequence = 3")
        let edited = try await backend.reopen(location)
        let report = try await AuditVerification.verify(edited)
        #expect(report.problem?.contains("record 3") == true)
        try await edited.close()

        try await backend.tamper(location, "UPDATE audit SET body = replace(body, 'entry X', 'entry 2') WHERE sequence = 3")
        // Reordered: records 3 and 4 swap places.
        try await backend.tamper(location, "UPDATE audit SET sequence = -3 WHERE sequence = 3")
        try await backend.tamper(location, "UPDATE audit SET sequence = 3 WHERE sequence = 4")
        try await backend.tamper(location, "UPDATE audit SET sequence = 4 WHERE sequence = -3")
        let reordered = try await backend.reopen(location)
        let reorderReport = try await AuditVerification.verify(reordered)
        #expect(reorderReport.problem?.contains("record 3: previous hash") == true, "\(reorderReport.problem ?? "intact")")
        #expect(reorderReport.checked == 2)
        try await reordered.close()
        try await backend.tamper(location, "UPDATE audit SET sequence = -3 WHERE sequence = 3")
        try await backend.tamper(location, "UPDATE audit SET sequence = 3 WHERE sequence = 4")
        try await backend.tamper(location, "UPDATE audit SET sequence = 4 WHERE sequence = -3")
        let restored = try await backend.reopen(location)
        #expect(try await AuditVerification.verify(restored).intact)
        try await restored.close()

        try await backend.tamper(location, "DELETE FROM audit WHERE sequence = 4")
        let deleted = try await backend.reopen(location)
        #expect(try await AuditVerification.verify(deleted).problem?.contains("record 5") == true)
        try await deleted.close()
    }

    @Test("Removing the newest records, replacing the newest one, or removing old ones and rewriting the anchor shows",
          arguments: TestBackend.available)
    func auditChainEnds(backend: TestBackend) async throws {
        func fill(_ store: SQLStore) async throws -> [AuditRecord] {
            var records: [AuditRecord] = []
            for index in 0..<6 {
                records.append(try await store.appendAudit(AuditEntry(
                    time: Int64(index), tenantID: nil, actor: "system", action: "test", outcome: .info, reason: "\(index)")))
            }
            return records
        }
        let (store, location) = try await backend.makeStore()
        let records = try await fill(store)
        let head = try await store.auditHead()
        #expect(head?.sequence == 6 && head?.hash == records[5].hash)
        try await store.close()

        // Truncation: the last two records go; every remaining link still holds.
        try await backend.tamper(location, "DELETE FROM audit WHERE sequence >= 5")
        let truncated = try await backend.reopen(location)
        let report = try await AuditVerification.verify(truncated)
        #expect(report.checked == 4)
        #expect(report.problem?.contains("ends at record 4 but its head is record 6") == true, "\(report.problem ?? "intact")")
        try await truncated.close()

        // Replacement of the newest record by one whose hash was recomputed: the chain holds, the head does not.
        let (second, secondLocation) = try await backend.makeStore()
        let originals = try await fill(second)
        try await second.close()
        var forged = originals[5].entry
        forged.reason = "nothing happened"
        let resealed = AuditChain.seal(forged, sequence: 6, previousHash: originals[4].hash)
        let body = String(decoding: try { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return try e.encode(forged) }(),
                          as: UTF8.self)
        try await backend.tamper(secondLocation, "UPDATE audit SET body = '\(body)', hash = '\(resealed.hash)' WHERE sequence = 6")
        let replaced = try await backend.reopen(secondLocation)
        #expect(try await AuditVerification.verify(replaced).problem?.contains("not the record the head names") == true)
        try await replaced.close()

        // Old records removed and the anchor rewritten to match: no retention record names that anchor.
        let (third, thirdLocation) = try await backend.makeStore()
        let old = try await fill(third)
        try await third.close()
        try await backend.tamper(thirdLocation, "DELETE FROM audit WHERE sequence <= 2")
        try await backend.tamper(thirdLocation,
                                 "INSERT INTO audit_anchor (id, sequence, hash) VALUES (1, 2, '\(old[1].hash)')")
        let rewritten = try await backend.reopen(thirdLocation)
        let anchorReport = try await AuditVerification.verify(rewritten)
        #expect(anchorReport.checked == 4)
        #expect(anchorReport.problem?.contains("no retention record moved it there") == true)
        // Retention itself moves the anchor and says so in the chain: intact.
        let removed = try await rewritten.pruneAudit(before: 4) { count in
            AuditEntry(time: 10, tenantID: nil, actor: "system", action: "retention", outcome: .info,
                       reason: "removed \(count)")
        }
        #expect(removed == 2)
        #expect(try await rewritten.auditAnchor().sequence == 4)
        #expect(try await AuditVerification.verify(rewritten).intact)
        try await rewritten.close()
    }

    @Test("A read-only store needs an existing, current database and never writes", arguments: TestBackend.available)
    func readOnly(backend: TestBackend) async throws {
        if backend == .sqlite {
            let missing = try TemporaryDirectory.make() + "/nothing-here"
            await #expect(throws: StoreError.self) {
                try await StoreFactory.open(dataDirectory: missing, access: .readOnly, logger: TestBackend.quietLogger)
            }
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
        let (store, location) = try await backend.makeStore()
        try await store.appendAudit(AuditEntry(time: 1, tenantID: nil, actor: "system", action: "test", outcome: .info,
                                               reason: "one"))
        let reader = try await backend.reopenReadOnly(location)
        #expect(try await AuditVerification.verify(reader).checked == 1)
        await #expect(throws: (any Error).self) { try await reader.saveSetting("k", "v") }
        try await reader.close()
        try await store.close()

        // A schema other than this build's is refused.
        try await backend.tamper(location, "INSERT INTO schema_migrations (version) VALUES (99)")
        await #expect(throws: StoreError.self) { _ = try await backend.reopenReadOnly(location) }
        try await backend.tamper(location, "DELETE FROM schema_migrations WHERE version = 99")
        let current = try await backend.reopenReadOnly(location)
        try await current.close()
    }

    @Test("Retention removes old records and the chain still verifies from the new anchor",
          arguments: TestBackend.available)
    func auditRetention(backend: TestBackend) async throws {
        let (store, _) = try await backend.makeStore()
        defer { Task { try? await store.close() } }
        var hashes: [Int64: String] = [:]
        for index in 0..<10 {
            let record = try await store.appendAudit(AuditEntry(time: Int64(index * 100), tenantID: nil, actor: "system",
                                                                action: "test", outcome: .info, reason: "\(index)"))
            hashes[record.sequence] = record.hash
        }
        let removed = try await store.pruneAudit(before: 450) { count in
            AuditEntry(time: 1000, tenantID: nil, actor: "system", action: "retention", outcome: .info,
                       reason: "removed \(count)")
        }
        #expect(removed == 5)
        #expect(try await store.auditAnchor().sequence == 5)
        let report = try await AuditVerification.verify(store)
        #expect(report.intact)
        // Five kept, and the retention record that names the new anchor.
        #expect(report.checked == 6)
        let retention = try await store.auditRecords(tenantID: nil, afterSequence: 0, limit: 100).last
        #expect(retention?.entry.details["anchorSequence"] == "5" && retention?.sequence == 11)
        let next = try await store.appendAudit(AuditEntry(time: 2000, tenantID: nil, actor: "system", action: "test",
                                                          outcome: .info, reason: "after pruning"))
        #expect(next.sequence == 12)
        #expect(try await AuditVerification.verify(store).intact)

        // Heads kept outside the database before the pruning: the anchor's and a kept record's still match; a
        // removed one cannot be compared any more and says so; a wrong hash is a replaced chain.
        for sequence: Int64 in [5, 7] {
            let kept = AuditVerification.KnownRecord(sequence: sequence, hash: try #require(hashes[sequence]))
            #expect(try await AuditVerification.verify(store, expecting: kept).intact)
        }
        let pruned = AuditVerification.KnownRecord(sequence: 3, hash: try #require(hashes[3]))
        #expect(try await AuditVerification.verify(store, expecting: pruned).problem?.contains("removed by retention") == true)
        let wrong = AuditVerification.KnownRecord(sequence: 7, hash: try #require(hashes[8]))
        #expect(try await AuditVerification.verify(store, expecting: wrong).problem?.contains("the chain was replaced") == true)
    }

    @Test("Concurrent appends all land, in one unbroken chain", arguments: TestBackend.available)
    func concurrentAppends(backend: TestBackend) async throws {
        let (store, _) = try await backend.makeStore()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<300 {
                group.addTask {
                    try await store.appendAudit(AuditEntry(time: Int64(index), tenantID: "acme", actor: "system",
                                                           action: "concurrent", outcome: .info, reason: "\(index)"))
                }
            }
            try await group.waitForAll()
        }
        let report = try await AuditVerification.verify(store)
        #expect(report.intact)
        #expect(report.checked == 300)
        try await store.close()
    }
}
}
