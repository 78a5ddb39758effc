import Foundation
import Hummingbird
import SignalingCore
import SignalingIdentity
import SignalingModel

/// Who calls the admin API: a signed-in user who is a tenant admin (own tenant) or an operator (every tenant).
struct AdminCaller {
    let principal: Principal
    let user: User
}

/// A user as the admin API shows it: never the password hash or the TOTP secret.
struct UserView: Codable {
    var id, tenantID, username, displayName: String
    var email: String?
    var groups: [String]
    var isTenantAdmin, isOperator, disabled, totpEnabled: Bool

    init(_ user: User) {
        id = user.id; tenantID = user.tenantID; username = user.username; displayName = user.displayName
        email = user.email; groups = user.groups; isTenantAdmin = user.isTenantAdmin; isOperator = user.isOperator
        disabled = user.disabled; totpEnabled = user.totpSecret != nil
    }
}

struct UserInput: Decodable {
    var id: String?
    var username: String
    var displayName: String
    var email: String?
    var groups: [String]?
    var password: String?
    var isTenantAdmin: Bool?
    var disabled: Bool?
}

struct DeviceInput: Decodable {
    var id: String
    var name: String
    var ownerUserID: String?
    var groups: [String]?
    var os: String?
    var enrolled: Bool?
    var compliant: Bool?
    var complianceReasons: [String]?
}

struct WhatIfInput: Decodable {
    var userId: String?
    var groups: [String]?
    var party: Party?
    var stage: ConditionalAccess.Stage?
    var address: String?
    var mfa: Bool?
    var deviceId: String?
}

extension SignalingServer {
    func addAdminRoutes(_ router: Router<SignalingRequestContext>) {
        let admin = router.group("/admin/v1")
        admin.get("/tenants") { request, context in
            await self.admin("admin.tenant.list", request, context, tenant: nil) { caller in
                let all = try await self.store.tenants()
                return HTTPReplies.json(encoding: caller.user.isOperator ? all : all.filter { $0.id == caller.user.tenantID })
            }
        }
        admin.post("/tenants") { request, context in
            await self.admin("admin.tenant.create", request, context, tenant: nil) { caller in
                guard caller.user.isOperator else { throw Refusal(.notAdmin, "Only service operators create tenants.") }
                let tenant = try await request.decodedBody(Tenant.self)
                guard try await self.store.tenant(id: tenant.id) == nil else {
                    throw Refusal(.conflict, "A tenant \(tenant.id) exists already.")
                }
                try await self.requireUniqueIdentityProvider(tenant)
                try await self.auditChange(caller, "admin.tenant.create", tenant.id, "Created tenant \(tenant.name).")
                try await self.store.saveTenant(tenant)
                return HTTPReplies.json(encoding: tenant, status: .created)
            }
        }
        admin.get("/tenants/:tenant") { request, context in
            await self.admin("admin.tenant.get", request, context) { caller in
                HTTPReplies.json(encoding: try await self.requireTenant(context))
            }
        }
        admin.put("/tenants/:tenant") { request, context in
            await self.admin("admin.tenant.update", request, context) { caller in
                let existing = try await self.requireTenant(context)
                var tenant = try await request.decodedBody(Tenant.self)
                tenant.id = existing.id
                if !caller.user.isOperator { tenant.enabled = existing.enabled }
                try await self.requireUniqueIdentityProvider(tenant)
                try await self.auditChange(caller, "admin.tenant.update", tenant.id, "Updated settings of \(tenant.name).",
                                           ["remoteHelpEnabled": "\(tenant.remoteHelpEnabled)",
                                            "allowUnenrolledDevices": "\(tenant.allowUnenrolledDevices)",
                                            "enabled": "\(tenant.enabled)"])
                try await self.store.saveTenant(tenant)
                return HTTPReplies.json(encoding: tenant)
            }
        }
        addUserRoutes(admin)
        addRoleRoutes(admin)
        addDeviceRoutes(admin)
        addPolicyRoutes(admin)
        addReportRoutes(admin)
    }

    // MARK: Plumbing

    /// Authenticates the caller, checks the tenant in the path, runs the body; refusals are audited with the caller.
    func admin(_ action: String, _ request: Request, _ context: SignalingRequestContext, tenant: String? = "",
               _ body: (AdminCaller) async throws -> Response) async -> Response {
        let pathTenant = tenant == nil ? nil : context.parameters.get("tenant")
        var actor = "anonymous@\(context.peerAddress)"
        do {
            guard let token = request.bearerToken else { throw Refusal(.notSignedIn, "Send a bearer token.") }
            let (principal, _) = try await identity.validator.validate(token, now: clock.now())
            actor = principal.auditActor
            guard principal.kind == .user, let user = try await store.user(id: principal.subject, tenantID: principal.tenantID),
                  !user.disabled, user.isTenantAdmin || user.isOperator
            else { throw Refusal(.notAdmin, "You are not an administrator.") }
            if let pathTenant, pathTenant != user.tenantID, !user.isOperator {
                throw Refusal(.tenantMismatch, "You administer \(user.tenantID), not \(pathTenant).")
            }
            return try await body(AdminCaller(principal: principal, user: user))
        } catch let refusal as Refusal {
            await hub.audit(tenantID: pathTenant, actor: actor, action: action, refusal: refusal)
            return HTTPReplies.refusal(refusal)
        } catch is AuditUnavailable {
            return HTTPReplies.refusal(AuditUnavailable.refusal)
        } catch {
            logger.error("admin request failed", metadata: ["action": "\(action)", "error": "\(error)"])
            return HTTPReplies.json(["error": ["code": "internal", "reason": "The service could not handle this request."]],
                                    status: .internalServerError)
        }
    }

    func requireTenant(_ context: SignalingRequestContext) async throws -> Tenant {
        let id = context.parameters.get("tenant") ?? ""
        guard let tenant = try await store.tenant(id: id) else { throw Refusal(.notFound, "No tenant \(id).") }
        return tenant
    }

    func tenantID(_ context: SignalingRequestContext) -> String { context.parameters.get("tenant") ?? "" }

    /// An identity provider's (issuer, external tenant id) belongs to one tenant: its tokens name one organisation.
    func requireUniqueIdentityProvider(_ tenant: Tenant) async throws {
        guard let provider = tenant.identityProvider else { return }
        if let other = try await store.tenants().first(where: { other in
            other.id != tenant.id && other.identityProvider?.issuer == provider.issuer
                && other.identityProvider?.externalTenantID == provider.externalTenantID
        }) {
            throw Refusal(.conflict, """
                The identity provider \(provider.issuer) with tenant id \(provider.externalTenantID) is already set up \
                for \(other.id).
                """)
        }
    }

    /// Records an admin change; called before the change is made, which does not happen if the record cannot be
    /// written (fail closed).
    func auditChange(_ caller: AdminCaller, _ action: String, _ tenantID: String, _ reason: String,
                     _ details: [String: String] = [:]) async throws {
        try await hub.audit(tenantID: tenantID, actor: "admin:\(caller.user.id)", action: action, reason: reason,
                            details: details)
    }

    // MARK: Users

    func addUserRoutes(_ admin: RouterGroup<SignalingRequestContext>) {
        admin.get("/tenants/:tenant/users") { request, context in
            await self.admin("admin.user.list", request, context) { _ in
                HTTPReplies.json(encoding: try await self.store.users(tenantID: self.tenantID(context)).map(UserView.init))
            }
        }
        admin.post("/tenants/:tenant/users") { request, context in
            await self.admin("admin.user.create", request, context) { caller in
                let tenant = try await self.requireTenant(context)
                let input = try await request.decodedBody(UserInput.self)
                guard try await self.store.user(username: input.username, tenantID: tenant.id) == nil else {
                    throw Refusal(.conflict, "The user name \(input.username) is taken.")
                }
                let user = User(id: input.id ?? UUID().uuidString.lowercased(), tenantID: tenant.id,
                                username: input.username, displayName: input.displayName, email: input.email,
                                groups: input.groups ?? [],
                                passwordHash: try input.password.map { try self.identity.passwords.hash($0) },
                                isTenantAdmin: input.isTenantAdmin ?? false, disabled: input.disabled ?? false)
                try await self.auditChange(caller, "admin.user.create", tenant.id, "Created user \(user.username).", ["user": user.id])
                try await self.store.saveUser(user)
                return HTTPReplies.json(encoding: UserView(user), status: .created)
            }
        }
        admin.put("/tenants/:tenant/users/:id") { request, context in
            await self.admin("admin.user.update", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                guard var user = try await self.store.user(id: id, tenantID: self.tenantID(context)) else {
                    throw Refusal(.notFound, "No user \(id).")
                }
                let input = try await request.decodedBody(UserInput.self)
                user.username = input.username
                user.displayName = input.displayName
                user.email = input.email
                user.groups = input.groups ?? user.groups
                user.isTenantAdmin = input.isTenantAdmin ?? user.isTenantAdmin
                user.disabled = input.disabled ?? user.disabled
                if let password = input.password { user.passwordHash = try self.identity.passwords.hash(password) }
                try await self.auditChange(caller, "admin.user.update", user.tenantID, "Updated user \(user.username).",
                                           ["user": user.id, "groups": user.groups.joined(separator: ","),
                                            "disabled": "\(user.disabled)"])
                try await self.store.saveUser(user)
                return HTTPReplies.json(encoding: UserView(user))
            }
        }
        admin.post("/tenants/:tenant/users/:id/totp") { request, context in
            await self.admin("admin.user.totp", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                guard var user = try await self.store.user(id: id, tenantID: self.tenantID(context)) else {
                    throw Refusal(.notFound, "No user \(id).")
                }
                var generator = SystemRandomNumberGenerator()
                let secret = Base32.encode(generator.bytes(20))
                user.totpSecret = secret
                user.totpLastStep = nil
                try await self.auditChange(caller, "admin.user.totp", user.tenantID, "Enrolled TOTP for \(user.username).",
                                           ["user": user.id])
                try await self.store.saveUser(user)
                return HTTPReplies.json(["secret": .string(secret),
                                         "otpauth": .string("otpauth://totp/Tandem:\(user.username)?secret=\(secret)&issuer=Tandem")])
            }
        }
        admin.delete("/tenants/:tenant/users/:id") { request, context in
            await self.admin("admin.user.delete", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                try await self.auditChange(caller, "admin.user.delete", self.tenantID(context), "Deleted user \(id).", ["user": id])
                try await self.store.deleteUser(id: id, tenantID: self.tenantID(context))
                return HTTPReplies.json(["deleted": .string(id)])
            }
        }
    }

    // MARK: Roles and assignments

    func addRoleRoutes(_ admin: RouterGroup<SignalingRequestContext>) {
        admin.get("/tenants/:tenant/roles") { request, context in
            await self.admin("admin.role.list", request, context) { _ in
                HTTPReplies.json(encoding: Role.builtIn + (try await self.store.roles(tenantID: self.tenantID(context))))
            }
        }
        admin.put("/tenants/:tenant/roles/:id") { request, context in
            await self.admin("admin.role.update", request, context) { caller in
                var role = try await request.decodedBody(Role.self)
                role.id = context.parameters.get("id") ?? ""
                role.tenantID = self.tenantID(context)
                guard !Role.builtIn.contains(where: { $0.id == role.id }) else {
                    throw Refusal(.conflict, "Built-in roles cannot be changed.")
                }
                try await self.auditChange(caller, "admin.role.update", self.tenantID(context), "Saved role \(role.name).",
                                           ["role": role.id, "permissions": role.permissions.map(\.rawValue).joined(separator: ",")])
                try await self.store.saveRole(role)
                return HTTPReplies.json(encoding: role)
            }
        }
        admin.delete("/tenants/:tenant/roles/:id") { request, context in
            await self.admin("admin.role.delete", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                try await self.auditChange(caller, "admin.role.delete", self.tenantID(context), "Deleted role \(id).", ["role": id])
                try await self.store.deleteRole(id: id, tenantID: self.tenantID(context))
                return HTTPReplies.json(["deleted": .string(id)])
            }
        }
        admin.get("/tenants/:tenant/assignments") { request, context in
            await self.admin("admin.assignment.list", request, context) { _ in
                HTTPReplies.json(encoding: try await self.store.assignments(tenantID: self.tenantID(context)))
            }
        }
        admin.put("/tenants/:tenant/assignments/:id") { request, context in
            await self.admin("admin.assignment.update", request, context) { caller in
                var assignment = try await request.decodedBody(RoleAssignment.self)
                assignment.id = context.parameters.get("id") ?? ""
                assignment.tenantID = self.tenantID(context)
                let known = Role.builtIn.map(\.id) + (try await self.store.roles(tenantID: assignment.tenantID)).map(\.id)
                guard known.contains(assignment.roleID) else { throw Refusal(.notFound, "No role \(assignment.roleID).") }
                try await self.auditChange(caller, "admin.assignment.update", assignment.tenantID,
                                           "Assigned role \(assignment.roleID).",
                                           ["assignment": assignment.id, "users": assignment.userIDs.joined(separator: ","),
                                            "groups": assignment.userGroups.joined(separator: ","),
                                            "deviceGroups": assignment.deviceGroups.joined(separator: ",")])
                try await self.store.saveAssignment(assignment)
                return HTTPReplies.json(encoding: assignment)
            }
        }
        admin.delete("/tenants/:tenant/assignments/:id") { request, context in
            await self.admin("admin.assignment.delete", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                try await self.auditChange(caller, "admin.assignment.delete", self.tenantID(context), "Removed assignment \(id).")
                try await self.store.deleteAssignment(id: id, tenantID: self.tenantID(context))
                return HTTPReplies.json(["deleted": .string(id)])
            }
        }
    }

    // MARK: Devices

    func addDeviceRoutes(_ admin: RouterGroup<SignalingRequestContext>) {
        admin.get("/tenants/:tenant/devices") { request, context in
            await self.admin("admin.device.list", request, context) { _ in
                let devices = try await self.store.devices(tenantID: self.tenantID(context))
                var views: [JSONValue] = []
                for device in devices {
                    guard case .object(var fields) = JSONValue.encoding(device) else { continue }
                    fields["credentialHash"] = nil
                    fields["online"] = .bool(await self.hub.isAgentOnline(tenantID: device.tenantID, deviceID: device.id))
                    views.append(.object(fields))
                }
                return HTTPReplies.json(.array(views))
            }
        }
        admin.post("/tenants/:tenant/devices") { request, context in
            await self.admin("admin.device.enrol", request, context) { caller in
                let input = try await request.decodedBody(DeviceInput.self)
                let tenantID = self.tenantID(context)
                guard try await self.store.device(id: input.id, tenantID: tenantID) == nil else {
                    throw Refusal(.conflict, "A device \(input.id) exists already.")
                }
                let secret = DeviceSecret.make()
                let device = Device(id: input.id, tenantID: tenantID, name: input.name, ownerUserID: input.ownerUserID,
                                    enrolled: input.enrolled ?? true, os: input.os, compliant: input.compliant ?? true,
                                    complianceReasons: input.complianceReasons ?? [], groups: input.groups ?? [],
                                    credentialHash: DeviceSecret.hash(secret))
                try await self.auditChange(caller, "admin.device.enrol", tenantID, "Enrolled device \(device.name).",
                                           ["device": device.id])
                try await self.store.saveDevice(device)
                return HTTPReplies.json(["device": .encoding(self.withoutCredential(device)), "secret": .string(secret)],
                                        status: .created)
            }
        }
        admin.put("/tenants/:tenant/devices/:id") { request, context in
            await self.admin("admin.device.update", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                guard var device = try await self.store.device(id: id, tenantID: self.tenantID(context)) else {
                    throw Refusal(.notFound, "No device \(id).")
                }
                let input = try await request.decodedBody(DeviceInput.self)
                device.name = input.name
                device.ownerUserID = input.ownerUserID ?? device.ownerUserID
                device.groups = input.groups ?? device.groups
                device.os = input.os ?? device.os
                device.enrolled = input.enrolled ?? device.enrolled
                device.compliant = input.compliant ?? device.compliant
                device.complianceReasons = input.complianceReasons ?? device.complianceReasons
                try await self.auditChange(caller, "admin.device.update", device.tenantID, "Updated device \(device.name).",
                                           ["device": device.id, "compliant": "\(device.compliant)",
                                            "enrolled": "\(device.enrolled)"])
                try await self.store.saveDevice(device)
                return HTTPReplies.json(encoding: self.withoutCredential(device))
            }
        }
        admin.delete("/tenants/:tenant/devices/:id") { request, context in
            await self.admin("admin.device.delete", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                try await self.auditChange(caller, "admin.device.delete", self.tenantID(context), "Removed device \(id).")
                try await self.store.deleteDevice(id: id, tenantID: self.tenantID(context))
                return HTTPReplies.json(["deleted": .string(id)])
            }
        }
    }

    func withoutCredential(_ device: Device) -> Device {
        var copy = device
        copy.credentialHash = nil
        return copy
    }

    // MARK: Policies

    func addPolicyRoutes(_ admin: RouterGroup<SignalingRequestContext>) {
        admin.get("/tenants/:tenant/policies") { request, context in
            await self.admin("admin.policy.list", request, context) { _ in
                HTTPReplies.json(encoding: try await self.store.policies(tenantID: self.tenantID(context)))
            }
        }
        admin.put("/tenants/:tenant/policies/:id") { request, context in
            await self.admin("admin.policy.update", request, context) { caller in
                var policy = try await request.decodedBody(ConditionalAccessPolicy.self)
                policy.id = context.parameters.get("id") ?? ""
                policy.tenantID = self.tenantID(context)
                try await self.auditChange(caller, "admin.policy.update", policy.tenantID, "Saved policy \(policy.name).",
                                           ["policy": policy.id, "result": policy.result.rawValue,
                                            "enabled": "\(policy.enabled)"])
                try await self.store.savePolicy(policy)
                return HTTPReplies.json(encoding: policy)
            }
        }
        admin.delete("/tenants/:tenant/policies/:id") { request, context in
            await self.admin("admin.policy.delete", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                try await self.auditChange(caller, "admin.policy.delete", self.tenantID(context), "Deleted policy \(id).")
                try await self.store.deletePolicy(id: id, tenantID: self.tenantID(context))
                return HTTPReplies.json(["deleted": .string(id)])
            }
        }
        admin.post("/tenants/:tenant/policies/what-if") { request, context in
            await self.admin("admin.policy.what_if", request, context) { _ in
                let tenant = try await self.requireTenant(context)
                let input = try await request.decodedBody(WhatIfInput.self)
                var groups = input.groups ?? []
                if let userID = input.userId {
                    guard let user = try await self.store.user(id: userID, tenantID: tenant.id) else {
                        throw Refusal(.notFound, "No user \(userID).")
                    }
                    groups = user.groups
                }
                var device: Device?
                if let deviceID = input.deviceId { device = try await self.store.device(id: deviceID, tenantID: tenant.id) }
                let stage = input.stage ?? .sessionStart
                let evaluation = ConditionalAccess.evaluate(
                    policies: try await self.store.policies(tenantID: tenant.id), tenant: tenant,
                    context: .init(stage: stage, party: stage == .signIn ? nil : (input.party ?? .helper),
                                   userGroups: groups, usedMFA: input.mfa ?? false, address: input.address,
                                   deviceCompliant: device?.compliant))
                var reply = JSONValue.encoding(evaluation)
                if case .object(var fields) = reply {
                    fields["summary"] = .string(evaluation.summary)
                    reply = .object(fields)
                }
                return HTTPReplies.json(reply)
            }
        }
    }
}
