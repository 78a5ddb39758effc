import Foundation
import Logging
import Synchronization
import Testing
import SignalingIdentity
import SignalingModel
import SignalingService
import SignalingStore

/// Every log line of a logger, as text (level, label, message, metadata).
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "tandem.capture") { label in CapturingLogHandler(capture: self, label: label) }
        logger.logLevel = level
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
    var count: Int { lines.withLock { $0.count } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let all = metadata.merging(explicit ?? [:]) { _, new in new }
        capture.append("\(level) \(label) \(message) \(all)")
    }
}

extension DatabaseSuites {
@Suite("Secrets stay out of logs")
struct LogSecrecyTests {
    @Test("At trace level, sign-in, TOTP enrolment, device enrolment and a session set-up log no secret",
          arguments: TestBackend.available)
    func noSecretsInLogs(backend: TestBackend) async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .trace)
        let service = try await TestService.start(logger: logger, store: { directory, logger in
            backend == .sqlite ? try await StoreFactory.open(dataDirectory: directory, logger: logger)
                : try await backend.makeStore(logger: logger).store
        })
        let adminPassword = try #require(service.firstAdminPassword)
        func post(_ path: String, _ body: JSONValue, token: String? = nil) async throws -> JSONValue {
            let reply = try await service.httpJSON("POST", path, json: body, token: token)
            #expect(reply.status < 300, "\(path): \(reply.body.text)")
            return reply.body
        }
        let admin = try #require(try await post("/auth/token", [
            "tenant": "default", "username": "admin", "password": .string(adminPassword)])["access_token"]?.stringValue)
        var tenant = try #require(try await service.store.tenant(id: "default"))
        tenant.remoteHelpEnabled = true
        _ = try await service.httpJSON("PUT", "/admin/v1/tenants/default", json: .encoding(tenant), token: admin)
        _ = try await post("/admin/v1/tenants/default/users", [
            "id": "helen", "username": "helen", "displayName": "Helen", "groups": ["helpdesk"],
            "password": "helen-password-4711"], token: admin)
        _ = try await post("/admin/v1/tenants/default/users", [
            "id": "sam", "username": "sam", "displayName": "Sam", "password": "sam-password-0815"], token: admin)
        _ = try await service.httpJSON("PUT", "/admin/v1/tenants/default/assignments/desk", json: .encoding(
            RoleAssignment(id: "", tenantID: "", roleID: Role.helpDeskOperator.id, userGroups: ["helpdesk"])), token: admin)
        let totpSecret = try #require(try await post("/admin/v1/tenants/default/users/helen/totp", [:], token: admin)["secret"]?
            .stringValue)
        let code = try #require(TOTP(base32Secret: totpSecret)).code(at: service.clock.serviceClock.seconds)
        let helenTokens = try await post("/auth/token", [
            "tenant": "default", "username": "helen", "password": "helen-password-4711", "otp": .string(code)])
        let samToken = try #require(try await post("/auth/token", [
            "tenant": "default", "username": "sam", "password": "sam-password-0815"])["access_token"]?.stringValue)
        let enrolled = try await post("/admin/v1/tenants/default/devices", [
            "id": "pc-9", "name": "Sam's PC", "ownerUserID": "sam"], token: admin)
        let deviceSecret = try #require(enrolled["secret"]?.stringValue)
        let deviceToken = try #require(try await post("/auth/device", [
            "tenant": "default", "deviceId": "pc-9", "secret": .string(deviceSecret)])["access_token"]?.stringValue)

        let agent = try await TestParty.connect(port: service.port)
        agent.send(["type": "hello", "token": .string(deviceToken)])
        _ = try await agent.next("welcome")
        let helper = try await TestParty.connect(port: service.port)
        helper.send(["type": "hello", "token": helenTokens["access_token"] ?? .null])
        _ = try await helper.next("welcome")
        let sharer = try await TestParty.connect(port: service.port)
        sharer.send(["type": "hello", "token": .string(samToken)])
        _ = try await sharer.next("welcome")
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": "pc-9"])
        sharer.send(["type": "session.consent", "sessionId": created["sessionId"] ?? .null, "mode": "full_control"])
        let started = try await helper.next("session.started")
        let turnCredential = try #require(started["iceServers"]?.arrayValue?.last?["credential"]?.stringValue)

        var secrets = [adminPassword, "helen-password-4711", "sam-password-0815", totpSecret, deviceSecret, deviceToken,
                       samToken, service.server.configuration.turnSecret ?? "", turnCredential,
                       try #require(started["grant"]?.stringValue),
                       try #require(helenTokens["access_token"]?.stringValue),
                       try #require(helenTokens["refresh_token"]?.stringValue)]
        for user in try await service.store.users(tenantID: "default") {
            secrets.append(try #require(user.passwordHash))
            // The hash's salt and digest parts are secret each on their own.
            secrets += try #require(user.passwordHash).split(separator: "$").suffix(2).map(String.init)
        }
        secrets.append(try #require(try await service.store.device(id: "pc-9", tenantID: "default")?.credentialHash))
        for name in ["issuer", "grant"] {
            let pem = try #require(try await service.store.setting("key.\(name).pem"))
            secrets += pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
        }
        for party in [agent, helper, sharer] { await party.close() }
        await service.stop()

        let text = capture.text
        #expect(capture.count > 0, "nothing was logged at trace level, so the test proves nothing")
        for secret in secrets {
            #expect(!secret.isEmpty && !text.contains(secret), "a secret appears in the logs: \(secret.prefix(6))…")
        }
    }
}
}
