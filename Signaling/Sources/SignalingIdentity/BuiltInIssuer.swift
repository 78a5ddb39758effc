import Foundation
import JWTKit
import SignalingModel

/// The service's own token issuer for the embedded default: access tokens for users (with `amr` saying how they
/// signed in), refresh tokens, and device tokens for device agents, all ES256 JWTs (RFC 7519).
public struct BuiltInIssuer: Sendable {
    public enum TokenUse: String, Sendable {
        case access
        case refresh
        case device
    }

    public let issuer: String
    public let audience: String
    public let key: SigningKey
    public var accessLifetimeSeconds: Int64 = 3600
    public var refreshLifetimeSeconds: Int64 = 7 * 24 * 3600
    public var deviceLifetimeSeconds: Int64 = 24 * 3600

    public init(issuer: String, audience: String = "tandem", key: SigningKey) {
        self.issuer = issuer
        self.audience = audience
        self.key = key
    }

    /// A user token; `methods` are RFC 8176 values (`pwd`, plus `otp` and `mfa` after a TOTP code).
    public func issue(_ use: TokenUse, for user: User, methods: [String], now: Date) async throws -> String {
        let lifetime = use == .refresh ? refreshLifetimeSeconds : accessLifetimeSeconds
        var values: [String: FlexibleClaims.Value] = common(use, subject: user.id, tenantID: user.tenantID,
                                                             lifetime: lifetime, now: now)
        values["name"] = .string(user.displayName)
        if let email = user.email { values["email"] = .string(email) }
        values["groups"] = .strings(user.groups)
        values["amr"] = .strings(methods)
        return try await key.sign(FlexibleClaims(values))
    }

    /// A device agent's token.
    public func issue(for device: Device, now: Date) async throws -> String {
        var values = common(.device, subject: device.id, tenantID: device.tenantID, lifetime: deviceLifetimeSeconds,
                            now: now)
        values["name"] = .string(device.name)
        values["device_id"] = .string(device.id)
        return try await key.sign(FlexibleClaims(values))
    }

    private func common(_ use: TokenUse, subject: String, tenantID: String, lifetime: Int64, now: Date)
        -> [String: FlexibleClaims.Value]
    {
        let issuedAt = now.timeIntervalSince1970.rounded(.down)
        return [
            "iss": .string(issuer), "aud": .string(audience), "sub": .string(subject), "tid": .string(tenantID),
            "typ": .string(use.rawValue), "iat": .number(issuedAt), "exp": .number(issuedAt + Double(lifetime)),
            "jti": .string(UUID().uuidString),
        ]
    }
}
