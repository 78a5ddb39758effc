import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HummingbirdWSClient
import Logging
import Synchronization
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingService
import SignalingStore

/// A clock tests can move forward.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    var serviceClock: ServiceClock {
        ServiceClock { [self] in Date().addingTimeInterval(self.offset.withLock { $0 }) }
    }

    func advance(seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

enum TestFailure: Error, CustomStringConvertible {
    case timeout(String)
    case http(Int, String)

    var description: String {
        switch self {
        case .timeout(let what): "timed out waiting for \(what)"
        case .http(let status, let body): "HTTP \(status): \(body)"
        }
    }
}

/// A real service on 127.0.0.1 with an ephemeral port and a fresh SQLite data directory.
struct TestService {
    let server: SignalingServer
    let port: Int
    /// Triggers the service group's graceful shutdown.
    let shutDown: @Sendable () async -> Void
    let task: Task<Void, any Error>
    let clock: TestClock
    let directory: String
    let firstAdminPassword: String?

    /// `store` opens the service's store (default: SQLite in `directory`); `logger` is the service's and the store's.
    static func start(directory: String? = nil, clock: TestClock = TestClock(), logger: Logger = TestBackend.quietLogger,
                      store openStore: ((String, Logger) async throws -> any Store)? = nil,
                      configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws -> TestService {
        let directory = try directory ?? TemporaryDirectory.make()
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.passwordRounds = 1000
        configuration.jwksMinimumRefreshSeconds = 0
        configuration.iceURLs = ["stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp"]
        configuration.turnSecret = "test-turn-secret"
        configure(&configuration)
        let store: any Store
        if let openStore { store = try await openStore(directory, logger) }
        else { store = try await StoreFactory.open(dataDirectory: directory, logger: logger) }
        let jwks = JWKSCache(minimumRefreshIntervalSeconds: configuration.jwksMinimumRefreshSeconds)
        let outcome = try await Bootstrap.prepare(store: store, configuration: configuration, clock: clock.serviceClock,
                                                  jwks: jwks)
        let server = SignalingServer(store: store, identity: outcome.identity, configuration: configuration,
                                     clock: clock.serviceClock, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let group = server.serviceGroup(onRunning: { port in continuation.yield(port) })
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await task.value
            throw TestFailure.timeout("server start")
        }
        return TestService(server: server, port: port, shutDown: { await group.triggerGracefulShutdown() }, task: task,
                           clock: clock, directory: directory,
                           firstAdminPassword: outcome.firstAdminPassword)
    }

    /// Graceful shutdown, as SIGTERM does in `tandem serve` (cancelled if it takes longer than ten seconds).
    func stop() async {
        await shutDown()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            task.cancel()
        }
        _ = await task.result
        watchdog.cancel()
        try? await server.store.close()
    }

    /// Stops without graceful shutdown, as a crash would: live sessions stay open in the store.
    func crash() async {
        task.cancel()
        _ = await task.result
        try? await server.store.close()
    }

    var store: any Store { server.store }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    // MARK: Fixtures

    /// Tenant `acme` with Remote Help on; `helen` (Help Desk Operator), `reed` (Read Only Operator), `sam` and
    /// `sue` (sharers); an enrolled compliant device `pc-1` of sam and a non-compliant `pc-2`.
    func seedAcme(remoteHelp: Bool = true, allowUnenrolled: Bool = false) async throws {
        try await store.saveTenant(Tenant(id: "acme", name: "Acme Corp", verifiedDomain: "acme.example",
                                          remoteHelpEnabled: remoteHelp, allowUnenrolledDevices: allowUnenrolled,
                                          namedRanges: ["loopback": ["127.0.0.0/8"], "lab": ["10.9.0.0/16"]]))
        try await store.saveUser(User(id: "helen", tenantID: "acme", username: "helen", displayName: "Helen Help",
                                      email: "helen@acme.example", groups: ["helpdesk"]))
        try await store.saveUser(User(id: "reed", tenantID: "acme", username: "reed", displayName: "Reed Only",
                                      groups: ["observers"]))
        try await store.saveUser(User(id: "sam", tenantID: "acme", username: "sam", displayName: "Sam Sharer",
                                      groups: ["staff"]))
        try await store.saveUser(User(id: "sue", tenantID: "acme", username: "sue", displayName: "Sue Sharer",
                                      groups: ["staff"]))
        try await store.saveAssignment(RoleAssignment(id: "desk", tenantID: "acme", roleID: Role.helpDeskOperator.id,
                                                      userGroups: ["helpdesk"]))
        try await store.saveAssignment(RoleAssignment(id: "read", tenantID: "acme", roleID: Role.readOnlyOperator.id,
                                                      userGroups: ["observers"]))
        try await store.saveDevice(Device(id: "pc-1", tenantID: "acme", name: "Sam's PC", ownerUserID: "sam",
                                          credentialHash: DeviceSecret.hash("pc-1-secret")))
        try await store.saveDevice(Device(id: "pc-2", tenantID: "acme", name: "Old PC", ownerUserID: "sue",
                                          compliant: false, complianceReasons: ["disk not encrypted"],
                                          credentialHash: DeviceSecret.hash("pc-2-secret")))
    }

    func token(_ userID: String, tenant: String = "acme", methods: [String] = ["pwd"], at date: Date? = nil)
        async throws -> String
    {
        let user = try await store.user(id: userID, tenantID: tenant)
            ?? User(id: userID, tenantID: tenant, username: userID, displayName: userID)
        return try await server.identity.issuer.issue(.access, for: user, methods: methods,
                                                      now: date ?? clock.serviceClock.now())
    }

    /// Connects and says hello; returns the party after `welcome`.
    func signedIn(_ userID: String, tenant: String = "acme", methods: [String] = ["pwd"]) async throws -> TestParty {
        let party = try await TestParty.connect(port: port)
        party.send(["type": "hello", "token": .string(try await token(userID, tenant: tenant, methods: methods))])
        _ = try await party.next("welcome")
        return party
    }

    func deviceAgent(_ deviceID: String, tenant: String = "acme") async throws -> TestParty {
        guard let device = try await store.device(id: deviceID, tenantID: tenant) else {
            throw TestFailure.timeout("device \(deviceID)")
        }
        let party = try await TestParty.connect(port: port)
        let token = try await server.identity.issuer.issue(for: device, now: clock.serviceClock.now())
        party.send(["type": "hello", "token": .string(token)])
        _ = try await party.next("welcome")
        return party
    }

    /// The newest audit record with this refusal code.
    func refusalRecord(_ code: RefusalCode) async throws -> AuditRecord? {
        try await store.auditRecords(tenantID: nil, afterSequence: 0, limit: 100_000)
            .last { $0.entry.code == code.rawValue && $0.entry.outcome == .refused }
    }

    // MARK: HTTP

    func http(_ method: String, _ path: String, json body: JSONValue? = nil, token: String? = nil) async throws
        -> (status: Int, body: String)
    {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.text.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func httpJSON(_ method: String, _ path: String, json body: JSONValue? = nil, token: String? = nil) async throws
        -> (status: Int, body: JSONValue)
    {
        let (status, text) = try await http(method, path, json: body, token: token)
        return (status, JSONValue.parse(text) ?? .null)
    }
}

/// Messages received by a test client, in order; tests take them by type, waiting (without polling) if needed.
actor Mailbox {
    private struct Waiter {
        let id: Int
        let type: String
        let predicate: @Sendable (JSONValue) -> Bool
        let continuation: CheckedContinuation<JSONValue?, Never>
    }

    private var messages: [JSONValue] = []
    private var waiter: Waiter?
    private var nextWaiterID = 0
    private(set) var closed = false

    func append(_ message: JSONValue) {
        if let waiter, message["type"]?.stringValue == waiter.type, waiter.predicate(message) {
            self.waiter = nil
            waiter.continuation.resume(returning: message)
        } else {
            messages.append(message)
        }
    }

    func close() {
        closed = true
        waiter?.continuation.resume(returning: nil)
        waiter = nil
    }

    /// The first queued message of this type, or the next to arrive within the timeout.
    func take(_ type: String, timeout: Duration, where predicate: @escaping @Sendable (JSONValue) -> Bool) async
        -> JSONValue?
    {
        if let index = messages.firstIndex(where: { $0["type"]?.stringValue == type && predicate($0) }) {
            return messages.remove(at: index)
        }
        if closed { return nil }
        nextWaiterID += 1
        let id = nextWaiterID
        return await withCheckedContinuation { continuation in
            waiter = Waiter(id: id, type: type, predicate: predicate, continuation: continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: nil)
    }

    func types() -> [String] { messages.compactMap { $0["type"]?.stringValue } }

    /// Types of the queued messages, with the code of errors: what a timeout reports.
    func summary() -> [String] {
        messages.map { message in
            let type = message["type"]?.stringValue ?? "?"
            return message["code"]?.stringValue.map { "\(type)(\($0))" } ?? type
        }
    }
}

/// A WebSocket client for tests: sends JSON, and waits for messages of a given type.
final class TestParty: Sendable {
    let messages: Mailbox
    private let outbox: AsyncStream<String>.Continuation
    let task: Task<Void, any Error>

    private init(outbox: AsyncStream<String>.Continuation, task: Task<Void, any Error>, mailbox: Mailbox) {
        self.outbox = outbox
        self.task = task
        self.messages = mailbox
    }

    static func connect(port: Int, origin: String? = nil) async throws -> TestParty {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
        if let origin { configuration.additionalHeaders = [.origin: origin] }
        let mailbox = Mailbox()
        let task = Task {
            defer { Task { await mailbox.close() } }
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", configuration: configuration,
                                              logger: TestBackend.quietLogger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message, let value = JSONValue.parse(text) {
                            await mailbox.append(value)
                        }
                    }
                    group.cancelAll()
                }
            }
        }
        return TestParty(outbox: continuation, task: task, mailbox: mailbox)
    }

    func send(_ message: JSONValue) { outbox.yield(message.text) }

    /// The next message of this type (others stay queued), within the timeout.
    func next(_ type: String, timeout: Duration = .seconds(10),
              where predicate: @escaping @Sendable (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue {
        if let message = await messages.take(type, timeout: timeout, where: predicate) { return message }
        throw TestFailure.timeout("\(type); queued: \(await messages.summary())")
    }

    /// Sends a message and returns the error it provoked.
    func refusal(_ message: JSONValue) async throws -> String? {
        send(message)
        return try await next("error")["code"]?.stringValue
    }

    func close() async {
        outbox.finish()
        _ = await task.result
    }
}
