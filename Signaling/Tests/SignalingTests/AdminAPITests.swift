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

    @Test("Sign-in: failures lock out the user name (even with the right password) until the lockout ends; a TOTP code works once")
    func signInLimits() async throws {
        let service = try await TestService.start(configure: { $0.signInFailuresPerUser = 3 })
        defer { Task { await service.stop() } }
        let password = try #require(service.firstAdminPassword)
        func signIn(_ username: String, _ password: String, otp: String? = nil) async throws -> (status: Int, body: JSONValue) {
            var body: JSONValue = ["tenant": "default", "username": .string(username), "password": .string(password)]
            if let otp, case .object(var fields) = body { fields["otp"] = .string(otp); body = .object(fields) }
            return try await service.httpJSON("POST", "/auth/token", json: body)
        }
        for attempt in 0..<3 { #expect(try await signIn("admin", "guess-\(attempt)").status == 401) }
        let locked = try await signIn("admin", password)
        #expect(locked.status == 429 && locked.body["error"]?["code"] == "sign_in_locked_out")
        #expect(locked.body["access_token"] == nil)
        #expect(try await service.refusalRecord(.signInLockedOut)?.entry.details["username"] == "admin")
        // Unknown user names count too, and are locked the same way.
        for attempt in 0..<3 { _ = try await signIn("nobody", "guess-\(attempt)") }
        #expect(try await signIn("nobody", "x").body["error"]?["code"] == "sign_in_locked_out")
        service.clock.advance(seconds: 901)
        let token = try #require(try await signIn("admin", password).body["access_token"]?.stringValue)

        // TOTP: the code that signed in once is refused the second time, within its 30-second step.
        let enrolled = try await service.httpJSON("POST", "/admin/v1/tenants/default/users/admin/totp", token: token)
        let secret = try #require(enrolled.body["secret"]?.stringValue)
        let totp = try #require(TOTP(base32Secret: secret))
        let code = totp.code(at: service.clock.serviceClock.seconds)
        #expect(try await signIn("admin", password, otp: code).status == 200)
        let replay = try await signIn("admin", password, otp: code)
        #expect(replay.status == 401 && replay.body["error"]?["code"] == "mfa_code_invalid")
        #expect(replay.body["error"]?["reason"]?.stringValue?.contains("used already") == true)
        #expect(try await service.store.user(id: "admin", tenantID: "default")?.totpLastStep
                == service.clock.serviceClock.seconds / 30)
        service.clock.advance(seconds: 30)
        #expect(try await signIn("admin", password, otp: totp.code(at: service.clock.serviceClock.seconds)).status == 200)
    }

    @Test("An identity provider's (issuer, external tenant id) may belong to one tenant only")
    func uniqueIdentityProvider() async throws {
        let service = try await TestService.start()
        defer { Task { await service.stop() } }
        let token = try await service.token("admin", tenant: "default")
        let provider = ExternalIdentityProvider(issuer: "https://login.example/", audience: "api://tandem",
                                                externalTenantID: "ext-1")
        let created = try await service.httpJSON("POST", "/admin/v1/tenants", json: .encoding(
            Tenant(id: "globex", name: "Globex", identityProvider: provider)), token: token)
        #expect(created.status == 201)
        var tenant = try #require(try await service.store.tenant(id: "default"))
        tenant.identityProvider = provider
        let taken = try await service.httpJSON("PUT", "/admin/v1/tenants/default", json: .encoding(tenant), token: token)
        #expect(taken.status == 409 && taken.body["error"]?["code"] == "conflict")
        #expect(try await service.store.tenant(id: "default")?.identityProvider == nil)
        let copy = try await service.httpJSON("POST", "/admin/v1/tenants", json: .encoding(
            Tenant(id: "initech", name: "Initech", identityProvider: provider)), token: token)
        #expect(copy.status == 409)
        // The same issuer with another external tenant id is another organisation.
        tenant.identityProvider?.externalTenantID = "ext-2"
        #expect(try await service.httpJSON("PUT", "/admin/v1/tenants/default", json: .encoding(tenant), token: token).status == 200)
        // Saving globex again (its own pair) is no conflict.
        let globex = try #require(try await service.store.tenant(id: "globex"))
        #expect(try await service.httpJSON("PUT", "/admin/v1/tenants/globex", json: .encoding(globex), token: token).status == 200)
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
        // Cells a spreadsheet would run as formulas are neutralised (OWASP CSV injection).
        for formula in ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd"] {
            let escaped = SessionCSV.escape(formula)
            #expect(escaped.hasPrefix("\"'"), "\(formula) → \(escaped)")
        }
        #expect(SessionCSV.escape("Helen Help") == "Helen Help")
        let hostile = SessionRecord(id: "s1", tenantID: "acme", helperUserID: "h", helperName: "=cmd|' /C calc'!A0",
                                    createdAt: 0)
        #expect(SessionCSV.render([hostile]).contains(",\"'=cmd|' /C calc'!A0\","))
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

    @Test("Configuration: the file, then TANDEM_* environment variables, then flags; the file's host and port apply")
    func configuration() throws {
        let directory = try TemporaryDirectory.make()
        let file = directory + "/config.json"
        try #"{"host": "0.0.0.0", "port": 9000, "allowedOrigins": ["https://a.example"], "turnSecret": "file", "codeFailuresPerUser": 3, "codeLockoutSeconds": 60, "grantLifetimeSeconds": 900, "passwordRounds": 5000}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        // The file alone: its host and port are not overridden by a default --listen.
        let fileOnly = try ServiceConfiguration.load(file: file, environment: [:])
        #expect(fileOnly.host == "0.0.0.0" && fileOnly.port == 9000 && fileOnly.grantLifetimeSeconds == 900)

        let environment = [
            "TANDEM_TURN_SECRET": "env", "TANDEM_ICE_URLS": "stun:a:3478, turn:b:3478",
            "TANDEM_PUBLIC_URL": "https://help.example", "TANDEM_LISTEN": "127.0.0.2:9100",
            "TANDEM_GRANT_LIFETIME_SECONDS": "600", "TANDEM_CODE_FAILURES_PER_ADDRESS": "7",
            "TANDEM_TOKEN_SKEW_SECONDS": "30.5",
        ]
        let configuration = try ServiceConfiguration.load(file: file, environment: environment)
        #expect(configuration.port == 9100 && configuration.host == "127.0.0.2")
        #expect(configuration.allowedOrigins == ["https://a.example"])
        #expect(configuration.turnSecret == "env")
        #expect(configuration.iceURLs == ["stun:a:3478", "turn:b:3478"])
        #expect(configuration.issuer == "https://help.example")
        #expect(configuration.codeLimits.failuresPerUser == 3 && configuration.codeLimits.failuresPerAddress == 7)
        #expect(configuration.codeLimits.lockoutMilliseconds == 60_000)
        #expect(configuration.grantLifetimeSeconds == 600 && configuration.tokenSkewSeconds == 30.5)
        #expect(configuration.passwordRounds == 5000 && configuration.accessTokenLifetimeSeconds == 3600)

        let flags = ConfigurationFlags(listen: ListenAddress("localhost:9200"), publicURL: "https://flag.example",
                                       allowedOrigins: ["https://b.example"], iceURLs: ["stun:c:3478"])
        let flagged = try ServiceConfiguration.load(file: file, environment: environment, flags: flags)
        #expect(flagged.host == "localhost" && flagged.port == 9200 && flagged.issuer == "https://flag.example")
        #expect(flagged.allowedOrigins == ["https://b.example"] && flagged.iceURLs == ["stun:c:3478"])
        #expect(flagged.turnSecret == "env" && flagged.grantLifetimeSeconds == 600)

        // A value that cannot be read is an error naming the variable, never a silent default.
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.load(file: nil, environment: ["TANDEM_PASSWORD_ROUNDS": "many"])
        }
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.load(file: nil, environment: ["TANDEM_LISTEN": "8443"])
        }
    }

    @Test("--listen: host names, IPv4 and bracketed IPv6; the issuer brackets an IPv6 host")
    func listenAddresses() {
        #expect(ListenAddress("localhost:8443") == ListenAddress(host: "localhost", port: 8443))
        #expect(ListenAddress("127.0.0.1:0")?.port == 0)
        #expect(ListenAddress("[::1]:8443")?.host == "::1")
        for bad in ["8443", "localhost", "::1:8443", "[::1]8443", "[::1]:", "host:99999", ":8443", "a b:1", "[x]:1"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
        var configuration = ServiceConfiguration()
        configuration.host = "::1"
        configuration.port = 8443
        #expect(configuration.issuer == "http://[::1]:8443")
        configuration.host = "localhost"
        #expect(configuration.issuer == "http://localhost:8443")
    }
}
