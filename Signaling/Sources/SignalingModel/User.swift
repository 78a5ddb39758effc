/// A person of one tenant. Users of an external identity provider exist here only once an admin adds them
/// or their first token arrives; their `passwordHash` stays nil.
public struct User: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tenantID: String
    /// The name used to sign in to the built-in issuer (unique within the tenant).
    public var username: String
    public var displayName: String
    public var email: String?
    public var groups: [String]
    /// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; nil for users of an external identity provider.
    public var passwordHash: String?
    /// Base32 TOTP secret (RFC 6238); when set, signing in asks for a code and adds `otp`/`mfa` to `amr`.
    public var totpSecret: String?
    /// The time step of the last TOTP code accepted; only codes of later steps are accepted (RFC 6238 §5.2).
    public var totpLastStep: Int64?
    /// Tenant admins manage their own tenant; service operators (`operator`) manage every tenant.
    public var isTenantAdmin: Bool
    public var isOperator: Bool
    public var disabled: Bool

    public init(
        id: String, tenantID: String, username: String, displayName: String, email: String? = nil,
        groups: [String] = [], passwordHash: String? = nil, totpSecret: String? = nil,
        isTenantAdmin: Bool = false, isOperator: Bool = false, disabled: Bool = false
    ) {
        self.id = id
        self.tenantID = tenantID
        self.username = username
        self.displayName = displayName
        self.email = email
        self.groups = groups
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
        self.isTenantAdmin = isTenantAdmin
        self.isOperator = isOperator
        self.disabled = disabled
    }
}
