import Foundation
import JWTKit
import SignalingCore
import SignalingModel

/// Validates bearer tokens from the built-in issuer and from tenants' external identity providers, and maps their
/// claims to a `Principal`. Every failure is a `Refusal` with the code the audit log and the client see.
public struct TokenValidator: Sendable {
    public let builtIn: BuiltInIssuer
    public let jwks: JWKSCache
    /// Allowed clock difference for `exp` and `nbf` (RFC 7519 §4.1.4 allows "some small leeway").
    public let skewSeconds: Double
    /// How the validator finds tenants: by id, and all of them (to match an external issuer).
    public let tenant: @Sendable (String) async throws -> Tenant?
    public let tenants: @Sendable () async throws -> [Tenant]

    public init(builtIn: BuiltInIssuer, jwks: JWKSCache, skewSeconds: Double = 60,
                tenant: @escaping @Sendable (String) async throws -> Tenant?,
                tenants: @escaping @Sendable () async throws -> [Tenant]) {
        self.builtIn = builtIn
        self.jwks = jwks
        self.skewSeconds = skewSeconds
        self.tenant = tenant
        self.tenants = tenants
    }

    /// What a caller accepts: user access tokens (built-in or external), built-in refresh tokens, device tokens.
    public enum Accept: Sendable {
        case access
        case refresh
    }

    private static let reader = JWTKeyCollection()

    public func validate(_ token: String, accept: Accept = .access, now: Date) async throws(Refusal)
        -> (principal: Principal, tenant: Tenant)
    {
        let unverified: FlexibleClaims
        do { unverified = try await Self.reader.unverified(token, as: FlexibleClaims.self) }
        catch { throw Refusal(.tokenInvalid, "The token is not a well-formed JWT.") }
        guard let issuer = unverified.string("iss") else { throw Refusal(.tokenWrongIssuer, "The token names no issuer.") }

        let claims: FlexibleClaims
        let tenant: Tenant
        if issuer == builtIn.issuer {
            claims = try await verify(token, with: builtIn.key.keys)
            try checkAudience(claims, expected: builtIn.audience)
            try checkTimes(claims, now: now)
            guard let tenantID = claims.string("tid") else { throw Refusal(.tokenInvalid, "The token names no tenant.") }
            guard let found = try? await self.tenant(tenantID) else {
                throw Refusal(.tenantUnknown, "The token's organisation is not known here.")
            }
            tenant = found
        } else {
            let candidates = (try? await tenants())?.filter { $0.identityProvider?.issuer == issuer } ?? []
            guard let provider = candidates.first?.identityProvider else {
                throw Refusal(.tokenWrongIssuer, "Tokens from \(issuer) are not trusted here.")
            }
            claims = try await verifyExternal(token, issuer: issuer, now: now)
            let externalTenant = claims.string(provider.tenantClaim)
            let matches = candidates.filter { $0.identityProvider?.externalTenantID == externalTenant }
            guard let match = matches.first else {
                throw Refusal(.tenantMismatch, "The token belongs to an organisation that is not set up here.")
            }
            // The admin API keeps each (issuer, external tenant id) to one tenant; should two share it anyway, the
            // token is not taken for either.
            guard matches.count == 1 else {
                throw Refusal(.tenantMismatch, "The token's organisation is set up more than once here.")
            }
            try checkAudience(claims, expected: match.identityProvider?.audience ?? "")
            try checkTimes(claims, now: now)
            tenant = match
        }
        guard tenant.enabled else { throw Refusal(.tenantDisabled, "The organisation \(tenant.name) is disabled.") }

        let use = claims.string("typ")
        switch accept {
        case .access where use == BuiltInIssuer.TokenUse.refresh.rawValue:
            throw Refusal(.tokenInvalid, "A refresh token cannot be used to sign in.")
        case .refresh where use != BuiltInIssuer.TokenUse.refresh.rawValue || issuer != builtIn.issuer:
            throw Refusal(.tokenInvalid, "This is not a refresh token of this service.")
        default: break
        }
        return (principal(from: claims, issuer: issuer, tenant: tenant), tenant)
    }

    private func verify(_ token: String, with keys: JWTKeyCollection) async throws(Refusal) -> FlexibleClaims {
        do { return try await keys.verify(token, as: FlexibleClaims.self) }
        catch { throw Refusal(.tokenInvalid, "The token's signature does not verify.") }
    }

    /// Verifies with the provider's current keys, refreshing them once when the token's key id (RFC 7515 §4.1.4) is
    /// not among them: the provider rotated its keys.
    private func verifyExternal(_ token: String, issuer: String, now: Date) async throws(Refusal) -> FlexibleClaims {
        do {
            var keySet = try await jwks.keys(issuer: issuer, now: now)
            if let keyID = Self.keyID(of: token), !keySet.keyIDs.contains(keyID) {
                keySet = try await jwks.keys(issuer: issuer, now: now, afterUnknownKey: true)
            }
            return try await verify(token, with: keySet.keys)
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(.tokenInvalid, "The identity provider's keys could not be fetched.")
        }
    }

    /// The `kid` of a JWS compact serialization's protected header, if any.
    static func keyID(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let fields = try? JSONDecoder().decode([String: FlexibleClaims.Value].self, from: data),
              case .string(let keyID) = fields["kid"]
        else { return nil }
        return keyID
    }

    private func checkAudience(_ claims: FlexibleClaims, expected: String) throws(Refusal) {
        guard claims.strings("aud").contains(expected) else {
            throw Refusal(.tokenWrongAudience, "The token is meant for another service.")
        }
    }

    private func checkTimes(_ claims: FlexibleClaims, now: Date) throws(Refusal) {
        let current = now.timeIntervalSince1970
        guard let expiry = claims.number("exp") else { throw Refusal(.tokenInvalid, "The token has no expiry.") }
        if expiry + skewSeconds <= current { throw Refusal(.tokenExpired, "The token has expired; sign in again.") }
        if let notBefore = claims.number("nbf"), notBefore - skewSeconds > current {
            throw Refusal(.tokenInvalid, "The token is not valid yet.")
        }
    }

    private func principal(from claims: FlexibleClaims, issuer: String, tenant: Tenant) -> Principal {
        let isDevice = claims.string("typ") == BuiltInIssuer.TokenUse.device.rawValue && issuer == builtIn.issuer
        let subject = claims.string("oid") ?? claims.string("sub") ?? ""
        return Principal(
            kind: isDevice ? .device : .user, tenantID: tenant.id, subject: subject,
            displayName: claims.string("name") ?? claims.string("preferred_username") ?? subject,
            email: claims.string("email") ?? claims.string("upn") ?? claims.string("preferred_username"),
            groups: claims.strings("groups"), authenticationMethods: claims.strings("amr"),
            deviceID: claims.string("device_id") ?? claims.string("deviceid"), issuer: issuer)
    }
}
