/// What a helper may do in a session.
public enum Permission: String, Codable, Sendable, CaseIterable, Comparable {
    case viewScreen = "view_screen"
    case fullControl = "full_control"
    case elevation
    case unattendedControl = "unattended_control"

    public static func < (a: Permission, b: Permission) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// A named set of permissions. Built-in roles have a nil tenant and cannot be changed.
public struct Role: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tenantID: String?
    public var name: String
    public var permissions: [Permission]

    public init(id: String, tenantID: String?, name: String, permissions: [Permission]) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.permissions = permissions
    }

    public var isBuiltIn: Bool { tenantID == nil }

    public static let helpDeskOperator = Role(
        id: "help-desk-operator", tenantID: nil, name: "Help Desk Operator",
        permissions: [.viewScreen, .fullControl, .elevation])
    public static let readOnlyOperator = Role(
        id: "read-only-operator", tenantID: nil, name: "Read Only Operator", permissions: [.viewScreen])
    public static let builtIn: [Role] = [helpDeskOperator, readOnlyOperator]
}

/// Gives a role to users (by id or group) over devices (by group; empty means every device of the tenant).
public struct RoleAssignment: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tenantID: String
    public var roleID: String
    public var userIDs: [String]
    public var userGroups: [String]
    public var deviceGroups: [String]

    public init(id: String, tenantID: String, roleID: String, userIDs: [String] = [], userGroups: [String] = [],
                deviceGroups: [String] = []) {
        self.id = id
        self.tenantID = tenantID
        self.roleID = roleID
        self.userIDs = userIDs
        self.userGroups = userGroups
        self.deviceGroups = deviceGroups
    }
}
