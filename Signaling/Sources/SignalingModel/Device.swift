/// A machine known to a tenant. Enrolled devices have an agent credential and report in over `/ws`.
public struct Device: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tenantID: String
    public var name: String
    public var ownerUserID: String?
    public var enrolled: Bool
    public var os: String?
    public var compliant: Bool
    /// Why the device is not compliant (e.g. "disk not encrypted"); shown to the helper, who must acknowledge it.
    public var complianceReasons: [String]
    public var groups: [String]
    /// Unix seconds of the agent's last check-in.
    public var lastCheckIn: Int64?
    /// SHA-256 (hex) of the agent's secret; the secret itself is shown once when the device is enrolled.
    public var credentialHash: String?

    public init(id: String, tenantID: String, name: String, ownerUserID: String? = nil, enrolled: Bool = true,
                os: String? = nil, compliant: Bool = true, complianceReasons: [String] = [], groups: [String] = [],
                lastCheckIn: Int64? = nil, credentialHash: String? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.ownerUserID = ownerUserID
        self.enrolled = enrolled
        self.os = os
        self.compliant = compliant
        self.complianceReasons = complianceReasons
        self.groups = groups
        self.lastCheckIn = lastCheckIn
        self.credentialHash = credentialHash
    }
}
