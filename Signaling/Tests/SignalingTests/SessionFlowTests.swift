import Foundation
import Testing
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingService
import SignalingStore

@Suite("Session flows over the service", .serialized)
struct SessionFlowTests {
    @Test("Code session: join shows the helper's organisation, compliance is acknowledged, grant verifies, SDP/ICE relay, control, end")
    func codeSession() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create", "id": "c1"])
        let created = try await helper.next("session.created")
        #expect(created["ref"] == "c1")
        let code = try #require(created["code"]?.stringValue)
        let sessionID = try #require(created["sessionId"]?.stringValue)
        #expect(code.count == 8 && code.allSatisfy(\.isNumber))

        let sharer = try await service.signedIn("sue")
        sharer.send(["type": "session.join", "code": .string(code), "deviceId": "pc-2"])
        let joined = try await sharer.next("session.joined")
        #expect(joined["helper"]?["name"] == "Helen Help")
        #expect(joined["helper"]?["organisation"] == "Acme Corp")
        #expect(joined["helper"]?["verifiedDomain"] == "acme.example")
        let peer = try await helper.next("session.peer_joined")
        #expect(peer["compliance"]?["acknowledgementRequired"] == true)
        #expect(peer["compliance"]?["reasons"] == ["disk not encrypted"])

        // Consent alone does not start the session while the warning is unacknowledged, and nothing is relayed.
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "full_control"])
        #expect(try await helper.refusal(["type": "signal", "sessionId": .string(sessionID), "payload": ["sdp": "x"]])
                == "compliance_not_acknowledged")
        helper.send(["type": "session.acknowledge_compliance", "sessionId": .string(sessionID)])
        _ = try await helper.next("session.compliance_acknowledged")
        let started = try await helper.next("session.started")
        let sharerStarted = try await sharer.next("session.started")
        #expect(started["permissions"] == ["view_screen", "full_control"])
        #expect(started["iceTransportPolicy"] == "all")
        let servers = try #require(started["iceServers"]?.arrayValue)
        #expect(servers.count == 2)
        let username = try #require(servers[1]["username"]?.stringValue)
        #expect(username.hasSuffix(":\(sessionID)"))
        #expect(servers[1]["credential"]?.stringValue
                == TURNCredentials.make(secret: "test-turn-secret", sessionID: sessionID,
                                        expiresAt: Int64(username.prefix { $0 != ":" }) ?? 0).password)
        let acknowledgement = try await service.store.auditRecords(tenantID: "acme", afterSequence: 0, limit: 1000)
            .first { $0.entry.action == "session.acknowledge_compliance" }
        #expect(acknowledgement?.entry.actor == "user:helen")
        #expect(acknowledgement?.entry.reason.contains("disk not encrypted") == true)

        // The sharer verifies the grant with the published key.
        let keys = try await service.http("GET", "/.well-known/tandem-grant-keys")
        let grant = try await SessionGrant.verify(try #require(sharerStarted["grant"]?.stringValue), publicJWKS: keys.body,
                                                  sessionID: sessionID, now: Date())
        #expect(grant.tenantID == "acme" && grant.helperUserID == "helen" && grant.sharerUserID == "sue")
        #expect(grant.deviceID == "pc-2" && grant.permissions == [.viewScreen, .fullControl])

        // SDP and ICE reach only the other member, untouched.
        helper.send(["type": "signal", "sessionId": .string(sessionID), "payload": ["type": "offer", "sdp": "v=0\r\n"]])
        let offer = try await sharer.next("signal")
        #expect(offer["from"] == "helper" && offer["payload"]?["sdp"] == "v=0\r\n")
        sharer.send(["type": "signal", "sessionId": .string(sessionID),
                     "payload": ["candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"]])
        #expect(try await helper.next("signal")["from"] == "sharer")
        sharer.send(["type": "chat", "sessionId": .string(sessionID), "text": "hello"])
        #expect(try await helper.next("chat")["text"] == "hello")
        var tenant = try #require(try await service.store.tenant(id: "acme"))
        tenant.chatEnabled = false
        try await service.store.saveTenant(tenant)
        #expect(try await sharer.refusal(["type": "chat", "sessionId": .string(sessionID), "text": "hi"]) == "chat_disabled")

        // Elevation: asked by the helper, decided by the sharer, then a new grant.
        helper.send(["type": "session.request_control", "sessionId": .string(sessionID), "permission": "elevation"])
        #expect(try await sharer.next("session.control_requested")["permission"] == "elevation")
        sharer.send(["type": "session.control_decision", "sessionId": .string(sessionID), "permission": "elevation",
                     "granted": true])
        let regrant = try await helper.next("session.grant")
        #expect(regrant["permissions"] == ["view_screen", "full_control", "elevation"])
        sharer.send(["type": "session.revoke_control", "sessionId": .string(sessionID)])
        #expect(try await helper.next("session.grant", where: { $0["permissions"] == ["view_screen"] })["permissions"]
                == ["view_screen"])

        #expect(await service.server.hub.activeSessions(tenantID: "acme").count == 1)
        sharer.send(["type": "session.end", "sessionId": .string(sessionID)])
        #expect(try await helper.next("session.ended")["reason"] == "ended_by_sharer")
        let history = try #require(try await service.store.session(id: sessionID))
        #expect(history.state == .ended && history.endReason == "ended_by_sharer")
        #expect(history.elevationUsed && history.controlUsed)
        #expect(history.sharerUserID == "sue" && history.deviceID == "pc-2")
        #expect(try await AuditVerification.verify(service.store).intact)
        await helper.close()
        await sharer.close()
    }

    @Test("View-only consent: the helper asks for control and the sharer declines")
    func declinedControl() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        let sharer = try await service.signedIn("sam")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        _ = try await sharer.next("session.joined")
        #expect(try await helper.next("session.peer_joined")["compliance"]?["acknowledgementRequired"] == false)
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "view_only"])
        #expect(try await helper.next("session.started")["permissions"] == ["view_screen"])
        helper.send(["type": "session.request_control", "sessionId": .string(sessionID), "permission": "full_control"])
        _ = try await sharer.next("session.control_requested")
        sharer.send(["type": "session.control_decision", "sessionId": .string(sessionID), "permission": "full_control",
                     "granted": false])
        _ = try await helper.next("session.control_declined")
        let declined = try #require(try await service.refusalRecord(.controlDeclined))
        #expect(declined.entry.sessionID == sessionID)
        helper.send(["type": "session.end", "sessionId": .string(sessionID)])
        #expect(try await sharer.next("session.ended")["reason"] == "ended_by_helper")
        #expect(try await service.store.session(id: sessionID)?.controlUsed == false)
        await helper.close()
        await sharer.close()
    }

    @Test("Remote launch: the agent gets the request with the helper's card; accept starts, decline ends")
    func remoteLaunch() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        // The agent signs in with its device credential.
        let tokenReply = try await service.httpJSON("POST", "/auth/device",
                                                    json: ["tenant": "acme", "deviceId": "pc-1", "secret": "pc-1-secret"])
        #expect(tokenReply.status == 200)
        let wrongSecret = try await service.httpJSON("POST", "/auth/device",
                                                     json: ["tenant": "acme", "deviceId": "pc-1", "secret": "guess"])
        #expect(wrongSecret.body["error"]?["code"] == "credentials_invalid")
        let agent = try await TestParty.connect(port: service.port)
        agent.send(["type": "hello", "token": tokenReply.body["access_token"] ?? .null])
        #expect(try await agent.next("welcome")["principal"]?["kind"] == "device")
        agent.send(["type": "device.checkin", "os": "Debian 12"])
        _ = try await agent.next("device.checked_in")
        #expect(try await service.store.device(id: "pc-1", tenantID: "acme")?.os == "Debian 12")

        let helper = try await service.signedIn("helen")
        #expect(try await helper.refusal(["type": "session.create", "deviceId": "pc-2"]) == "device_offline")
        helper.send(["type": "session.create", "deviceId": "pc-1"])
        let created = try await helper.next("session.created")
        #expect(created["remoteLaunch"] == true && created["code"] == nil)
        let request = try await agent.next("launch.request")
        #expect(request["helper"]?["organisation"] == "Acme Corp")
        agent.send(["type": "launch.response", "sessionId": request["sessionId"] ?? .null, "accept": true,
                    "mode": "full_control"])
        let started = try await helper.next("session.started")
        #expect(started["permissions"] == ["view_screen", "full_control"])
        _ = try await agent.next("session.started")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        #expect(try await service.store.session(id: sessionID)?.sharerUserID == "sam")
        // The grant names the device's owner as the sharer (PROTOCOL.md §2.6), not the agent's device id.
        let launchGrant = try await SessionGrant.verify(try #require(started["grant"]?.stringValue),
                                                        publicJWKS: service.server.identity.grantKey.publicJWKS,
                                                        sessionID: sessionID, now: Date())
        #expect(launchGrant.sharerUserID == "sam" && launchGrant.deviceID == "pc-1")
        _ = try await service.http("POST", "/admin/v1/tenants/acme/sessions/\(sessionID)/end") // not signed in: refused
        #expect(try await service.refusalRecord(.notSignedIn)?.entry.action == "admin.session.end")
        await service.server.hub.end(sessionID, reason: "admin", actor: "admin:test")
        #expect(try await agent.next("session.ended")["reason"] == "admin")

        helper.send(["type": "session.create", "deviceId": "pc-1"])
        let second = try await helper.next("session.created")
        let secondRequest = try await agent.next("launch.request")
        agent.send(["type": "launch.response", "sessionId": secondRequest["sessionId"] ?? .null, "accept": false])
        #expect(try await helper.next("session.refused")["code"] == "launch_declined")
        #expect(try await helper.next("session.ended", where: { $0["sessionId"] == second["sessionId"] })["reason"]
                == "declined")
        #expect(try await service.refusalRecord(.launchDeclined)?.entry.sessionID == second["sessionId"]?.stringValue)
        await agent.close()
        await helper.close()
    }

    @Test("A non-compliant device's launch waits for the helper's acknowledgement")
    func launchNeedsAcknowledgement() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        let agent = try await service.deviceAgent("pc-2")
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create", "deviceId": "pc-2"])
        let created = try await helper.next("session.created")
        #expect(created["compliance"]?["acknowledgementRequired"] == true)
        try await Task.sleep(for: .milliseconds(100))
        #expect(await agent.messages.types().contains("launch.request") == false)
        helper.send(["type": "session.acknowledge_compliance", "sessionId": created["sessionId"] ?? .null])
        _ = try await agent.next("launch.request")
        await agent.close()
        await helper.close()
    }

    @Test("Sessions end on disconnect and on timeout")
    func timeouts() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let waiting = try await helper.next("session.created")
        service.clock.advance(seconds: 601)
        await service.server.hub.sweep()
        #expect(try await helper.next("session.ended")["reason"] == "code_expired")
        #expect(try await service.store.session(id: waiting["sessionId"]?.stringValue ?? "")?.endReason == "code_expired")

        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sharer = try await service.signedIn("sam")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        sharer.send(["type": "session.consent", "sessionId": created["sessionId"] ?? .null, "mode": "view_only"])
        _ = try await helper.next("session.started")
        service.clock.advance(seconds: 8 * 3600 + 1)
        await service.server.hub.sweep()
        #expect(try await sharer.next("session.ended")["reason"] == "timeout")

        helper.send(["type": "session.create"])
        let third = try await helper.next("session.created")
        sharer.send(["type": "session.join", "code": third["code"] ?? .null, "deviceId": "pc-1"])
        _ = try await sharer.next("session.joined")
        await sharer.close()
        #expect(try await helper.next("session.ended", where: { $0["sessionId"] == third["sessionId"] })["reason"]
                == "disconnected")
        await helper.close()
    }

    /// helen helps sam on pc-1 in a started session; returns both parties and the session id.
    func startedSession(_ service: TestService, mode: String = "view_only") async throws -> (TestParty, TestParty, String) {
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        let sharer = try await service.signedIn("sam")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": .string(mode)])
        _ = try await helper.next("session.started")
        _ = try await sharer.next("session.started")
        return (helper, sharer, sessionID)
    }

    @Test("Grants are renewed before they expire (short lifetime); a helper who lost the role loses the session")
    func grantRenewal() async throws {
        let service = try await TestService.start(configure: { $0.grantLifetimeSeconds = 60 })
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        let keys = service.server.identity.grantKey.publicJWKS
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        let sharer = try await service.signedIn("sam")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "full_control"])
        let first = try #require(try await sharer.next("session.started")["grant"]?.stringValue)
        let firstGrant = try await SessionGrant.verify(first, publicJWKS: keys, sessionID: sessionID,
                                                       now: service.clock.serviceClock.now())
        #expect(firstGrant.expiresAt - firstGrant.issuedAt == 60)

        service.clock.advance(seconds: 30)
        await service.server.hub.sweep()
        #expect(await sharer.messages.types().contains("session.grant") == false)
        service.clock.advance(seconds: 20)
        await service.server.hub.sweep()
        let renewed = try await sharer.next("session.grant")
        #expect(renewed["renewal"] == true && renewed["permissions"] == ["view_screen", "full_control"])
        #expect(try await helper.next("session.grant")["renewal"] == true)
        // Past the first grant's expiry, only the renewed one verifies.
        let later = service.clock.serviceClock.now().addingTimeInterval(30)
        let grant = try await SessionGrant.verify(try #require(renewed["grant"]?.stringValue), publicJWKS: keys,
                                                  sessionID: sessionID, now: later)
        #expect(grant.expiresAt > firstGrant.expiresAt && grant.permissions == [.viewScreen, .fullControl])
        await #expect(throws: GrantError.self) {
            _ = try await SessionGrant.verify(first, publicJWKS: keys, sessionID: sessionID, now: later)
        }
        #expect(try await service.store.auditRecords(tenantID: "acme", afterSequence: 0, limit: 1000)
            .contains { $0.entry.action == "session.grant" && $0.entry.reason.contains("renewed") })

        // Without a role, no renewal: the session ends.
        try await service.store.deleteAssignment(id: "desk", tenantID: "acme")
        service.clock.advance(seconds: 50)
        await service.server.hub.sweep()
        #expect(try await sharer.next("session.ended")["reason"] == "revoked")
        #expect(try await service.refusalRecord(.permissionMissing)?.entry.action == "session.grant")
        #expect(try await service.store.session(id: sessionID)?.endReason == "revoked")
        await helper.close()
        await sharer.close()
    }

    @Test("Graceful shutdown with live sessions: both parties hear service_shutdown, history records it, sockets close")
    func gracefulShutdown() async throws {
        let service = try await TestService.start()
        try await service.seedAcme()
        let (helper, sharer, sessionID) = try await startedSession(service)
        helper.send(["type": "session.create"])
        let waiting = try #require(try await helper.next("session.created")["sessionId"]?.stringValue)
        await service.stop()
        #expect(try await helper.next("session.ended", where: { $0["sessionId"] == .string(sessionID) })["reason"]
                == "service_shutdown")
        #expect(try await helper.next("session.ended", where: { $0["sessionId"] == .string(waiting) })["reason"]
                == "service_shutdown")
        #expect(try await sharer.next("session.ended")["reason"] == "service_shutdown")
        // The service closed both WebSockets.
        _ = await helper.task.result
        _ = await sharer.task.result
        let store = try await StoreFactory.open(dataDirectory: service.directory, logger: TestBackend.quietLogger)
        for id in [sessionID, waiting] {
            let history = try #require(try await store.session(id: id))
            #expect(history.state == .ended && history.endReason == "service_shutdown" && history.endedAt != nil)
        }
        #expect(try await AuditVerification.verify(store).intact)
        try await store.close()
    }

    @Test("Sessions a crash left open are closed at the next start (service_restart), on record")
    func recoveryAfterCrash() async throws {
        let first = try await TestService.start()
        try await first.seedAcme()
        let (helper, sharer, sessionID) = try await startedSession(first)
        helper.send(["type": "session.create"])
        let waiting = try #require(try await helper.next("session.created")["sessionId"]?.stringValue)
        await first.crash()
        #expect(await helper.messages.types().contains("session.ended") == false)
        let reopened = try await StoreFactory.open(dataDirectory: first.directory, logger: TestBackend.quietLogger)
        #expect(try await reopened.session(id: sessionID)?.state == .active)
        try await reopened.close()

        let second = try await TestService.start(directory: first.directory)
        defer { Task { await second.stop() } }
        let records = try await second.store.auditRecords(tenantID: "acme", afterSequence: 0, limit: 10_000)
        for id in [sessionID, waiting] {
            let history = try #require(try await second.store.session(id: id))
            #expect(history.state == .ended && history.endReason == "service_restart")
            #expect(records.contains { $0.entry.sessionID == id && $0.entry.action == "session.end"
                && $0.entry.reason.contains("service_restart") })
        }
        #expect(await second.server.hub.activeSessions(tenantID: "acme").isEmpty)
        #expect(try await AuditVerification.verify(second.store).intact)
        await helper.close()
        await sharer.close()
    }

    @Test("Relay policy: relay_only hands out only TURN with policy relay; direct_only only STUN")
    func relayPolicies() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        for (policy, expected) in [(RelayPolicy.relayOnly, ("relay", "turn:")), (.directOnly, ("all", "stun:"))] {
            var tenant = try #require(try await service.store.tenant(id: "acme"))
            tenant.relayPolicy = policy
            try await service.store.saveTenant(tenant)
            let helper = try await service.signedIn("helen")
            helper.send(["type": "session.create"])
            let created = try await helper.next("session.created")
            let sharer = try await service.signedIn("sam")
            sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
            sharer.send(["type": "session.consent", "sessionId": created["sessionId"] ?? .null, "mode": "view_only"])
            let started = try await helper.next("session.started")
            #expect(started["iceTransportPolicy"]?.stringValue == expected.0)
            let servers = try #require(started["iceServers"]?.arrayValue)
            #expect(servers.count == 1)
            #expect(servers.first?["urls"]?.arrayValue?.first?.stringValue?.hasPrefix(expected.1) == true)
            await helper.close()
            await sharer.close()
        }
    }

    @Test("Unattended launch needs unattended_control over the device; the grant then carries it")
    func unattended() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        try await service.store.saveRole(Role(id: "lab", tenantID: "acme", name: "Lab", permissions: [.viewScreen, .unattendedControl]))
        try await service.store.saveAssignment(RoleAssignment(id: "lab", tenantID: "acme", roleID: "lab",
                                                              userIDs: ["reed"], deviceGroups: ["lab"]))
        try await service.store.saveDevice(Device(id: "lab-7", tenantID: "acme", name: "Lab 7", groups: ["lab"]))
        let agent = try await service.deviceAgent("lab-7")
        let helen = try await service.signedIn("helen")
        #expect(try await helen.refusal(["type": "session.create", "deviceId": "lab-7", "unattended": true])
                == "permission_missing")
        #expect(try await service.refusalRecord(.permissionMissing)?.entry.reason.contains("unattended_control") == true)
        #expect(try await helen.refusal(["type": "session.create", "unattended": true]) == "bad_request")
        let reed = try await service.signedIn("reed")
        reed.send(["type": "session.create", "deviceId": "lab-7", "unattended": true])
        #expect(try await reed.next("session.created")["unattended"] == true)
        let request = try await agent.next("launch.request")
        #expect(request["unattended"] == true)
        agent.send(["type": "launch.response", "sessionId": request["sessionId"] ?? .null, "accept": true,
                    "mode": "full_control"])
        // Reed's roles give view and unattended control, not full control.
        let started = try await reed.next("session.started")
        #expect(started["permissions"] == ["view_screen", "unattended_control"])
        // Lab 7 has no owner: the grant's sharer is the device itself.
        let grant = try await SessionGrant.verify(try #require(started["grant"]?.stringValue),
                                                  publicJWKS: service.server.identity.grantKey.publicJWKS,
                                                  sessionID: try #require(request["sessionId"]?.stringValue), now: Date())
        #expect(grant.sharerUserID == "device:lab-7")
        await agent.close()
        await helen.close()
        await reed.close()
    }
}
