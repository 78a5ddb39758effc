import Foundation
import Testing
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingService
import SignalingStore

@Suite("Admin API", .serialized)
struct AdminAPITests {
    @Test("First admin signs in, turns Remote Help on, manages users, roles, devices and policies; every change is audited")
    func administration() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        let password = try #require(service.firstAdminPassword)
        let wrong = try await service.httpJSON("POST", "/auth/token",
                                               json: ["tenant": "default", "username": "admin", "password": "nope"])
        #expect(wrong.status == 401 && wrong.body["error"]?["code"] == "credentials_invalid")
        #expect(try await service.refusalRecord(.credentialsInvalid)?.entry.details["username"] == "admin")
        let signIn = try await service.httpJSON("POST", "/auth/token",
                                                json: ["tenant": "default", "username": "admin", "password": .string(password)])
        let token = try #require(signIn.body["access_token"]?.stringValue)

        var tenant = try #require(try await service.store.tenant(id: "default"))
        #expect(!tenant.remoteHelpEnabled)
        tenant.remoteHelpEnabled = true
        tenant.namedRanges = ["office": ["10.1.0.0/16"]]
        let update = try await service.httpJSON("PUT", "/admin/v1/tenants/default", json: .encoding(tenant), token: token)
        #expect(update.status == 200 && update.body["remoteHelpEnabled"] == true)

        let created = try await service.httpJSON("POST", "/admin/v1/tenants/default/users", json: [
            "id": "helen", "username": "helen", "displayName": "Helen", "groups": ["helpdesk"], "password": "pw-helen",
        ], token: token)
        #expect(created.status == 201 && created.body["passwordHash"] == nil)
        let duplicate = try await service.httpJSON("POST", "/admin/v1/tenants/default/users", json: [
            "username": "helen", "displayName": "Again"], token: token)
        #expect(duplicate.status == 409)
        let totp = try await service.httpJSON("POST", "/admin/v1/tenants/default/users/helen/totp", token: token)
        let secret = try #require(totp.body["secret"]?.stringValue)

        // Sign-in now needs the TOTP code, and its use shows in amr.
        let noCode = try await service.httpJSON("POST", "/auth/token",
                                                json: ["tenant": "default", "username": "helen", "password": "pw-helen"])
        #expect(noCode.body["error"]?["code"] == "mfa_code_required")
        let code = try #require(TOTP(base32Secret: secret)).code(at: service.clock.serviceClock.seconds)
        let strong = try await service.httpJSON("POST", "/auth/token", json: [
            "tenant": "default", "username": "helen", "password": "pw-helen", "otp": .string(code)])
        let helenToken = try #require(strong.body["access_token"]?.stringValue)
        let (principal, _) = try await service.server.identity.validator.validate(helenToken, now: Date())
        #expect(principal.authenticationMethods == ["pwd", "otp", "mfa"])
        let refreshed = try await service.httpJSON("POST", "/auth/refresh", json: ["refresh_token": strong.body["refresh_token"] ?? .null])
        #expect(refreshed.body["access_token"]?.stringValue != nil)

        // Helen is no admin.
        let notAdmin = try await service.httpJSON("GET", "/admin/v1/tenants/default/users", token: helenToken)
        #expect(notAdmin.status == 403 && notAdmin.body["error"]?["code"] == "not_admin")

        let builtIn = try await service.httpJSON("PUT", "/admin/v1/tenants/default/roles/help-desk-operator",
                                                 json: .encoding(Role.helpDeskOperator), token: token)
        #expect(builtIn.status == 409)
        _ = try await service.httpJSON("PUT", "/admin/v1/tenants/default/roles/lab", json: .encoding(
            Role(id: "lab", tenantID: nil, name: "Lab", permissions: [.viewScreen, .unattendedControl])), token: token)
        let assignment = try await service.httpJSON("PUT", "/admin/v1/tenants/default/assignments/a1", json: .encoding(
            RoleAssignment(id: "", tenantID: "", roleID: "lab", userGroups: ["helpdesk"], deviceGroups: ["lab"])), token: token)
        #expect(assignment.status == 200)
        let roles = try await service.httpJSON("GET", "/admin/v1/tenants/default/roles", token: token)
        #expect(roles.body.arrayValue?.count == 3)

        let enrolled = try await service.httpJSON("POST", "/admin/v1/tenants/default/devices", json: [
            "id": "pc-9", "name": "Lab PC", "groups": ["lab"]], token: token)
        #expect(enrolled.status == 201 && enrolled.body["secret"]?.stringValue?.count == 64)
        #expect(enrolled.body["device"]?["credentialHash"] == nil)
        _ = try await service.httpJSON("PUT", "/admin/v1/tenants/default/devices/pc-9", json: [
            "id": "pc-9", "name": "Lab PC", "compliant": false, "complianceReasons": ["firewall off"]], token: token)
        #expect(try await service.store.device(id: "pc-9", tenantID: "default")?.complianceReasons == ["firewall off"])

        _ = try await service.httpJSON("PUT", "/admin/v1/tenants/default/policies/office", json: .encoding(
            ConditionalAccessPolicy(id: "", tenantID: "", name: "Office only", priority: 1, parties: [.sharer],
                                    allowedRanges: ["office"])), token: token)
        _ = try await service.httpJSON("PUT", "/admin/v1/tenants/default/policies/compliant", json: .encoding(
            ConditionalAccessPolicy(id: "", tenantID: "", name: "Compliant devices", priority: 2,
                                    requireCompliantDevice: true)), token: token)
        let whatIf = try await service.httpJSON("POST", "/admin/v1/tenants/default/policies/what-if", json: [
            "userId": "helen", "party": "sharer", "address": "10.1.2.3", "deviceId": "pc-9"], token: token)
        #expect(whatIf.body["allowed"] == false)
        #expect(whatIf.body["decidingPolicyID"] == "compliant")
        #expect(whatIf.body["refusal"]?["code"] == "ca_device_not_compliant")
        #expect(whatIf.body["summary"]?.stringValue?.contains("compliant") == true)
        let outside = try await service.httpJSON("POST", "/admin/v1/tenants/default/policies/what-if", json: [
            "userId": "helen", "party": "sharer", "address": "192.0.2.7"], token: token)
        #expect(outside.body["decidingPolicyID"] == "office")
        let helperView = try await service.httpJSON("POST", "/admin/v1/tenants/default/policies/what-if", json: [
            "userId": "helen", "party": "helper", "address": "192.0.2.7"], token: token)
        #expect(helperView.body["trace"]?.arrayValue?.first?["outcome"] == "not_applicable")

        let audit = try await service.httpJSON("GET", "/admin/v1/tenants/default/audit?limit=1000", token: token)
        let actions = Set(audit.body.arrayValue?.compactMap { $0["entry"]?["action"]?.stringValue } ?? [])
        for action in ["admin.tenant.update", "admin.user.create", "admin.user.totp", "admin.role.update",
                       "admin.assignment.update", "admin.device.enrol", "admin.device.update", "admin.policy.update"] {
            #expect(actions.contains(action), "\(action)")
        }
        let health = try await service.http("GET", "/health")
        #expect(health.status == 200)
        let metrics = try await service.http("GET", "/metrics")
        #expect(metrics.body.contains("tandem_refusals_total{code=\"credentials_invalid\"}"))
    }

    @Test("Reports: active sessions, past sessions with filters and CSV; an admin ends a session")
    func reports() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        try await service.store.saveUser(User(id: "boss", tenantID: "acme", username: "boss", displayName: "Boss",
                                              isTenantAdmin: true))
        let token = try await service.token("boss")
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        let sessionID = try #require(created["sessionId"]?.stringValue)
        let sharer = try await service.signedIn("sam")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-1"])
        sharer.send(["type": "session.consent", "sessionId": .string(sessionID), "mode": "full_control"])
        _ = try await helper.next("session.started")

        let active = try await service.httpJSON("GET", "/admin/v1/tenants/acme/sessions/active", token: token)
        #expect(active.body.arrayValue?.first?["id"]?.stringValue == sessionID)
        let ended = try await service.httpJSON("POST", "/admin/v1/tenants/acme/sessions/\(sessionID)/end", token: token)
        #expect(ended.status == 200)
        #expect(try await helper.next("session.ended")["reason"] == "admin")
        #expect(try await service.store.auditRecords(tenantID: "acme", afterSequence: 0, limit: 1000)
            .contains { $0.entry.action == "session.end" && $0.entry.actor == "admin:boss" })

        let filtered = try await service.httpJSON("GET", "/admin/v1/tenants/acme/sessions?helper=helen&device=pc-1", token: token)
        #expect(filtered.body.arrayValue?.count == 1)
        let none = try await service.httpJSON("GET", "/admin/v1/tenants/acme/sessions?helper=reed", token: token)
        #expect(none.body.arrayValue?.isEmpty == true)
        let csv = try await service.http("GET", "/admin/v1/tenants/acme/sessions?format=csv", token: token)
        let lines = csv.body.split(separator: "\r\n")
        #expect(lines.first == Substring(SessionCSV.header.joined(separator: ",")))
        #expect(lines.count == 2)
        #expect(lines[1].hasPrefix("\(sessionID),helen,Helen Help,sam,Sam Sharer,pc-1,"))
        #expect(lines[1].hasSuffix(",view_screen full_control,true,false,admin"))
        #expect(SessionCSV.escape("a,\"b\"") == "\"a,\"\"b\"\"\"")
        await helper.close()
        await sharer.close()
    }
}

@Suite("Retention and configuration", .serialized)
struct RetentionAndConfigurationTests {
    @Test("Retention removes ended sessions past the tenant's days and old audit records; the chain still verifies")
    func retention() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        try await service.seedAcme()
        var acme = try #require(try await service.store.tenant(id: "acme"))
        acme.retentionDays = 1
        try await service.store.saveTenant(acme)
        try await service.store.saveTenant(Tenant(id: "default", name: "Default organisation", retentionDays: 1))
        let helper = try await service.signedIn("helen")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        helper.send(["type": "session.end", "sessionId": created["sessionId"] ?? .null])
        _ = try await helper.next("session.ended")
        let before = try await service.store.auditRecords(tenantID: nil, afterSequence: 0, limit: 10_000).count

        service.clock.advance(seconds: 2 * 86_400)
        let token = try await service.token("admin", tenant: "default")
        let reply = try await service.httpJSON("POST", "/admin/v1/tenants/default/retention/run", token: token)
        #expect(reply.status == 200)
        #expect(reply.body["sessionsRemoved"] == 1)
        #expect(reply.body["auditRecordsRemoved"]?.numberValue == Double(before))
        #expect(try await service.store.session(id: created["sessionId"]?.stringValue ?? "") == nil)
        let report = try await AuditVerification.verify(service.store)
        #expect(report.intact)
        let remaining = try await service.store.auditRecords(tenantID: nil, afterSequence: 0, limit: 10_000)
        #expect(remaining.first?.entry.action == "retention")
        await helper.close()
    }

    @Test("Configuration: file first, then TANDEM_* environment variables")
    func configuration() throws {
        let directory = try TemporaryDirectory.make()
        let file = directory + "/config.json"
        try #"{"port": 9000, "allowedOrigins": ["https://a.example"], "turnSecret": "file", "codeFailuresPerUser": 3, "codeLockoutSeconds": 60}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try ServiceConfiguration.load(file: file, environment: [
            "TANDEM_TURN_SECRET": "env", "TANDEM_ICE_URLS": "stun:a:3478, turn:b:3478",
            "TANDEM_PUBLIC_URL": "https://help.example",
        ])
        #expect(configuration.port == 9000 && configuration.allowedOrigins == ["https://a.example"])
        #expect(configuration.turnSecret == "env")
        #expect(configuration.iceURLs == ["stun:a:3478", "turn:b:3478"])
        #expect(configuration.issuer == "https://help.example")
        #expect(configuration.codeLimits.failuresPerUser == 3)
        #expect(configuration.codeLimits.lockoutMilliseconds == 60_000)
        #expect(configuration.host == "127.0.0.1" && configuration.passwordRounds == 210_000)
    }
}
