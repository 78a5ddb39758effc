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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
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

/// Text that arrives from another thread.
final class OutputBuffer: Sendable {
    private let storage = Mutex("")
    func append(_ data: Data) { storage.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    var text: String { storage.withLock { $0 } }
}

/// `tandem serve …` as a child process; its standard output is collected as it comes.
final class ServeProcess {
    let process: Process
    private let output = OutputBuffer()

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try TandemBinary.path())
        process.arguments = ["serve"] + arguments + ["--log-level", "error"]
        process.environment = TandemBinary.environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in output.append(handle.availableData) }
        try process.run()
    }

    var text: String { output.text }

    /// Waits until the output contains `expected` (the child printing it), or fails.
    func waitFor(_ expected: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !text.contains(expected) {
            guard process.isRunning else { throw CommandFailure("tandem serve exited: \(text)") }
            guard ContinuousClock.now < deadline else { throw CommandFailure("no '\(expected)' in: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// SIGTERM, then the exit status (or a failure after `timeout`, the child killed).
    func terminate(timeout: Duration = .seconds(20)) async throws -> Int32 {
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw CommandFailure("tandem serve did not stop after SIGTERM")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
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
        #expect(intact.output.contains("audit chain intact: 4 records, head 4 "))

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
