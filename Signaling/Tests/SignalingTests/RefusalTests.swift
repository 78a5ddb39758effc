import Foundation
import Testing
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingService

/// One test per rule: the client sees the machine-readable code, and the audit log holds a refused record with it.
@Suite("Refusals over the service", .serialized)
struct RefusalTests {
    /// Runs a scenario against a fresh service seeded with tenant acme.
    func withService(remoteHelp: Bool = true, allowUnenrolled: Bool = false,
                     _ body: (TestService) async throws -> Void) async throws {
        let service = try await TestService.start(configure: { $0.allowedOrigins = ["https://help.acme.example"] })
        try await service.seedAcme(remoteHelp: remoteHelp, allowUnenrolled: allowUnenrolled)
        do { try await body(service) } catch { await service.stop(); throw error }
        await service.stop()
    }

    func expectAudited(_ service: TestService, _ code: RefusalCode, action: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let record = try await service.refusalRecord(code)
        #expect(record != nil, "no audit record for \(code.rawValue)", sourceLocation: sourceLocation)
        #expect(record?.entry.reason.isEmpty == false, sourceLocation: sourceLocation)
        if let action { #expect(record?.entry.action == action, sourceLocation: sourceLocation) }
    }

    /// A code session by helen, returning the helper and the code.
    func codeSession(_ service: TestService) async throws -> (TestParty, String, String) {
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        return (helper, try #require(created["code"]?.stringValue), try #require(created["sessionId"]?.stringValue))
    }

    @Test("Tokens: expired, forged, wrong audience, wrong issuer, disabled tenant")
    func tokenRules() async throws {
        try await withService { service in
            try await service.store.saveTenant(Tenant(id: "off", name: "Off Inc", enabled: false, remoteHelpEnabled: true))
            let party = try await TestParty.connect(port: service.port)
            let issuer = service.server.identity.issuer
            let user = try #require(try await service.store.user(id: "helen", tenantID: "acme"))

            let expired = try await issuer.issue(.access, for: user, methods: ["pwd"],
                                                 now: Date().addingTimeInterval(-7200))
            #expect(try await party.refusal(["type": "hello", "token": .string(expired)]) == "token_expired")
            try await expectAudited(service, .tokenExpired, action: "hello")

            let forger = BuiltInIssuer(issuer: issuer.issuer, key: try await SigningKey.generate(keyID: "issuer-1"))
            let forged = try await forger.issue(.access, for: user, methods: ["pwd"], now: Date())
            #expect(try await party.refusal(["type": "hello", "token": .string(forged)]) == "token_invalid")
            try await expectAudited(service, .tokenInvalid)

            let otherAudience = BuiltInIssuer(issuer: issuer.issuer, audience: "mail", key: issuer.key)
            #expect(try await party.refusal(["type": "hello", "token": .string(
                try await otherAudience.issue(.access, for: user, methods: [], now: Date()))]) == "token_wrong_audience")
            try await expectAudited(service, .tokenWrongAudience)

            let otherIssuer = BuiltInIssuer(issuer: "https://login.evil.example", key: issuer.key)
            #expect(try await party.refusal(["type": "hello", "token": .string(
                try await otherIssuer.issue(.access, for: user, methods: [], now: Date()))]) == "token_wrong_issuer")
            try await expectAudited(service, .tokenWrongIssuer)

            let offToken = try await service.token("someone", tenant: "off")
            #expect(try await party.refusal(["type": "hello", "token": .string(offToken)]) == "tenant_disabled")
            try await expectAudited(service, .tenantDisabled)

            #expect(try await party.refusal(["type": "session.create"]) == "not_signed_in")
            try await expectAudited(service, .notSignedIn)
            await party.close()
        }
    }

    @Test("Another tenant: its admin cannot reach acme, and its users cannot use acme's codes")
    func otherTenant() async throws {
        try await withService { service in
            try await service.store.saveTenant(Tenant(id: "globex", name: "Globex", remoteHelpEnabled: true))
            try await service.store.saveUser(User(id: "gary", tenantID: "globex", username: "gary", displayName: "Gary",
                                                  isTenantAdmin: true))
            let garyToken = try await service.token("gary", tenant: "globex")
            let reply = try await service.httpJSON("GET", "/admin/v1/tenants/acme/users", token: garyToken)
            #expect(reply.status == 403)
            #expect(reply.body["error"]?["code"]?.stringValue == "tenant_mismatch")
            try await expectAudited(service, .tenantMismatch, action: "admin.user.list")

            let (helper, code, _) = try await codeSession(service)
            let stranger = try await service.signedIn("gary", tenant: "globex")
            #expect(try await stranger.refusal(["type": "session.join", "code": .string(code), "deviceId": "globex-pc"])
                    == "code_invalid")
            try await expectAudited(service, .codeInvalid, action: "session.join")
            await stranger.close()
            await helper.close()
        }
    }

    @Test("Remote Help is off by default")
    func remoteHelpOff() async throws {
        try await withService(remoteHelp: false) { service in
            let helper = try await service.signedIn("helen")
            #expect(try await helper.refusal(["type": "session.create"]) == "remote_help_disabled")
            try await expectAudited(service, .remoteHelpDisabled, action: "session.create")
            #expect(Tenant(id: "x", name: "x").remoteHelpEnabled == false)
            #expect(Tenant(id: "x", name: "x").allowUnenrolledDevices == false)
            await helper.close()
        }
    }

    @Test("Missing permission: a Read Only Operator asking for control or elevation")
    func missingPermission() async throws {
        try await withService { service in
            let helper = try await service.signedIn("reed")
            helper.send(["type": "session.create"])
            let created = try await helper.next("session.created")
            let sessionID = try #require(created["sessionId"]?.stringValue)
            let sharer = try await service.signedIn("sam")
            sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
            _ = try await sharer.next("session.joined")
            sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "full_control"])
            let started = try await helper.next("session.started")
            #expect(started["permissions"] == ["view_screen"])
            #expect(try await helper.refusal(["type": "session.request_control", "sessionId": .string(sessionID),
                                              "permission": "full_control"]) == "permission_missing")
            try await expectAudited(service, .permissionMissing, action: "session.request_control")
            #expect(try await helper.refusal(["type": "session.request_control", "sessionId": .string(sessionID),
                                              "permission": "elevation"]) == "permission_missing")
            let records = try await service.store.auditRecords(tenantID: "acme", afterSequence: 0, limit: 1000)
            #expect(records.filter { $0.entry.code == "permission_missing" }.count == 2)
            await sharer.close()
            await helper.close()
        }
    }

    @Test("Roles and the tenant are read again at each control request: a role removed mid-session refuses the next one")
    func rolesReadAtEachRequest() async throws {
        try await withService { service in
            let (helper, code, sessionID) = try await codeSession(service)
            let sharer = try await service.signedIn("sam")
            sharer.send(["type": "session.join", "code": .string(code), "deviceId": "pc-1"])
            sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "view_only"])
            _ = try await helper.next("session.started")
            // Asked while helen still holds Help Desk Operator; the role goes before the sharer decides.
            helper.send(["type": "session.request_control", "sessionId": .string(sessionID), "permission": "full_control"])
            _ = try await sharer.next("session.control_requested")
            try await service.store.deleteAssignment(id: "desk", tenantID: "acme")
            #expect(try await sharer.refusal(["type": "session.control_decision", "sessionId": .string(sessionID),
                                              "permission": "full_control", "granted": true]) == "permission_missing")
            #expect(await helper.messages.types().contains("session.grant") == false)
            #expect(try await helper.refusal(["type": "session.request_control", "sessionId": .string(sessionID),
                                              "permission": "elevation"]) == "permission_missing")
            let record = try #require(try await service.refusalRecord(.permissionMissing))
            #expect(record.entry.action == "session.request_control" && record.entry.sessionID == sessionID
                    && record.entry.actor == "user:helen")

            // The role back, then Remote Help turned off for the tenant: refused again, for that reason.
            try await service.store.saveAssignment(RoleAssignment(id: "desk", tenantID: "acme",
                                                                  roleID: Role.helpDeskOperator.id, userGroups: ["helpdesk"]))
            var tenant = try #require(try await service.store.tenant(id: "acme"))
            tenant.remoteHelpEnabled = false
            try await service.store.saveTenant(tenant)
            #expect(try await helper.refusal(["type": "session.request_control", "sessionId": .string(sessionID),
                                              "permission": "full_control"]) == "remote_help_disabled")
            try await expectAudited(service, .remoteHelpDisabled, action: "session.request_control")
            tenant.remoteHelpEnabled = true
            try await service.store.saveTenant(tenant)
            helper.send(["type": "session.request_control", "sessionId": .string(sessionID), "permission": "full_control"])
            #expect(try await sharer.next("session.control_requested")["permission"] == "full_control")
            await sharer.close()
            await helper.close()
        }
    }

    @Test("Users without any role cannot start sessions")
    func noRole() async throws {
        try await withService { service in
            let nobody = try await service.signedIn("sue")
            #expect(try await nobody.refusal(["type": "session.create"]) == "permission_missing")
            try await expectAudited(service, .permissionMissing, action: "session.create")
            await nobody.close()
        }
    }

    @Test("Conditional access: non-compliant device, blocked range, missing MFA")
    func conditionalAccess() async throws {
        try await withService { service in
            try await service.store.savePolicy(ConditionalAccessPolicy(
                id: "compliant", tenantID: "acme", name: "Compliant sharer devices", parties: [.sharer],
                requireCompliantDevice: true))
            let (helper, code, _) = try await codeSession(service)
            let sharer = try await service.signedIn("sue")
            #expect(try await sharer.refusal(["type": "session.join", "code": .string(code), "deviceId": "pc-2"])
                    == "ca_device_not_compliant")
            try await expectAudited(service, .deviceNotCompliant, action: "session.join")
            let refused = try await helper.next("session.refused")
            #expect(refused["code"] == "ca_device_not_compliant")
            _ = try await helper.next("session.ended")

            try await service.store.savePolicy(ConditionalAccessPolicy(
                id: "mfa", tenantID: "acme", name: "Helpers need MFA", parties: [.helper], requireMFA: true))
            #expect(try await helper.refusal(["type": "session.create"]) == "ca_mfa_required")
            try await expectAudited(service, .mfaRequired, action: "session.create")
            let strongHelper = try await service.signedIn("helen", methods: ["pwd", "otp", "mfa"])
            strongHelper.send(["type": "session.create"])
            _ = try await strongHelper.next("session.created")

            try await service.store.savePolicy(ConditionalAccessPolicy(
                id: "block", tenantID: "acme", name: "No loopback", blockedRanges: ["loopback"]))
            let blocked = try await TestParty.connect(port: service.port)
            #expect(try await blocked.refusal(["type": "hello", "token": .string(try await service.token("sam"))])
                    == "ca_address_blocked")
            let record = try #require(try await service.refusalRecord(.addressBlocked))
            #expect(record.entry.details["policy"] == "block")
            for party in [sharer, helper, strongHelper, blocked] { await party.close() }
        }
    }

    @Test("A sharer naming another user's device, or an ownerless one, is refused; a token device claim binds")
    func deviceNotBound() async throws {
        try await withService { service in
            // Sue names Sam's enrolled, compliant pc-1, whose device-scoped roles and compliance she would borrow.
            let (helper, code, sessionID) = try await codeSession(service)
            let sue = try await service.signedIn("sue")
            #expect(try await sue.refusal(["type": "session.join", "code": .string(code), "deviceId": "pc-1"])
                    == "device_not_bound")
            try await expectAudited(service, .deviceNotBound, action: "session.join")
            #expect(try await helper.next("session.refused")["code"] == "device_not_bound")
            #expect(try await helper.next("session.ended")["reason"] == "refused")
            #expect(try await service.store.session(id: sessionID)?.deviceID == nil)

            // A device without an owner cannot be named either.
            try await service.store.saveDevice(Device(id: "lab-7", tenantID: "acme", name: "Lab 7"))
            helper.send(["type": "session.create"])
            let second = try #require(try await helper.next("session.created")["code"]?.stringValue)
            #expect(try await sue.refusal(["type": "session.join", "code": .string(second), "deviceId": "lab-7"])
                    == "device_not_bound")

            // A token that its issuer minted on lab-7 (device_id claim) binds Sue to it, also by default.
            helper.send(["type": "session.create"])
            let third = try await helper.next("session.created")
            let issuer = service.server.identity.issuer
            let now = service.clock.serviceClock.now().timeIntervalSince1970.rounded(.down)
            let claimed = try await issuer.key.sign(FlexibleClaims([
                "iss": .string(issuer.issuer), "aud": .string(issuer.audience), "sub": .string("sue"),
                "tid": .string("acme"), "typ": .string("access"), "name": .string("Sue Sharer"),
                "amr": .strings(["pwd"]), "device_id": .string("lab-7"),
                "iat": .number(now), "exp": .number(now + 600),
            ]))
            let onLab = try await TestParty.connect(port: service.port)
            onLab.send(["type": "hello", "token": .string(claimed)])
            _ = try await onLab.next("welcome")
            onLab.send(["type": "session.join", "code": third["code"] ?? .null])
            _ = try await onLab.next("session.joined")
            #expect(try await helper.next("session.peer_joined")["device"]?["id"] == "lab-7")
            for party in [helper, sue, onLab] { await party.close() }
        }
    }

    @Test("Remote launch: the sharer's conditional access applies when the agent accepts")
    func launchConditionalAccess() async throws {
        try await withService { service in
            try await service.store.savePolicy(ConditionalAccessPolicy(
                id: "office", tenantID: "acme", name: "Sharers only from the lab", parties: [.sharer],
                allowedRanges: ["lab"]))
            let agent = try await service.deviceAgent("pc-1")
            let helper = try await service.signedIn("helen")
            helper.send(["type": "session.create", "deviceId": "pc-1"])
            let created = try await helper.next("session.created")
            let request = try await agent.next("launch.request")
            #expect(try await agent.refusal(["type": "launch.response", "sessionId": request["sessionId"] ?? .null,
                                             "accept": true]) == "ca_address_not_allowed")
            try await expectAudited(service, .addressNotAllowed, action: "launch.response")
            #expect(try await helper.next("session.refused")["code"] == "ca_address_not_allowed")
            #expect(try await helper.next("session.ended")["reason"] == "refused")
            #expect(await helper.messages.types().contains("session.started") == false)
            #expect(try await service.store.session(id: created["sessionId"]?.stringValue ?? "")?.endReason == "refused")

            // A sharer policy requiring MFA refuses too: nobody signed in with a second factor on the agent.
            try await service.store.deletePolicy(id: "office", tenantID: "acme")
            try await service.store.savePolicy(ConditionalAccessPolicy(
                id: "mfa", tenantID: "acme", name: "Sharers need MFA", parties: [.sharer], requireMFA: true))
            helper.send(["type": "session.create", "deviceId": "pc-1"])
            let second = try await agent.next("launch.request")
            #expect(try await agent.refusal(["type": "launch.response", "sessionId": second["sessionId"] ?? .null,
                                             "accept": true]) == "ca_mfa_required")
            await agent.close()
            await helper.close()
        }
    }

    @Test("Unenrolled device while the tenant does not allow them")
    func unenrolled() async throws {
        try await withService { service in
            let (helper, code, _) = try await codeSession(service)
            let sharer = try await service.signedIn("sam")
            #expect(try await sharer.refusal(["type": "session.join", "code": .string(code)]) == "device_not_enrolled")
            try await expectAudited(service, .deviceNotEnrolled, action: "session.join")
            await sharer.close()
            await helper.close()
        }
    }

    @Test("Codes: reused, expired, and guessed until lockout")
    func codes() async throws {
        try await withService { service in
            let (helper, code, _) = try await codeSession(service)
            let sharer = try await service.signedIn("sam")
            sharer.send(["type": "session.join", "code": .string(code), "deviceId": "pc-1"])
            _ = try await sharer.next("session.joined")
            let second = try await service.signedIn("sue")
            #expect(try await second.refusal(["type": "session.join", "code": .string(code), "deviceId": "pc-2"])
                    == "code_used")
            try await expectAudited(service, .codeUsed)

            helper.send(["type": "session.create"])
            let late = try #require(try await helper.next("session.created")["code"]?.stringValue)
            service.clock.advance(seconds: 601)
            #expect(try await second.refusal(["type": "session.join", "code": .string(late), "deviceId": "pc-2"])
                    == "code_expired")
            try await expectAudited(service, .codeExpired)

            // The clock jump opened a new ten-minute window with sue's one failure (the expired code); four wrong
            // guesses reach the per-user limit of five.
            helper.send(["type": "session.create"])
            let fresh = try #require(try await helper.next("session.created")["code"]?.stringValue)
            for guess in ["00000001", "00000002", "00000003", "00000004"] where guess != fresh {
                #expect(try await second.refusal(["type": "session.join", "code": .string(guess), "deviceId": "pc-2"])
                        == "code_invalid")
            }
            #expect(try await second.refusal(["type": "session.join", "code": .string(fresh), "deviceId": "pc-2"])
                    == "code_locked_out")
            try await expectAudited(service, .lockedOut)
            for party in [helper, sharer, second] { await party.close() }
        }
    }

    @Test("A sharer trying helper actions, and a stranger messaging a session")
    func wrongPartyAndNonMember() async throws {
        try await withService { service in
            let (helper, code, sessionID) = try await codeSession(service)
            let sharer = try await service.signedIn("sam")
            sharer.send(["type": "session.join", "code": .string(code), "deviceId": "pc-1"])
            _ = try await sharer.next("session.joined")
            sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "view_only"])
            _ = try await sharer.next("session.started")
            #expect(try await sharer.refusal(["type": "session.request_control", "sessionId": .string(sessionID),
                                              "permission": "full_control"]) == "wrong_party")
            try await expectAudited(service, .wrongParty, action: "session.request_control")
            #expect(try await sharer.refusal(["type": "session.acknowledge_compliance", "sessionId": .string(sessionID)])
                    == "wrong_party")

            let stranger = try await service.signedIn("sue")
            #expect(try await stranger.refusal(["type": "signal", "sessionId": .string(sessionID),
                                                "payload": ["sdp": "v=0"]]) == "not_session_member")
            try await expectAudited(service, .notSessionMember, action: "signal")
            #expect(try await stranger.refusal(["type": "session.end", "sessionId": .string(sessionID)])
                    == "not_session_member")
            // Nothing reached the members.
            #expect(await helper.messages.types().contains("signal") == false)
            for party in [helper, sharer, stranger] { await party.close() }
        }
    }

    @Test("A WebSocket from a foreign Origin is refused before the upgrade")
    func foreignOrigin() async throws {
        try await withService { service in
            let party = try await TestParty.connect(port: service.port, origin: "https://evil.example")
            let result = await party.task.result
            #expect(throws: (any Error).self) { try result.get() }
            try await expectAudited(service, .originNotAllowed, action: "ws.upgrade")
            let record = try #require(try await service.refusalRecord(.originNotAllowed))
            #expect(record.entry.details["origin"]?.contains("https://evil.example") == true)

            let allowed = try await TestParty.connect(port: service.port, origin: "https://help.acme.example")
            allowed.send(["type": "ping"])
            _ = try await allowed.next("pong")
            await allowed.close()
        }
    }
}
