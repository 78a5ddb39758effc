public enum AuditOutcome: String, Codable, Sendable {
    case allowed
    case refused
    case info
}

/// What a caller asks the audit log to record; the store adds the sequence number and the hash chain.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// Unix milliseconds.
    public var time: Int64
    public var tenantID: String?
    /// Who acted: `user:<id>`, `device:<id>`, `admin:<id>`, `system` or `anonymous@<address>`.
    public var actor: String
    /// What was attempted, e.g. `session.join`, `admin.role.update`, `auth.sign_in`.
    public var action: String
    public var outcome: AuditOutcome
    /// Machine-readable refusal code (PROTOCOL.md), nil when allowed.
    public var code: String?
    /// Human sentence.
    public var reason: String
    public var sessionID: String?
    public var details: [String: String]

    public init(time: Int64, tenantID: String?, actor: String, action: String, outcome: AuditOutcome,
                code: String? = nil, reason: String, sessionID: String? = nil, details: [String: String] = [:]) {
        self.time = time
        self.tenantID = tenantID
        self.actor = actor
        self.action = action
        self.outcome = outcome
        self.code = code
        self.reason = reason
        self.sessionID = sessionID
        self.details = details
    }
}

/// A stored audit record: the entry, its place in the chain, the previous record's hash and its own.
public struct AuditRecord: Codable, Sendable, Equatable {
    public var sequence: Int64
    public var entry: AuditEntry
    /// Hex SHA-256 of the previous record (64 zeros for the first one ever written).
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, entry: AuditEntry, previousHash: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }
}
