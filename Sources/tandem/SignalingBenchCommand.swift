import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HummingbirdWSClient
import Logging
import SignalingIdentity
import SignalingModel
import SignalingService
import SignalingStore

/// `tandem bench-signaling`: runs `tandem serve` as a child process on a fresh data directory, connects idle
/// device agents and measures the server's resident memory per agent, then measures session set-ups per second
/// (session.create → code → session.join → consent → grant signed and received by both parties).
struct SignalingBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-signaling",
        abstract: "Benchmark the signaling service: set-ups per second and memory per idle agent.",
        shouldDisplay: false
    )

    @Option(help: "Idle device agents to connect.") var agents = 1000
    @Option(help: "Sessions to set up.") var sessions = 500
    @Option(help: "Helper/sharer pairs setting up sessions at the same time.") var concurrency = 50
    @Option(help: "Port for the child service.") var port = 18550

    mutating func run() async throws {
        var logger = Logger(label: "tandem.bench")
        logger.logLevel = .error
        let directory = NSTemporaryDirectory() + "tandem-bench-" + UUID().uuidString
        let issuer = try await seed(directory: directory, logger: logger)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", directory, "--log-level", "error"]
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        defer { child.terminate(); child.waitUntilExit(); try? FileManager.default.removeItem(atPath: directory) }
        try await waitForHealth()
        guard child.isRunning else { throw AdminError(message: "tandem serve exited; is port \(port) taken?") }
        let url = "ws://127.0.0.1:\(port)/ws"
        let baseline = Self.residentBytes(pid: child.processIdentifier)

        let agentsStart = ContinuousClock.now
        var connected: [BenchClient] = []
        for batch in stride(from: 0, to: agents, by: 100) {
            let upper = min(agents, batch + 100)
            let clients = try await withThrowingTaskGroup(of: BenchClient.self) { group in
                for index in batch..<upper {
                    let token = try await issuer.issue(for: Device(id: "agent-\(index)", tenantID: "bench", name: "Agent"),
                                                       now: Date())
                    group.addTask { try await BenchClient.signIn(url: url, token: token) }
                }
                var clients: [BenchClient] = []
                for try await client in group { clients.append(client) }
                return clients
            }
            connected += clients
        }
        let agentsTime = ContinuousClock.now - agentsStart
        try await Task.sleep(for: .milliseconds(500))
        let withAgents = Self.residentBytes(pid: child.processIdentifier)
        let perAgent = agents > 0 ? Double(withAgents - baseline) / Double(agents) : 0
        printLine("agents: \(agents) connected in \(agentsTime); server RSS \(baseline / 1024) KiB → \(withAgents / 1024) KiB, \(String(format: "%.1f", perAgent / 1024)) KiB per idle agent")

        let pairs = try await withThrowingTaskGroup(of: (BenchClient, BenchClient, String).self) { group in
            for index in 0..<concurrency {
                let helperToken = try await issuer.issue(.access, for: User(id: "helper-\(index)", tenantID: "bench",
                    username: "helper-\(index)", displayName: "Helper", groups: ["helpdesk"]), methods: ["pwd"], now: Date())
                let sharerToken = try await issuer.issue(.access, for: User(id: "sharer-\(index)", tenantID: "bench",
                    username: "sharer-\(index)", displayName: "Sharer"), methods: ["pwd"], now: Date())
                group.addTask {
                    (try await BenchClient.signIn(url: url, token: helperToken),
                     try await BenchClient.signIn(url: url, token: sharerToken), "pc-\(index)")
                }
            }
            var pairs: [(BenchClient, BenchClient, String)] = []
            for try await pair in group { pairs.append(pair) }
            return pairs
        }
        let perPair = max(1, sessions / max(1, concurrency))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (helper, sharer, deviceID) in pairs {
                group.addTask {
                    for _ in 0..<perPair {
                        try await Self.setUpSession(helper: helper, sharer: sharer, deviceID: deviceID)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let total = perPair * pairs.count
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        printLine("sessions: \(total) set up in \(elapsed) with \(pairs.count) concurrent pairs: \(String(format: "%.0f", Double(total) / seconds)) set-ups/s")
        for client in connected { await client.close() }
        for (helper, sharer, _) in pairs { await helper.close(); await sharer.close() }
    }

    /// One set-up: create → code → join (from the sharer's own device) → consent → both receive the signed grant;
    /// then end.
    static func setUpSession(helper: BenchClient, sharer: BenchClient, deviceID: String) async throws {
        helper.send(["type": "session.create"])
        let created = try await helper.next("session.created")
        sharer.send(["type": "session.join", "code": created["code"] ?? .null, "deviceId": .string(deviceID)])
        _ = try await sharer.next("session.joined")
        sharer.send(["type": "session.consent", "sessionId": created["sessionId"] ?? .null, "mode": "view_only"])
        _ = try await sharer.next("session.started")
        _ = try await helper.next("session.started")
        _ = try await helper.next("session.peer_joined")
        helper.send(["type": "session.end", "sessionId": created["sessionId"] ?? .null])
        _ = try await helper.next("session.ended")
        _ = try await sharer.next("session.ended")
    }

    /// Creates the data directory with tenant `bench`, its role assignment, devices, and the service's keys.
    func seed(directory: String, logger: Logger) async throws -> BuiltInIssuer {
        let store = try await StoreFactory.open(dataDirectory: directory, logger: logger)
        var configuration = ServiceConfiguration()
        configuration.port = port
        do {
            let outcome = try await Bootstrap.prepare(store: store, configuration: configuration, clock: ServiceClock(),
                                                      jwks: JWKSCache())
            try await store.saveTenant(Tenant(id: "bench", name: "Bench", remoteHelpEnabled: true))
            try await store.saveAssignment(RoleAssignment(id: "desk", tenantID: "bench",
                                                          roleID: Role.helpDeskOperator.id, userGroups: ["helpdesk"]))
            // One device per sharer, owned by it: a sharer joins only from a device bound to it.
            for index in 0..<concurrency {
                try await store.saveDevice(Device(id: "pc-\(index)", tenantID: "bench", name: "PC \(index)",
                                                  ownerUserID: "sharer-\(index)"))
            }
            for index in 0..<agents {
                try await store.saveDevice(Device(id: "agent-\(index)", tenantID: "bench", name: "Agent \(index)"))
            }
            try await store.close()
            return outcome.identity.issuer
        } catch {
            try? await store.close()
            throw error
        }
    }

    func waitForHealth() async throws {
        for _ in 0..<100 {
            if let url = URL(string: "http://127.0.0.1:\(port)/health"),
               let (_, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AdminError(message: "the service did not become healthy")
    }

    /// VmRSS of a process, in bytes.
    static func residentBytes(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

/// A minimal `/ws` client for the benchmark.
final class BenchClient: Sendable {
    let inbox: BenchInbox
    let outbox: AsyncStream<String>.Continuation
    let task: Task<Void, any Error>

    init(inbox: BenchInbox, outbox: AsyncStream<String>.Continuation, task: Task<Void, any Error>) {
        self.inbox = inbox
        self.outbox = outbox
        self.task = task
    }

    static func signIn(url: String, token: String) async throws -> BenchClient {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let inbox = BenchInbox()
        let task = Task {
            defer { Task { await inbox.close() } }
            try await WebSocketClient.connect(url: url, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })) {
                inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message, let value = JSONValue.parse(text) { await inbox.append(value) }
                    }
                    group.cancelAll()
                }
            }
        }
        let client = BenchClient(inbox: inbox, outbox: continuation, task: task)
        client.send(["type": "hello", "token": .string(token)])
        _ = try await client.next("welcome")
        return client
    }

    func send(_ message: JSONValue) { outbox.yield(message.text) }

    func next(_ type: String) async throws -> JSONValue {
        guard let message = await inbox.take(type) else { throw AdminError(message: "no \(type) (closed or error)") }
        if message["type"] == "error" { throw AdminError(message: "refused: \(message.text)") }
        return message
    }

    func close() async {
        outbox.finish()
        _ = await task.result
    }
}

/// Queued messages by type; an `error` message wakes any waiter so failures surface at once.
actor BenchInbox {
    private var messages: [JSONValue] = []
    private var waiter: (type: String, continuation: CheckedContinuation<JSONValue?, Never>)?
    private var closed = false

    func append(_ message: JSONValue) {
        let type = message["type"]?.stringValue
        if let waiter, type == waiter.type || type == "error" {
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

    func take(_ type: String) async -> JSONValue? {
        if let index = messages.firstIndex(where: { $0["type"]?.stringValue == type || $0["type"] == "error" }) {
            return messages.remove(at: index)
        }
        if closed { return nil }
        return await withCheckedContinuation { waiter = (type, $0) }
    }
}
