import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SQLiteKit
import Synchronization
import Testing
import SignalingService
import SignalingModel
import SignalingStore

/// The built `tandem` executable as scripts and operators run it (issue 5, point 9: the command-line contract).
enum TandemBinary {
    /// `TANDEM_BIN`, else the `tandem` next to this test bundle (SwiftPM puts both in the build's bin directory).
    static func path() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TANDEM_BIN"] { return path }
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidate = bundle.appendingPathComponent("tandem").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw CommandFailure("no tandem executable at \(candidate); build it (swift build) or set TANDEM_BIN")
        }
        return candidate
    }

    /// The parent's environment without `TANDEM_*` variables, so that only what a test passes configures the child.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TANDEM_") }
    }

    /// Runs `tandem arguments…` to its end.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let child = try ChildProcess(try path(), arguments, environment: environment)
        let status = try await child.wait(timeout: .seconds(120))
        return (status, try await child.output.complete(), try await child.errors.complete())
    }

    /// A TCP port nobody listens on right now (bound to port 0, read back, released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CommandFailure("socket failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw CommandFailure("bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A plain HTTP/1.1 GET over IPv6 loopback (Foundation's URL loading on Linux refuses `http://[::1]:…` as a bad URL).
enum LoopbackV6 {
    static func get(port: Int, path: String) throws -> (status: Int, body: String) {
        let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CommandFailure("socket failed") }
        defer { close(descriptor) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = UInt16(port).bigEndian
        address.sin6_addr = in6addr_loopback
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
        guard connected else { throw CommandFailure("connect to [::1]:\(port) failed") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: [::1]:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, 0) == request.count else { throw CommandFailure("send failed") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "")
        else { throw CommandFailure("not an HTTP response: \(text)") }
        return (status, String(text[headerEnd.upperBound...]))
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Text that a reader thread collects from a pipe until its end.
final class OutputBuffer: Sendable {
    private let storage = Mutex((text: "", finished: false))
    func append(_ bytes: ArraySlice<UInt8>) { storage.withLock { $0.text += String(decoding: bytes, as: UTF8.self) } }
    func finish() { storage.withLock { $0.finished = true } }
    var text: String { storage.withLock { $0.text } }

    /// The whole text, once the writer closed its end.
    func complete() async throws -> String {
        for _ in 0..<1200 {
            if let text = storage.withLock({ $0.finished ? $0.text : nil }) { return text }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CommandFailure("the child's output did not end")
    }
}

/// A child process started with posix_spawn, its standard output and error read by threads of their own. (Not
/// Foundation's Process: its run() crashed here while other tests opened and closed sockets by the hundred.) Only
/// descriptors 0–2 reach the child (posix_spawn_file_actions_addclosefrom_np), none of this process's sockets.
final class ChildProcess {
    let pid: pid_t
    let output = OutputBuffer()
    let errors = OutputBuffer()
    private var status: Int32?

    init(_ path: String, _ arguments: [String], environment: [String: String]) throws {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw CommandFailure("pipe failed") }
        for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw CommandFailure("addclosefrom failed") }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        guard result == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw CommandFailure("posix_spawn \(path) failed: \(result)")
        }
        self.pid = pid
        for (descriptor, buffer) in [(outputPipe[0], output), (errorPipe[0], errors)] {
            Thread {
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = read(descriptor, &chunk, chunk.count)
                    if count > 0 { buffer.append(chunk[0..<count]) } else if count == 0 || errno != EINTR { break }
                }
                close(descriptor)
                buffer.finish()
            }.start()
        }
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34; declared only for _GNU_SOURCE, which Swift's Glibc
    /// module does not define), looked up at run time.
    static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this C library has no posix_spawn_file_actions_addclosefrom_np")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32)
            -> Int32).self)
    }()

    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
        // WIFEXITED / WEXITSTATUS (the macros do not reach Swift): exit code, or 128 + the signal.
        status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return false
    }

    func signal(_ number: Int32) { if isRunning { kill(pid, number) } }

    /// The exit status (128 + signal if killed); after `timeout` the child is killed and the wait fails.
    func wait(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                while isRunning { try await Task.sleep(for: .milliseconds(10)) }
                throw CommandFailure("the child did not exit in time")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return status ?? -1
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
    }
}

/// `tandem serve …` as a child process.
final class ServeProcess {
    let child: ChildProcess

    init(_ arguments: [String]) throws {
        child = try ChildProcess(try TandemBinary.path(), ["serve"] + arguments + ["--log-level", "error"],
                                 environment: TandemBinary.environment)
    }

    var text: String { child.output.text }

    /// Waits until the output contains `expected` (the child printing it), or fails.
    func waitFor(_ expected: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !text.contains(expected) {
            guard child.isRunning else { throw CommandFailure("tandem serve exited: \(text)\(child.errors.text)") }
            guard ContinuousClock.now < deadline else { throw CommandFailure("no '\(expected)' in: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// SIGTERM, then the exit status (the child killed, and a failure, if it takes longer than `timeout`).
    func terminate(timeout: Duration = .seconds(20)) async throws -> Int32 {
        child.signal(SIGTERM)
        let status = try await child.wait(timeout: timeout)
        _ = try await child.output.complete()
        return status
    }
}

@Suite("Command line: tandem serve and tandem audit verify", .serialized)
struct CommandLineTests {
    func get(_ url: String) async throws -> (status: Int, body: JSONValue) {
        let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: url)))
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, JSONValue.parse(String(decoding: data, as: UTF8.self)) ?? .null)
    }

    func post(_ url: String, _ body: JSONValue) async throws -> (status: Int, body: JSONValue) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = "POST"
        request.httpBody = Data(body.text.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, JSONValue.parse(String(decoding: data, as: UTF8.self)) ?? .null)
    }

    @Test("serve: the first start prints how to sign in, /health answers 200, /ws upgrades; SIGTERM ends live connections and the process")
    func serve() async throws {
        let directory = try TemporaryDirectory.make() + "/data"
        let port = try TandemBinary.freePort()
        let serve = try ServeProcess(["--listen", "127.0.0.1:\(port)", "--data-dir", directory])
        try await serve.waitFor("signaling service listening on http://127.0.0.1:\(port)")
        #expect(serve.text.contains("Sign in as the first admin"))
        #expect(serve.text.contains("http://127.0.0.1:\(port)/auth/token"))
        let password = try #require(serve.text.firstMatch(of: /"password":"([A-Z2-7]+)"/)?.1)
        #expect(FileManager.default.fileExists(atPath: directory + "/" + StoreFactory.databaseFileName))

        let health = try await get("http://127.0.0.1:\(port)/health")
        #expect(health.status == 200 && health.body["status"] == "ok")
        let signIn = try await post("http://127.0.0.1:\(port)/auth/token",
                                    ["tenant": "default", "username": "admin", "password": .string(String(password))])
        let token = try #require(signIn.body["access_token"]?.stringValue)

        let party = try await TestParty.connect(port: port)
        party.send(["type": "ping", "id": "p"])
        #expect(try await party.next("pong")["ref"] == "p")
        party.send(["type": "hello", "token": .string(token)])
        #expect(try await party.next("welcome")["principal"]?["id"] == "admin")

        #expect(try await serve.terminate() == 0)
        // The service closed the WebSocket on its way out.
        _ = await party.task.result
        #expect(serve.text.contains("signaling service stopped"))

        // A second start on the same directory creates nothing and prints no password.
        let again = try ServeProcess(["--listen", "127.0.0.1:\(port)", "--data-dir", directory])
        try await again.waitFor("listening on")
        #expect(!again.text.contains("First start"))
        #expect(try await again.terminate() == 0)
    }

    @Test("audit verify: 0 on an intact chain, 1 after an edit or a deletion, 2 for a wrong --data-dir (nothing created)")
    func auditVerify() async throws {
        let directory = try TemporaryDirectory.make()
        let port = try TandemBinary.freePort()
        let serve = try ServeProcess(["--listen", "127.0.0.1:\(port)", "--data-dir", directory])
        try await serve.waitFor("listening on")
        for attempt in 0..<3 {   // refusals, each an audit record
            _ = try await post("http://127.0.0.1:\(port)/auth/token",
                               ["tenant": "default", "username": "admin", "password": .string("wrong-\(attempt)")])
        }
        #expect(try await serve.terminate() == 0)

        let intact = try await TandemBinary.run(["audit", "verify", "--data-dir", directory])
        #expect(intact.status == 0, "\(intact.output)\(intact.errors)")
        #expect(intact.output.contains("audit chain intact: 4 records, head 4:"))

        func tamper(_ statement: String) async throws {
            let path = directory + "/" + StoreFactory.databaseFileName
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: TestBackend.quietLogger)
            _ = try await connection.query(statement)
            try await connection.close()
        }
        try await tamper("UPDATE audit SET body = replace(body, 'wrong', 'right') WHERE sequence = 2")
        let edited = try await TandemBinary.run(["audit", "verify", "--data-dir", directory])
        #expect(edited.status == 1 && edited.output.contains("record 2"), "\(edited.output)")
        try await tamper("UPDATE audit SET body = replace(body, 'right', 'wrong') WHERE sequence = 2")
        #expect(try await TandemBinary.run(["audit", "verify", "--data-dir", directory]).status == 0)

        try await tamper("DELETE FROM audit WHERE sequence = 4")
        let truncated = try await TandemBinary.run(["audit", "verify", "--data-dir", directory])
        #expect(truncated.status == 1 && truncated.output.contains("newest records were removed"), "\(truncated.output)")
        try await tamper("DELETE FROM audit WHERE sequence = 2")
        #expect(try await TandemBinary.run(["audit", "verify", "--data-dir", directory]).status == 1)

        let wrong = directory + "/no-such-dir"
        let missing = try await TandemBinary.run(["audit", "verify", "--data-dir", wrong])
        #expect(missing.status == 2 && missing.errors.contains("no Tandem database"), "\(missing.errors)")
        #expect(!missing.output.contains("intact"))
        #expect(!FileManager.default.fileExists(atPath: wrong))
    }

    @Test("audit verify --expect-head: a head kept from an earlier run still matches as the chain grows; a chain replaced by a self-consistent one fails it")
    func auditVerifyAgainstAKeptHead() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/" + StoreFactory.databaseFileName
        func append(_ count: Int, reason: String) async throws {
            let store = try await StoreFactory.open(dataDirectory: directory, logger: TestBackend.quietLogger)
            for index in 0..<count {
                _ = try await store.appendAudit(AuditEntry(time: Int64(index), tenantID: "acme", actor: "user:u1",
                                                           action: "test.\(index)", outcome: .info, reason: reason))
            }
            try await store.close()
        }
        try await append(3, reason: "genuine")
        let first = try await TandemBinary.run(["audit", "verify", "--data-dir", directory])
        let kept = String(try #require(first.output.firstMatch(of: /head ([0-9]+:[0-9a-f]{64})/)?.1))
        #expect(kept.hasPrefix("3:"))

        try await append(2, reason: "later")   // the chain grows past the kept head
        let grown = try await TandemBinary.run(["audit", "verify", "--data-dir", directory, "--expect-head", kept])
        #expect(grown.status == 0, "\(grown.output)\(grown.errors)")
        #expect(grown.output.contains("5 records") && grown.output.contains("record 3 matches the head kept outside"))

        // Someone with write access replaces the whole chain: every record and the head rewritten, all hashes
        // recomputed by the store itself, so the chain alone looks intact.
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: TestBackend.quietLogger)
        _ = try await connection.query("DELETE FROM audit")
        _ = try await connection.query("DELETE FROM audit_head")
        try await connection.close()
        try await append(5, reason: "forged")
        let alone = try await TandemBinary.run(["audit", "verify", "--data-dir", directory])
        #expect(alone.status == 0 && alone.output.contains("intact: 5 records"), "\(alone.output)")
        let replaced = try await TandemBinary.run(["audit", "verify", "--data-dir", directory, "--expect-head", kept])
        #expect(replaced.status == 1, "\(replaced.output)\(replaced.errors)")
        #expect(replaced.output.contains("record 3 does not carry the hash kept outside the database"))

        // A kept head past the end of the chain: the newest records were removed, head included.
        let ahead = try await TandemBinary.run(["audit", "verify", "--data-dir", directory, "--expect-head",
                                                "9:" + String(repeating: "a", count: 64)])
        #expect(ahead.status == 1 && ahead.output.contains("before record 9 kept outside the database"), "\(ahead.output)")

        for malformed in ["3", "3:abc", "x:" + String(repeating: "a", count: 64), "0:" + String(repeating: "a", count: 64)] {
            let refused = try await TandemBinary.run(["audit", "verify", "--data-dir", directory, "--expect-head", malformed])
            #expect(refused.status == 64 && refused.errors.contains("SEQUENCE:HASH"), "\(malformed): \(refused.errors)")
        }
    }

    @Test("--listen takes localhost:PORT and [::1]:PORT with a well-formed issuer; without it the config file's host and port apply")
    func listenForms() async throws {
        for host in ["localhost", "[::1]"] {
            let port = try TandemBinary.freePort()
            let serve = try ServeProcess(["--listen", "\(host):\(port)", "--data-dir", try TemporaryDirectory.make()])
            try await serve.waitFor("listening on http://\(host):\(port)")
            let discovery: (status: Int, body: JSONValue)
            if host == "localhost" {
                discovery = try await get("http://localhost:\(port)/.well-known/openid-configuration")
            } else {
                let reply = try LoopbackV6.get(port: port, path: "/.well-known/openid-configuration")
                discovery = (reply.status, JSONValue.parse(reply.body) ?? .null)
            }
            #expect(discovery.status == 200)
            #expect(discovery.body["issuer"]?.stringValue == "http://\(host):\(port)")
            #expect(discovery.body["jwks_uri"]?.stringValue == "http://\(host):\(port)/.well-known/jwks.json")
            #expect(try await serve.terminate() == 0)
        }
        let directory = try TemporaryDirectory.make()
        let port = try TandemBinary.freePort()
        let file = directory + "/tandem.json"
        try #"{"host": "127.0.0.1", "port": \#(port)}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(["--config", file, "--data-dir", directory])
        try await serve.waitFor("listening on http://127.0.0.1:\(port)")
        #expect(try await get("http://127.0.0.1:\(port)/health").status == 200)
        #expect(try await serve.terminate() == 0)

        let refused = try await TandemBinary.run(["serve", "--listen", "8443", "--data-dir", directory])
        #expect(refused.status != 0 && refused.errors.contains("--listen takes HOST:PORT"))
    }
}
