import Foundation
import Testing
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingService
import SignalingStore
#if canImport(Glibc)
import Glibc
#endif

@Suite("Load and restart", .serialized)
struct LoadAndRestartTests {
    /// Each agent and party holds two descriptors here (client and server end).
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < 8192 else { return }
        limit.rlim_cur = min(limit.rlim_max, 8192)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }

    @Test("1,000 device agents over real WebSockets, then 200 sessions set up concurrently, all succeed")
    func thousandAgentsTwoHundredSessions() async throws {
        Self.raiseDescriptorLimit()
        let service = try await TestService.start()
        try await service.seedAcme()
        let agentCount = 1000
        let sessionCount = 200
        for index in 0..<agentCount {
            try await service.store.saveDevice(Device(id: "agent-\(index)", tenantID: "acme", name: "Agent \(index)"))
        }
        for index in 0..<sessionCount {
            try await service.store.saveUser(User(id: "helper-\(index)", tenantID: "acme", username: "helper-\(index)",
                                                  displayName: "Helper \(index)", groups: ["helpdesk"]))
            try await service.store.saveUser(User(id: "sharer-\(index)", tenantID: "acme", username: "sharer-\(index)",
                                                  displayName: "Sharer \(index)"))
            // Each sharer joins from a device of its own (a sharer may only name a device bound to it).
            try await service.store.saveDevice(Device(id: "pc-sharer-\(index)", tenantID: "acme",
                                                      name: "Sharer \(index)'s PC", ownerUserID: "sharer-\(index)"))
        }
        let started = ContinuousClock.now
        let agents = try await withThrowingTaskGroup(of: TestParty.self) { group in
            for index in 0..<agentCount { group.addTask { try await service.deviceAgent("agent-\(index)") } }
            var connected: [TestParty] = []
            for try await agent in group { connected.append(agent) }
            return connected
        }
        let agentsConnected = ContinuousClock.now
        #expect(agents.count == agentCount)
        #expect(await service.server.hub.agentCount == agentCount)

        let grantKeys = service.server.identity.grantKey.publicJWKS
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<sessionCount {
                group.addTask {
                    let helper = try await service.signedIn("helper-\(index)")
                    helper.send(["type": "session.create"])
                    let created = try await helper.next("session.created", timeout: .seconds(60))
                    let sessionID = try #require(created["sessionId"]?.stringValue)
                    let sharer = try await service.signedIn("sharer-\(index)")
                    sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": .string("pc-sharer-\(index)")])
                    _ = try await sharer.next("session.joined", timeout: .seconds(60))
                    sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "view_only"])
                    let start = try await sharer.next("session.started", timeout: .seconds(60))
                    _ = try await helper.next("session.started", timeout: .seconds(60))
                    let grant = try await SessionGrant.verify(try #require(start["grant"]?.stringValue),
                                                              publicJWKS: grantKeys, sessionID: sessionID, now: Date())
                    await helper.close()
                    await sharer.close()
                    return grant.helperUserID == "helper-\(index)" && grant.sharerUserID == "sharer-\(index)"
                }
            }
            var results: [Bool] = []
            for try await outcome in group { results.append(outcome) }
            return results
        }
        let sessionsDone = ContinuousClock.now
        #expect(outcomes.count == sessionCount)
        #expect(outcomes.allSatisfy { $0 })
        #expect(await service.server.hub.agentCount == agentCount)
        print("load: \(agentCount) agents connected in \(agentsConnected - started); \(sessionCount) sessions set up in \(sessionsDone - agentsConnected)")
        for agent in agents { await agent.close() }
        #expect(try await AuditVerification.verify(service.store).intact)
        await service.stop()
    }

    @Test("A restart on the same data directory keeps every audit record, the session history and the keys")
    func restart() async throws {
        let first = try await TestService.start()
        #expect(first.firstAdminPassword != nil)
        try await first.seedAcme()
        let helper = try await first.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        let sharer = try await first.signedIn("sam")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "view_only"])
        _ = try await helper.next("session.started")
        helper.send(["type": "session.end", "sessionId": .string(sessionID)])
        _ = try await sharer.next("session.ended")
        let tokenBefore = try await first.token("helen")
        let recordsBefore = try await first.store.auditRecords(tenantID: nil, afterSequence: 0, limit: 100_000)
        await helper.close()
        await sharer.close()
        await first.stop()

        let second = try await TestService.start(directory: first.directory)
        #expect(second.firstAdminPassword == nil)
        let recordsAfter = try await second.store.auditRecords(tenantID: nil, afterSequence: 0, limit: 100_000)
        #expect(Array(recordsAfter.prefix(recordsBefore.count)) == recordsBefore)
        #expect(try await AuditVerification.verify(second.store).intact)
        let history = try #require(try await second.store.session(id: sessionID))
        #expect(history.state == .ended && history.endReason == "ended_by_helper" && history.sharerUserID == "sam")
        // Tokens issued before the restart still verify: the signing key was kept.
        let party = try await TestParty.connect(port: second.port)
        party.send(["type": "hello", "token": .string(tokenBefore)])
        _ = try await party.next("welcome")
        await party.close()
        await second.stop()
    }
}
