import Foundation
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingStore

/// What a first start creates: signing keys kept in the store, and, when there is no tenant yet, a `default` tenant
/// (Remote Help off) with an `admin` user whose random password is printed once.
public enum Bootstrap {
    public struct Outcome: Sendable {
        public let identity: IdentityServices
        /// Set on the first start only.
        public let firstAdminPassword: String?
    }

    public static func prepare(store: any Store, configuration: ServiceConfiguration, clock: ServiceClock,
                               jwks: JWKSCache) async throws -> Outcome {
        let issuerKey = try await key(named: "issuer", store: store)
        let grantKey = try await key(named: "grant", store: store)
        var issuer = BuiltInIssuer(issuer: configuration.issuer, key: issuerKey)
        issuer.accessLifetimeSeconds = configuration.accessTokenLifetimeSeconds
        let validator = TokenValidator(builtIn: issuer, jwks: jwks, skewSeconds: configuration.tokenSkewSeconds,
                                       tenant: { try await store.tenant(id: $0) }, tenants: { try await store.tenants() })
        let passwords = PasswordHasher(rounds: configuration.passwordRounds)
        let identity = IdentityServices(issuer: issuer, validator: validator, grantKey: grantKey, passwords: passwords)

        var password: String?
        if try await store.tenants().isEmpty {
            var generator = SystemRandomNumberGenerator()
            let secret = Base32.encode(generator.bytes(10))
            try await store.saveTenant(Tenant(id: "default", name: "Default organisation"))
            try await store.saveUser(User(id: "admin", tenantID: "default", username: "admin", displayName: "Administrator",
                                          passwordHash: try passwords.hash(secret), isTenantAdmin: true, isOperator: true))
            try await store.appendAudit(AuditEntry(time: clock.milliseconds, tenantID: "default", actor: "system",
                                                   action: "bootstrap", outcome: .info,
                                                   reason: "First start: created tenant default and user admin."))
            password = secret
        }
        return Outcome(identity: identity, firstAdminPassword: password)
    }

    /// An ES256 key kept in the store's settings, so that tokens and grants survive restarts (and are shared by
    /// nodes on one PostgreSQL database).
    static func key(named name: String, store: any Store) async throws -> SigningKey {
        let setting = "key.\(name).pem"
        let keyID = "\(name)-1"
        if let pem = try await store.setting(setting) { return try await SigningKey.load(privateKeyPEM: pem, keyID: keyID) }
        let key = try await SigningKey.generate(keyID: keyID)
        try await store.saveSetting(setting, key.privateKeyPEM)
        return key
    }
}
