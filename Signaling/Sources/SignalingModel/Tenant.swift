/// How a session's media may travel: the relay policy a tenant sets (handed to both parties with the ICE servers).
public enum RelayPolicy: String, Codable, Sendable, CaseIterable {
    case auto
    case directOnly = "direct_only"
    case relayOnly = "relay_only"
}

/// An external OpenID Connect identity provider trusted by one tenant.
public struct ExternalIdentityProvider: Codable, Sendable, Equatable {
    /// The `iss` value the provider puts in its tokens; discovery is read from `<issuer>/.well-known/openid-configuration`.
    public var issuer: String
    /// The `aud` value tokens must carry for this service.
    public var audience: String
    /// The provider's own name for this tenant, compared with `tenantClaim` in every token.
    public var externalTenantID: String
    /// The claim that carries the provider's tenant id (`tid` for Entra ID).
    public var tenantClaim: String

    public init(issuer: String, audience: String, externalTenantID: String, tenantClaim: String = "tid") {
        self.issuer = issuer
        self.audience = audience
        self.externalTenantID = externalTenantID
        self.tenantClaim = tenantClaim
    }
}

/// An organisation. Remote Help and unenrolled devices are off until an admin turns them on.
public struct Tenant: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    /// The domain the organisation proved it owns; shown to sharers next to the helper's name.
    public var verifiedDomain: String?
    /// A disabled tenant refuses every token and every session.
    public var enabled: Bool
    public var remoteHelpEnabled: Bool
    public var allowUnenrolledDevices: Bool
    public var chatEnabled: Bool
    public var sessionCodeLifetimeSeconds: Int
    /// Longest a session may last before the service ends it with reason `timeout`.
    public var sessionMaxDurationSeconds: Int
    public var relayPolicy: RelayPolicy
    /// Audit records and ended sessions older than this are removed by retention.
    public var retentionDays: Int
    /// Named IP ranges (CIDR lists) that conditional-access policies refer to by name.
    public var namedRanges: [String: [String]]
    public var identityProvider: ExternalIdentityProvider?

    public init(
        id: String, name: String, verifiedDomain: String? = nil, enabled: Bool = true,
        remoteHelpEnabled: Bool = false, allowUnenrolledDevices: Bool = false, chatEnabled: Bool = true,
        sessionCodeLifetimeSeconds: Int = 600, sessionMaxDurationSeconds: Int = 8 * 3600,
        relayPolicy: RelayPolicy = .auto, retentionDays: Int = 365, namedRanges: [String: [String]] = [:],
        identityProvider: ExternalIdentityProvider? = nil
    ) {
        self.id = id
        self.name = name
        self.verifiedDomain = verifiedDomain
        self.enabled = enabled
        self.remoteHelpEnabled = remoteHelpEnabled
        self.allowUnenrolledDevices = allowUnenrolledDevices
        self.chatEnabled = chatEnabled
        self.sessionCodeLifetimeSeconds = sessionCodeLifetimeSeconds
        self.sessionMaxDurationSeconds = sessionMaxDurationSeconds
        self.relayPolicy = relayPolicy
        self.retentionDays = retentionDays
        self.namedRanges = namedRanges
        self.identityProvider = identityProvider
    }
}
