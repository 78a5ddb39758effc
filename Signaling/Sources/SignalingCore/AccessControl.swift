import SignalingModel

/// Role-based access control: which permissions a user holds over a device (issue 5, point 4).
public enum AccessControl {
    /// The union of the permissions of every assignment that names the user (by id or group) and covers the device
    /// (by group; an assignment without device groups covers every device; a session without a device is covered
    /// only by such assignments).
    public static func permissions(user: User, device: Device?, roles: [Role], assignments: [RoleAssignment])
        -> Set<Permission>
    {
        let rolesByID = Dictionary((roles + Role.builtIn).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var granted = Set<Permission>()
        for assignment in assignments where assignment.tenantID == user.tenantID {
            let namesUser = assignment.userIDs.contains(user.id)
                || !Set(assignment.userGroups).isDisjoint(with: user.groups)
            guard namesUser, let role = rolesByID[assignment.roleID] else { continue }
            guard role.tenantID == nil || role.tenantID == user.tenantID else { continue }
            let coversDevice: Bool
            if assignment.deviceGroups.isEmpty {
                coversDevice = true
            } else if let device {
                coversDevice = !Set(assignment.deviceGroups).isDisjoint(with: device.groups)
            } else {
                coversDevice = false
            }
            if coversDevice { granted.formUnion(role.permissions) }
        }
        return granted
    }

    /// The permissions a user holds over at least some device: enough to open a code session before the sharer's
    /// device is known (the exact check repeats when the sharer joins).
    public static func permissionsOnSomeDevice(user: User, roles: [Role], assignments: [RoleAssignment])
        -> Set<Permission>
    {
        let unscoped = assignments.map { assignment in
            var copy = assignment
            copy.deviceGroups = []
            return copy
        }
        return permissions(user: user, device: nil, roles: roles, assignments: unscoped)
    }

    /// Throws `permission_missing` unless `permission` is among `held`.
    public static func require(_ permission: Permission, held: Set<Permission>, device: Device?) throws(Refusal) {
        guard held.contains(permission) else {
            let scope = device.map { " on device \($0.name)" } ?? ""
            throw Refusal(.permissionMissing,
                          "Your roles do not include the permission \(permission.rawValue)\(scope).")
        }
    }
}
