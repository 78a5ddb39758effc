import Foundation
import SignalingCore
import SignalingModel

extension SessionHub {
    /// `hello {token}`: validates the token, checks the user or device, evaluates sign-in policies.
    func hello(_ message: JSONValue, _ connection: Connection) async throws {
        guard let token = message["token"]?.stringValue else {
            throw Refusal(.badRequest, "hello needs a token.")
        }
        let (principal, tenant) = try await identity.validator.validate(token, now: clock.now())
        var agentDevice: Device?
        switch principal.kind {
        case .user:
            if let user = try await store.user(id: principal.subject, tenantID: tenant.id), user.disabled {
                throw Refusal(.userDisabled, "Your account is disabled.")
            }
            var device: Device?
            if let deviceID = principal.deviceID { device = try await store.device(id: deviceID, tenantID: tenant.id) }
            let evaluation = ConditionalAccess.evaluate(
                policies: try await store.policies(tenantID: tenant.id), tenant: tenant,
                context: .init(stage: .signIn, party: nil, userGroups: principal.groups, usedMFA: principal.usedMFA,
                               address: connection.address, deviceCompliant: device?.compliant,
                               deviceKnown: principal.deviceID != nil))
            if let refusal = evaluation.refusal {
                await audit(tenantID: tenant.id, actor: principal.auditActor, action: "hello", refusal: refusal,
                            details: ["policy": evaluation.decidingPolicyID ?? ""])
                send(connection.id, ["type": "error", "code": .string(refusal.code.rawValue),
                                     "reason": .string(refusal.reason), "ref": message["id"]?.stringValue.json ?? .null,
                                     "request": "hello"])
                return
            }
        case .device:
            guard let device = try await store.device(id: principal.subject, tenantID: tenant.id) else {
                throw Refusal(.deviceUnknown, "This device is not registered.")
            }
            guard device.enrolled else { throw Refusal(.deviceNotEnrolled, "This device is not enrolled.") }
            agentDevice = device
        }
        // On record before the connection may act.
        try await audit(tenantID: tenant.id, actor: principal.auditActor, action: "hello",
                        reason: "Signed in over WebSocket from \(connection.address).")
        if var device = agentDevice {
            device.lastCheckIn = clock.seconds
            try await store.saveDevice(device)
        }
        guard connections[connection.id] != nil else { return }
        if let device = agentDevice {
            let key = agentKey(tenant.id, device.id)
            if let previous = agents[key], previous != connection.id { send(previous, ["type": "replaced"]) }
            else if agents[key] == nil { metrics.agentsOnline.increment() }
            agents[key] = connection.id
        }
        connections[connection.id]?.principal = principal
        metrics.signIns.increment()
        send(connection.id, [
            "type": "welcome", "ref": message["id"]?.stringValue.json ?? .null,
            "principal": ["kind": .string(principal.kind.rawValue), "id": .string(principal.subject),
                          "name": .string(principal.displayName), "tenantId": .string(tenant.id),
                          "tenantName": .string(tenant.name)],
        ])
    }

    /// `device.checkin {os}`: an agent reports in.
    func checkIn(_ message: JSONValue, _ connection: Connection, _ principal: Principal) async throws {
        guard principal.kind == .device else { throw Refusal(.wrongParty, "Only device agents check in.") }
        guard var device = try await store.device(id: principal.subject, tenantID: principal.tenantID) else {
            throw Refusal(.deviceUnknown, "This device is not registered.")
        }
        device.lastCheckIn = clock.seconds
        if let os = message["os"]?.stringValue { device.os = os }
        try await store.saveDevice(device)
        send(connection.id, ["type": "device.checked_in", "ref": message["id"]?.stringValue.json ?? .null,
                             "compliant": .bool(device.compliant),
                             "complianceReasons": .array(device.complianceReasons.map(JSONValue.string))])
    }

    /// The user record behind a principal: the stored one, or one made from the token's claims (external users).
    func user(for principal: Principal) async throws -> User {
        if let stored = try await store.user(id: principal.subject, tenantID: principal.tenantID) {
            return stored
        }
        return User(id: principal.subject, tenantID: principal.tenantID, username: principal.email ?? principal.subject,
                    displayName: principal.displayName, email: principal.email, groups: principal.groups)
    }

    /// The tenant, re-read so that an admin's change (disable, Remote Help off) applies at once.
    func activeTenant(_ id: String) async throws -> Tenant {
        guard let tenant = try await store.tenant(id: id) else {
            throw Refusal(.tenantUnknown, "Your organisation is not known here.")
        }
        guard tenant.enabled else { throw Refusal(.tenantDisabled, "The organisation \(tenant.name) is disabled.") }
        guard tenant.remoteHelpEnabled else {
            throw Refusal(.remoteHelpDisabled, "Remote Help is turned off for \(tenant.name).")
        }
        return tenant
    }
}
