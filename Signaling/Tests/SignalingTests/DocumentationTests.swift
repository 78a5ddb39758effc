import Foundation
import Testing
import SignalingCore

/// PROTOCOL.md and openapi.yaml stay in step with the code.
@Suite("Documentation")
struct DocumentationTests {
    static let signalingDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("Every refusal code is documented in PROTOCOL.md's table")
    func refusalCodes() throws {
        let protocolText = try String(contentsOf: Self.signalingDirectory.appendingPathComponent("PROTOCOL.md"),
                                      encoding: .utf8)
        for code in RefusalCode.allCases {
            #expect(protocolText.contains("| `\(code.rawValue)` |"), "\(code.rawValue) missing from PROTOCOL.md")
        }
    }

    @Test("Every admin and auth route is in openapi.yaml")
    func openAPIPaths() throws {
        let document = try String(contentsOf: Self.signalingDirectory.appendingPathComponent("openapi.yaml"),
                                  encoding: .utf8)
        let routes = [
            "/health", "/metrics", "/.well-known/openid-configuration", "/.well-known/jwks.json",
            "/.well-known/tandem-grant-keys", "/auth/token", "/auth/refresh", "/auth/device", "/admin/v1/tenants",
            "/admin/v1/tenants/{tenant}", "/admin/v1/tenants/{tenant}/users", "/admin/v1/tenants/{tenant}/users/{id}",
            "/admin/v1/tenants/{tenant}/users/{id}/totp", "/admin/v1/tenants/{tenant}/roles",
            "/admin/v1/tenants/{tenant}/roles/{id}", "/admin/v1/tenants/{tenant}/assignments",
            "/admin/v1/tenants/{tenant}/assignments/{id}", "/admin/v1/tenants/{tenant}/devices",
            "/admin/v1/tenants/{tenant}/devices/{id}", "/admin/v1/tenants/{tenant}/policies",
            "/admin/v1/tenants/{tenant}/policies/{id}", "/admin/v1/tenants/{tenant}/policies/what-if",
            "/admin/v1/tenants/{tenant}/sessions/active", "/admin/v1/tenants/{tenant}/sessions",
            "/admin/v1/tenants/{tenant}/sessions/{id}/end", "/admin/v1/tenants/{tenant}/audit",
            "/admin/v1/tenants/{tenant}/retention/run",
        ]
        for route in routes { #expect(document.contains("  \(route):\n"), "\(route) missing from openapi.yaml") }
    }
}
