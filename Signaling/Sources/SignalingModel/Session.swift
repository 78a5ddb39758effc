/// What the sharer allowed when consenting.
public enum SessionMode: String, Codable, Sendable {
    case viewOnly = "view_only"
    case fullControl = "full_control"
}

public enum SessionState: String, Codable, Sendable {
    /// Code issued or launch sent; no sharer yet.
    case waiting
    /// Sharer joined; waiting for consent or the helper's compliance acknowledgement.
    case joined
    case active
    case ended
}

/// One help session as reports see it.
public struct SessionRecord: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tenantID: String
    public var helperUserID: String
    public var helperName: String
    public var sharerUserID: String?
    public var sharerName: String?
    public var deviceID: String?
    public var state: SessionState
    public var mode: SessionMode?
    /// Permissions in the latest grant.
    public var permissions: [Permission]
    public var controlUsed: Bool
    public var elevationUsed: Bool
    public var remoteLaunch: Bool
    /// Unix seconds.
    public var createdAt: Int64
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var endReason: String?

    public init(id: String, tenantID: String, helperUserID: String, helperName: String, sharerUserID: String? = nil,
                sharerName: String? = nil, deviceID: String? = nil, state: SessionState = .waiting,
                mode: SessionMode? = nil, permissions: [Permission] = [], controlUsed: Bool = false,
                elevationUsed: Bool = false, remoteLaunch: Bool = false, createdAt: Int64, startedAt: Int64? = nil,
                endedAt: Int64? = nil, endReason: String? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.helperUserID = helperUserID
        self.helperName = helperName
        self.sharerUserID = sharerUserID
        self.sharerName = sharerName
        self.deviceID = deviceID
        self.state = state
        self.mode = mode
        self.permissions = permissions
        self.controlUsed = controlUsed
        self.elevationUsed = elevationUsed
        self.remoteLaunch = remoteLaunch
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
    }

    /// Seconds from start to end (or nil while running or never started).
    public var durationSeconds: Int64? {
        guard let startedAt, let endedAt else { return nil }
        return endedAt - startedAt
    }
}

/// Filters for past-session reports; nil fields do not filter.
public struct SessionFilter: Codable, Sendable, Equatable {
    public var helperUserID: String?
    public var sharerUserID: String?
    public var deviceID: String?
    /// Unix seconds, inclusive bounds on `createdAt`.
    public var from: Int64?
    public var to: Int64?
    public var state: SessionState?
    public var limit: Int

    public init(helperUserID: String? = nil, sharerUserID: String? = nil, deviceID: String? = nil, from: Int64? = nil,
                to: Int64? = nil, state: SessionState? = nil, limit: Int = 1000) {
        self.helperUserID = helperUserID
        self.sharerUserID = sharerUserID
        self.deviceID = deviceID
        self.from = from
        self.to = to
        self.state = state
        self.limit = limit
    }
}
