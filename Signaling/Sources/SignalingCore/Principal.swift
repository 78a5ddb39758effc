import SignalingModel

/// Who is speaking, as established from a validated token.
public struct Principal: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case user
        case device
    }

    public var kind: Kind
    public var tenantID: String
    /// User id, or device id for device agents.
    public var subject: String
    public var displayName: String
    public var email: String?
    public var groups: [String]
    /// Authentication methods (RFC 8176), e.g. `pwd`, `otp`, `mfa`.
    public var authenticationMethods: [String]
    /// The device the token was issued on, when the identity provider says so.
    public var deviceID: String?
    public var issuer: String

    public init(kind: Kind, tenantID: String, subject: String, displayName: String, email: String? = nil,
                groups: [String] = [], authenticationMethods: [String] = [], deviceID: String? = nil,
                issuer: String) {
        self.kind = kind
        self.tenantID = tenantID
        self.subject = subject
        self.displayName = displayName
        self.email = email
        self.groups = groups
        self.authenticationMethods = authenticationMethods
        self.deviceID = deviceID
        self.issuer = issuer
    }

    /// Multi-factor authentication took place (RFC 8176 §2: `mfa`, or a one-time code besides the password).
    public var usedMFA: Bool {
        authenticationMethods.contains("mfa") || authenticationMethods.contains("otp")
    }

    /// The audit log's name for this principal.
    public var auditActor: String { "\(kind.rawValue):\(subject)" }
}
