import SignalingIdentity

/// The keys and validators the service signs and checks with.
public struct IdentityServices: Sendable {
    public let issuer: BuiltInIssuer
    public let validator: TokenValidator
    /// Signs session grants; its public JWKS is served at `/.well-known/tandem-grant-keys`.
    public let grantKey: SigningKey
    public let passwords: PasswordHasher

    public init(issuer: BuiltInIssuer, validator: TokenValidator, grantKey: SigningKey, passwords: PasswordHasher) {
        self.issuer = issuer
        self.validator = validator
        self.grantKey = grantKey
        self.passwords = passwords
    }
}
