/// The two sides of a session.
public enum Party: String, Codable, Sendable, CaseIterable {
    case helper
    case sharer
}

/// What a conditional-access policy does to the parties it targets.
public enum PolicyResult: String, Codable, Sendable {
    /// Refuse outright.
    case block
    /// Allow, provided every requirement of the policy holds.
    case grant
}

/// A conditional-access policy. It targets parties (helper, sharer or both) in some user groups (empty: everyone),
/// is evaluated at sign-in (policies targeting both parties) and at session start (policies targeting that party).
public struct ConditionalAccessPolicy: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tenantID: String
    public var name: String
    public var enabled: Bool
    /// Lower runs first; the first policy that refuses decides.
    public var priority: Int
    public var parties: [Party]
    public var userGroups: [String]
    public var result: PolicyResult
    public var requireMFA: Bool
    public var requireCompliantDevice: Bool
    /// Names of the tenant's named ranges the address must be in (empty: any address).
    public var allowedRanges: [String]
    /// Names of the tenant's named ranges the address must not be in.
    public var blockedRanges: [String]

    public init(id: String, tenantID: String, name: String, enabled: Bool = true, priority: Int = 100,
                parties: [Party] = Party.allCases, userGroups: [String] = [], result: PolicyResult = .grant,
                requireMFA: Bool = false, requireCompliantDevice: Bool = false, allowedRanges: [String] = [],
                blockedRanges: [String] = []) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.enabled = enabled
        self.priority = priority
        self.parties = parties
        self.userGroups = userGroups
        self.result = result
        self.requireMFA = requireMFA
        self.requireCompliantDevice = requireCompliantDevice
        self.allowedRanges = allowedRanges
        self.blockedRanges = blockedRanges
    }
}
