import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How `tandem admin` reaches the service: a URL and either a bearer token or a built-in sign-in.
struct AdminConnection: ParsableArguments {
    @Option(help: "Base URL of the signaling service.")
    var url = "http://127.0.0.1:8443"

    @Option(help: "Tenant to administer (and to sign in to).")
    var tenant = "default"

    @Option(help: "Bearer token (else --username/--password sign in to the built-in issuer). Env: TANDEM_TOKEN.")
    var token: String?

    @Option(help: "Admin user name for the built-in issuer.")
    var username: String?

    @Option(help: "Admin password. Env: TANDEM_PASSWORD.")
    var password: String?

    @Option(help: "TOTP code, when the admin has one.")
    var otp: String?

    func client() async throws -> AdminClient {
        let environment = ProcessInfo.processInfo.environment
        if let token = token ?? environment["TANDEM_TOKEN"] { return AdminClient(base: url, token: token) }
        guard let username, let password = password ?? environment["TANDEM_PASSWORD"] else {
            throw ValidationError("give --token, or --username and --password")
        }
        var body: [String: String] = ["tenant": tenant, "username": username, "password": password]
        if let otp { body["otp"] = otp }
        let reply = try await AdminClient(base: url, token: nil).send("POST", "/auth/token", json: body)
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any],
              let token = object["access_token"] as? String
        else { throw AdminError(message: "sign-in failed: \(reply)") }
        return AdminClient(base: url, token: token)
    }

    /// `/admin/v1/tenants/<tenant>` + suffix.
    func path(_ suffix: String = "") -> String { "/admin/v1/tenants/\(tenant)\(suffix)" }
}

struct AdminError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A small JSON-over-HTTP client; non-2xx answers become errors carrying the service's refusal.
struct AdminClient {
    let base: String
    let token: String?

    func send(_ method: String, _ path: String, json body: (any Encodable)? = nil) async throws -> String {
        guard let url = URL(string: base + path) else { throw AdminError(message: "bad URL \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw AdminError(message: "HTTP \(status): \(text)") }
        return text
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try await send("GET", path).utf8))
    }

    /// Prints JSON answers indented.
    static func show(_ text: String) {
        if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
           let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
            printLine(String(decoding: pretty, as: UTF8.self))
        } else {
            printLine(text)
        }
    }
}

/// `on` / `off` flags of the admin commands.
enum Toggle: String, ExpressibleByArgument {
    case on, off
    var value: Bool { self == .on }
}
