import ArgumentParser
import Foundation
import SignalingModel

/// `tandem admin …`: tenants, users, roles, devices, policies and reports through the admin REST API.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administer the signaling service (tenants, users, roles, devices, policies, reports).",
        subcommands: [AdminTenants.self, AdminUsers.self, AdminRoles.self, AdminDevices.self, AdminPolicies.self,
                      AdminReports.self]
    )
}

struct AdminTenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tenants", subcommands: [List.self, Show.self, Create.self, Set.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", "/admin/v1/tenants")) }
    }

    struct Show: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path())) }
    }

    struct Create: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument(help: "New tenant id.") var id: String
        @Option(help: "Display name.") var name: String
        @Option(help: "Verified domain shown to sharers.") var verifiedDomain: String?
        func run() async throws {
            let tenant = Tenant(id: id, name: name, verifiedDomain: verifiedDomain)
            AdminClient.show(try await connection.client().send("POST", "/admin/v1/tenants", json: tenant))
        }
    }

    /// Changes settings of `--tenant`; options left out keep their value.
    struct Set: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Option var remoteHelp: Toggle?
        @Option var allowUnenrolled: Toggle?
        @Option var chat: Toggle?
        @Option var enabled: Toggle?
        @Option var codeLifetime: Int?
        @Option(help: "auto, direct_only or relay_only.") var relay: String?
        @Option var retentionDays: Int?
        @Option var verifiedDomain: String?
        @Option(help: "Named IP range NAME=CIDR[,CIDR…] for conditional access (repeatable).") var range: [String] = []

        func run() async throws {
            let client = try await connection.client()
            var tenant = try await client.get(connection.path(), as: Tenant.self)
            if let remoteHelp { tenant.remoteHelpEnabled = remoteHelp.value }
            if let allowUnenrolled { tenant.allowUnenrolledDevices = allowUnenrolled.value }
            if let chat { tenant.chatEnabled = chat.value }
            if let enabled { tenant.enabled = enabled.value }
            if let codeLifetime { tenant.sessionCodeLifetimeSeconds = codeLifetime }
            if let relay {
                guard let policy = RelayPolicy(rawValue: relay) else { throw ValidationError("--relay: auto, direct_only or relay_only") }
                tenant.relayPolicy = policy
            }
            if let retentionDays { tenant.retentionDays = retentionDays }
            if let verifiedDomain { tenant.verifiedDomain = verifiedDomain }
            for entry in range {
                let parts = entry.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw ValidationError("--range NAME=CIDR[,CIDR…]") }
                tenant.namedRanges[String(parts[0])] = parts[1].split(separator: ",").map(String.init)
            }
            AdminClient.show(try await client.send("PUT", connection.path(), json: tenant))
        }
    }
}

struct AdminUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users",
                                                    subcommands: [List.self, Add.self, SetPassword.self, Disable.self, TOTP.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path("/users"))) }
    }

    struct Add: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var username: String
        @Option var displayName: String
        @Option var email: String?
        @Option(help: "Group (repeatable).") var group: [String] = []
        @Option var userPassword: String?
        @Flag(help: "Make the user a tenant admin.") var admin = false

        func run() async throws {
            var body: [String: AnyEncodable] = ["id": .init(username), "username": .init(username),
                                                "displayName": .init(displayName),
                                                "groups": .init(group), "isTenantAdmin": .init(admin)]
            if let email { body["email"] = .init(email) }
            if let userPassword { body["password"] = .init(userPassword) }
            AdminClient.show(try await connection.client().send("POST", connection.path("/users"), json: body))
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-password")
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        @Argument var newPassword: String
        func run() async throws {
            try await updateUser(id, through: connection, setting: ["password": AnyEncodable(newPassword)])
        }
    }

    /// PUT /users/ID needs the user's name fields: read them, then send them with the changed ones.
    static func updateUser(_ id: String, through connection: AdminConnection, setting changes: [String: AnyEncodable]) async throws {
        let client = try await connection.client()
        let users = try await client.get(connection.path("/users"), as: [UserSummary].self)
        guard let user = users.first(where: { $0.id == id }) else { throw AdminError(message: "no user \(id)") }
        let body = ["username": AnyEncodable(user.username), "displayName": AnyEncodable(user.displayName)]
            .merging(changes) { _, changed in changed }
        AdminClient.show(try await client.send("PUT", connection.path("/users/\(id)"), json: body))
    }

    struct Disable: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        func run() async throws {
            try await updateUser(id, through: connection, setting: ["disabled": AnyEncodable(true)])
        }
    }

    struct TOTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "totp", abstract: "Enrol TOTP; prints the secret once.")
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        func run() async throws {
            AdminClient.show(try await connection.client().send("POST", connection.path("/users/\(id)/totp")))
        }
    }

    struct UserSummary: Decodable {
        var id, username, displayName: String
    }
}

struct AdminRoles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "roles", subcommands: [List.self, Set.self, Delete.self, Assign.self, Assignments.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path("/roles"))) }
    }

    struct Set: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        @Option var name: String
        @Option(help: "view_screen, full_control, elevation or unattended_control (repeatable).") var permission: [String]
        func run() async throws {
            let permissions = try permission.map { text in
                guard let value = Permission(rawValue: text) else { throw ValidationError("unknown permission \(text)") }
                return value
            }
            let role = Role(id: id, tenantID: connection.tenant, name: name, permissions: permissions)
            AdminClient.show(try await connection.client().send("PUT", connection.path("/roles/\(id)"), json: role))
        }
    }

    struct Delete: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        func run() async throws { AdminClient.show(try await connection.client().send("DELETE", connection.path("/roles/\(id)"))) }
    }

    struct Assign: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument(help: "Assignment id.") var id: String
        @Option var role: String
        @Option(help: "User id (repeatable).") var user: [String] = []
        @Option(help: "User group (repeatable).") var group: [String] = []
        @Option(help: "Device group the assignment covers (repeatable; none: every device).") var deviceGroup: [String] = []
        func run() async throws {
            let assignment = RoleAssignment(id: id, tenantID: connection.tenant, roleID: role, userIDs: user,
                                            userGroups: group, deviceGroups: deviceGroup)
            AdminClient.show(try await connection.client().send("PUT", connection.path("/assignments/\(id)"), json: assignment))
        }
    }

    struct Assignments: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path("/assignments"))) }
    }
}

struct AdminDevices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", subcommands: [List.self, Enrol.self, Compliance.self, Delete.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path("/devices"))) }
    }

    struct Enrol: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol a device; prints the agent's secret once.")
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        @Option var name: String
        @Option var owner: String?
        @Option(help: "Device group (repeatable).") var group: [String] = []
        func run() async throws {
            var body: [String: AnyEncodable] = ["id": .init(id), "name": .init(name), "groups": .init(group)]
            if let owner { body["ownerUserID"] = .init(owner) }
            AdminClient.show(try await connection.client().send("POST", connection.path("/devices"), json: body))
        }
    }

    struct Compliance: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        @Option var compliant: Toggle
        @Option(help: "Why it is not compliant (repeatable).") var reason: [String] = []
        func run() async throws {
            let client = try await connection.client()
            let devices = try await client.get(connection.path("/devices"), as: [DeviceSummary].self)
            guard let device = devices.first(where: { $0.id == id }) else { throw AdminError(message: "no device \(id)") }
            AdminClient.show(try await client.send("PUT", connection.path("/devices/\(id)"), json: [
                "id": AnyEncodable(id), "name": AnyEncodable(device.name), "compliant": AnyEncodable(compliant.value),
                "complianceReasons": AnyEncodable(reason)]))
        }
    }

    struct Delete: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        func run() async throws { AdminClient.show(try await connection.client().send("DELETE", connection.path("/devices/\(id)"))) }
    }

    struct DeviceSummary: Decodable {
        var id, name: String
    }
}

struct AdminPolicies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policies", subcommands: [List.self, Set.self, Delete.self, WhatIf.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path("/policies"))) }
    }

    struct Set: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        @Option var name: String
        @Option(help: "helper or sharer (repeatable; none: both).") var party: [String] = []
        @Option(help: "User group (repeatable; none: everyone).") var group: [String] = []
        @Option(help: "block or grant.") var result = "grant"
        @Flag var requireMFA = false
        @Flag var requireCompliantDevice = false
        @Option(help: "Allowed named range (repeatable).") var allowedRange: [String] = []
        @Option(help: "Blocked named range (repeatable).") var blockedRange: [String] = []
        @Option var priority = 100
        @Flag var disabled = false

        func run() async throws {
            let parties = try party.map { text in
                guard let value = Party(rawValue: text) else { throw ValidationError("--party helper or sharer") }
                return value
            }
            guard let result = PolicyResult(rawValue: result) else { throw ValidationError("--result block or grant") }
            let policy = ConditionalAccessPolicy(
                id: id, tenantID: connection.tenant, name: name, enabled: !disabled, priority: priority,
                parties: parties.isEmpty ? Party.allCases : parties, userGroups: group, result: result,
                requireMFA: requireMFA, requireCompliantDevice: requireCompliantDevice, allowedRanges: allowedRange,
                blockedRanges: blockedRange)
            AdminClient.show(try await connection.client().send("PUT", connection.path("/policies/\(id)"), json: policy))
        }
    }

    struct Delete: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Argument var id: String
        func run() async throws { AdminClient.show(try await connection.client().send("DELETE", connection.path("/policies/\(id)"))) }
    }

    struct WhatIf: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "what-if", abstract: "Explain which policy decides.")
        @OptionGroup var connection: AdminConnection
        @Option var user: String?
        @Option(help: "helper or sharer.") var party = "helper"
        @Option(help: "sign_in or session_start.") var stage = "session_start"
        @Option var address: String?
        @Flag var mfa = false
        @Option var device: String?
        func run() async throws {
            var body: [String: AnyEncodable] = ["party": .init(party), "stage": .init(stage), "mfa": .init(mfa)]
            if let user { body["userId"] = .init(user) }
            if let address { body["address"] = .init(address) }
            if let device { body["deviceId"] = .init(device) }
            AdminClient.show(try await connection.client().send("POST", connection.path("/policies/what-if"), json: body))
        }
    }
}

struct AdminReports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reports", subcommands: [Active.self, Sessions.self, Audit.self, End.self])

    struct Active: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        func run() async throws { AdminClient.show(try await connection.client().send("GET", connection.path("/sessions/active"))) }
    }

    struct Sessions: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Option var helper: String?
        @Option var sharer: String?
        @Option var device: String?
        @Option(help: "Unix seconds.") var from: Int64?
        @Option(help: "Unix seconds.") var to: Int64?
        @Flag(help: "CSV instead of JSON.") var csv = false
        func run() async throws {
            var query: [String] = []
            if let helper { query.append("helper=\(helper)") }
            if let sharer { query.append("sharer=\(sharer)") }
            if let device { query.append("device=\(device)") }
            if let from { query.append("from=\(from)") }
            if let to { query.append("to=\(to)") }
            if csv { query.append("format=csv") }
            let text = try await connection.client().send("GET", connection.path("/sessions?" + query.joined(separator: "&")))
            if csv { FileHandle.standardOutput.write(Data(text.utf8)) } else { AdminClient.show(text) }
        }
    }

    struct Audit: AsyncParsableCommand {
        @OptionGroup var connection: AdminConnection
        @Option var after: Int64 = 0
        @Option var limit = 500
        func run() async throws {
            AdminClient.show(try await connection.client().send("GET", connection.path("/audit?after=\(after)&limit=\(limit)")))
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End an active session.")
        @OptionGroup var connection: AdminConnection
        @Argument var session: String
        func run() async throws {
            AdminClient.show(try await connection.client().send("POST", connection.path("/sessions/\(session)/end")))
        }
    }
}

/// Heterogeneous JSON bodies for the admin API.
struct AnyEncodable: Encodable {
    private let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
