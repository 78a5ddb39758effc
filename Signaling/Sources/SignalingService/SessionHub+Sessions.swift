import Foundation
import SignalingCore
import SignalingIdentity
import SignalingModel

extension SessionHub {
    // MARK: Helper starts a session

    /// `session.create {deviceId?}`: a code session, or a remote launch to an enrolled device's agent.
    func createSession(_ message: JSONValue, _ connection: Connection, _ principal: Principal) async throws {
        guard principal.kind == .user else { throw Refusal(.wrongParty, "Device agents cannot start sessions.") }
        let tenant = try await activeTenant(principal.tenantID)
        let helper = try await user(for: principal)
        let roles = try await store.roles(tenantID: tenant.id)
        let assignments = try await store.assignments(tenantID: tenant.id)
        var device: Device?
        if let deviceID = message["deviceId"]?.stringValue {
            guard let found = try await store.device(id: deviceID, tenantID: tenant.id) else {
                throw Refusal(.deviceUnknown, "No device \(deviceID) in your organisation.")
            }
            guard found.enrolled else { throw Refusal(.deviceNotEnrolled, "The device \(found.name) is not enrolled.") }
            device = found
        }
        let held = device.map { AccessControl.permissions(user: helper, device: $0, roles: roles, assignments: assignments) }
            ?? AccessControl.permissionsOnSomeDevice(user: helper, roles: roles, assignments: assignments)
        try AccessControl.require(.viewScreen, held: held, device: device)
        let unattended = message["unattended"]?.boolValue == true
        if unattended {
            guard device != nil else { throw Refusal(.badRequest, "An unattended session needs a deviceId.") }
            try AccessControl.require(.unattendedControl, held: held, device: device)
        }
        let evaluation = ConditionalAccess.evaluate(
            policies: try await store.policies(tenantID: tenant.id), tenant: tenant,
            context: .init(stage: .sessionStart, party: .helper, userGroups: principal.groups,
                           usedMFA: principal.usedMFA, address: connection.address,
                           deviceCompliant: device?.compliant, deviceKnown: device != nil))
        if let refusal = evaluation.refusal { throw refusal }
        if let device, !isAgentOnline(tenantID: tenant.id, deviceID: device.id) {
            throw Refusal(.deviceOffline, "The agent of \(device.name) is not connected.")
        }

        let now = clock.milliseconds
        let sessionID = UUID().uuidString.lowercased()
        let record = SessionRecord(id: sessionID, tenantID: tenant.id, helperUserID: principal.subject,
                                   helperName: principal.displayName, deviceID: device?.id, remoteLaunch: device != nil,
                                   createdAt: now / 1000)
        let lifetime = Int64(tenant.sessionCodeLifetimeSeconds) * 1000
        var live = LiveSession(record: record, helper: principal, helperConnection: connection.id,
                               helperAddress: connection.address, device: device, helperPermissions: held,
                               waitingUntil: now + (device == nil ? lifetime : launchTimeoutMilliseconds))
        live.unattended = unattended
        // On record before the session exists (fail closed).
        try await audit(tenantID: tenant.id, actor: principal.auditActor, action: "session.create",
                        reason: device.map { "Remote launch to \($0.name)." } ?? "Session code issued.",
                        sessionID: sessionID, details: ["device": device?.id ?? "", "unattended": "\(unattended)"])
        try await store.saveSession(record)
        var reply: JSONValue = ["type": "session.created", "ref": message["id"]?.stringValue.json ?? .null,
                                "sessionId": .string(sessionID)]
        if let device {
            live.acknowledgementRequired = !device.compliant
            reply = merge(reply, ["remoteLaunch": true, "unattended": .bool(unattended), "device": deviceSummary(device),
                                  "compliance": ["compliant": .bool(device.compliant),
                                                 "reasons": .array(device.complianceReasons.map(JSONValue.string)),
                                                 "acknowledgementRequired": .bool(!device.compliant)]])
        } else {
            let code = codes.issue(tenantID: tenant.id, sessionID: sessionID, lifetimeMilliseconds: lifetime, now: now,
                                   using: &random)
            reply = merge(reply, ["code": .string(code), "expiresAt": .number(Double(now + lifetime) / 1000)])
        }
        sessions[sessionID] = live
        send(connection.id, reply)
        if device != nil && !live.acknowledgementRequired { await sendLaunch(sessionID) }
    }

    func deviceSummary(_ device: Device) -> JSONValue {
        ["id": .string(device.id), "name": .string(device.name), "os": device.os.json, "enrolled": .bool(device.enrolled),
         "compliant": .bool(device.compliant),
         "complianceReasons": .array(device.complianceReasons.map(JSONValue.string))]
    }

    func merge(_ base: JSONValue, _ extra: JSONValue) -> JSONValue {
        guard case .object(var fields) = base, case .object(let more) = extra else { return base }
        fields.merge(more) { _, new in new }
        return .object(fields)
    }

    /// Tells the device's agent that a helper wants to connect; its user accepts or declines.
    func sendLaunch(_ sessionID: String) async {
        guard let live = sessions[sessionID], let device = live.device else { return }
        guard let agent = agents[agentKey(live.record.tenantID, device.id)] else {
            await end(sessionID, reason: "device_offline", actor: "system")
            return
        }
        let tenant = try? await store.tenant(id: live.record.tenantID)
        send(agent, ["type": "launch.request", "sessionId": .string(sessionID), "helper": helperCard(live, tenant),
                     "unattended": .bool(live.unattended)])
    }

    func helperCard(_ live: LiveSession, _ tenant: Tenant?) -> JSONValue {
        ["id": .string(live.helper.subject), "name": .string(live.helper.displayName), "email": live.helper.email.json,
         "organisation": .string(tenant?.name ?? live.record.tenantID), "verifiedDomain": tenant?.verifiedDomain.json ?? .null]
    }

    // MARK: Sharer joins

    /// `session.join {code, deviceId?}`.
    func joinSession(_ message: JSONValue, _ connection: Connection, _ principal: Principal) async throws {
        guard principal.kind == .user else { throw Refusal(.wrongParty, "Device agents answer launches; they do not join with codes.") }
        let tenant = try await activeTenant(principal.tenantID)
        guard let code = message["code"]?.stringValue else { throw Refusal(.badRequest, "session.join needs a code.") }
        let sessionID = try codes.redeem(code: code, tenantID: tenant.id, userID: principal.subject,
                                         address: connection.address, now: clock.milliseconds)
        guard let waiting = sessions[sessionID], waiting.record.state == .waiting else {
            throw Refusal(.sessionNotFound, "The helper's session has already ended.")
        }
        guard waiting.helper.subject != principal.subject else {
            throw Refusal(.wrongParty, "You cannot be the sharer of your own session.")
        }
        do {
            try await admitSharer(sessionID, tenant: tenant, sharer: principal, connection: connection,
                                  deviceID: message["deviceId"]?.stringValue ?? principal.deviceID)
        } catch let refusal as Refusal {
            // The helper learns why the session could not start, and the session ends.
            if let live = sessions[sessionID] {
                send(live.helperConnection, ["type": "session.refused", "sessionId": .string(sessionID),
                                             "code": .string(refusal.code.rawValue), "reason": .string(refusal.reason)])
            }
            await end(sessionID, reason: "refused", actor: principal.auditActor)
            throw refusal
        }
    }

    /// Checks the sharer's device (bound to the sharer, enrolment, RBAC scope of the helper) and both parties'
    /// conditional access, then introduces the parties to each other.
    private func admitSharer(_ sessionID: String, tenant: Tenant, sharer: Principal, connection: Connection,
                             deviceID: String?) async throws {
        var device: Device?
        if let deviceID { device = try await store.device(id: deviceID, tenantID: tenant.id) }
        // The sharer must be bound to the device it names; otherwise it could pick whichever device opens the
        // helper's device-scoped roles or passes enrolment and compliance rules.
        if let device { try DeviceBinding.check(device, sharer: sharer) }
        if device?.enrolled != true && !tenant.allowUnenrolledDevices {
            throw Refusal(.deviceNotEnrolled, "\(tenant.name) allows sessions only on enrolled devices.")
        }
        guard let helperPrincipal = sessions[sessionID]?.helper else {
            throw Refusal(.sessionNotFound, "The helper's session has already ended.")
        }
        let helper = try await user(for: helperPrincipal)
        let held = AccessControl.permissions(user: helper, device: device, roles: try await store.roles(tenantID: tenant.id),
                                             assignments: try await store.assignments(tenantID: tenant.id))
        try AccessControl.require(.viewScreen, held: held, device: device)
        let policies = try await store.policies(tenantID: tenant.id)
        let sharerEvaluation = ConditionalAccess.evaluate(
            policies: policies, tenant: tenant,
            context: .init(stage: .sessionStart, party: .sharer, userGroups: sharer.groups, usedMFA: sharer.usedMFA,
                           address: connection.address, deviceCompliant: device?.compliant))
        if let refusal = sharerEvaluation.refusal { throw refusal }
        guard var live = sessions[sessionID], live.record.state == .waiting else {
            throw Refusal(.sessionNotFound, "The helper's session has already ended.")
        }
        let helperEvaluation = ConditionalAccess.evaluate(
            policies: policies, tenant: tenant,
            context: .init(stage: .sessionStart, party: .helper, userGroups: live.helper.groups,
                           usedMFA: live.helper.usedMFA, address: live.helperAddress, deviceCompliant: device?.compliant))
        if let refusal = helperEvaluation.refusal { throw refusal }

        try await audit(tenantID: tenant.id, actor: sharer.auditActor, action: "session.join",
                        reason: "Joined \(live.helper.displayName)'s session.", sessionID: sessionID,
                        details: ["device": device?.id ?? "unenrolled"])
        guard sessions[sessionID]?.record.state == .waiting else {
            throw Refusal(.sessionNotFound, "The helper's session has already ended.")
        }
        live.sharer = sharer
        live.sharerConnection = connection.id
        live.device = device
        live.helperPermissions = held
        live.acknowledgementRequired = device?.compliant != true
        live.record.sharerUserID = sharer.subject
        live.record.sharerName = sharer.displayName
        live.record.deviceID = device?.id
        live.record.state = .joined
        sessions[sessionID] = live
        try await store.saveSession(live.record)
        send(connection.id, ["type": "session.joined", "sessionId": .string(sessionID), "helper": helperCard(live, tenant)])
        var reasons = device?.complianceReasons ?? []
        if device == nil { reasons = ["The device is not enrolled; its compliance is unknown."] }
        send(live.helperConnection, [
            "type": "session.peer_joined", "sessionId": .string(sessionID),
            "sharer": ["id": .string(sharer.subject), "name": .string(sharer.displayName), "email": sharer.email.json],
            "device": device.map(deviceSummary) ?? .null,
            "compliance": ["compliant": .bool(!live.acknowledgementRequired),
                           "reasons": .array(reasons.map(JSONValue.string)),
                           "acknowledgementRequired": .bool(live.acknowledgementRequired)],
        ])
    }

    // MARK: Consent, compliance, start

    /// Finds the session and checks that the connection is in it, in the expected role.
    func member(_ message: JSONValue, _ connection: Connection, as expected: Party? = nil) throws
        -> (String, LiveSession, Party)
    {
        guard let sessionID = message["sessionId"]?.stringValue else {
            throw Refusal(.badRequest, "This message needs a sessionId.")
        }
        guard let live = sessions[sessionID], let party = live.party(of: connection.id) else {
            throw Refusal(.notSessionMember, "You are not a member of this session.")
        }
        if let expected, party != expected {
            throw Refusal(.wrongParty, "Only the \(expected.rawValue) may do this.")
        }
        return (sessionID, live, party)
    }

    /// `session.consent {sessionId, mode}` from the sharer.
    func consent(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, _) = try member(message, connection, as: .sharer)
        guard let mode = message["mode"]?.stringValue.flatMap(SessionMode.init(rawValue:)) else {
            throw Refusal(.badRequest, "mode is view_only or full_control.")
        }
        guard live.record.state == .joined else { throw Refusal(.sessionNotActive, "This session is not waiting for consent.") }
        try await audit(tenantID: live.record.tenantID, actor: live.sharer?.auditActor ?? "", action: "session.consent",
                        reason: "The sharer chose \(mode.rawValue).", sessionID: sessionID)
        sessions[sessionID]?.consent = mode
        await startIfReady(sessionID)
    }

    /// `session.acknowledge_compliance {sessionId}` from the helper: recorded, then the session may go on.
    func acknowledgeCompliance(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, _) = try member(message, connection, as: .helper)
        guard live.acknowledgementRequired, !live.acknowledged else {
            throw Refusal(.badRequest, "There is no compliance warning to acknowledge.")
        }
        let reasons = live.device?.complianceReasons.joined(separator: "; ") ?? "device not enrolled"
        try await audit(tenantID: live.record.tenantID, actor: live.helper.auditActor,
                        action: "session.acknowledge_compliance",
                        reason: "The helper acknowledged the compliance warning: \(reasons).", sessionID: sessionID,
                        details: ["device": live.device?.id ?? "unenrolled"])
        sessions[sessionID]?.acknowledged = true
        send(connection.id, ["type": "session.compliance_acknowledged", "sessionId": .string(sessionID)])
        if live.record.state == .waiting && live.record.remoteLaunch {
            await sendLaunch(sessionID)
        } else {
            await startIfReady(sessionID)
        }
    }

    /// Starts the session once the sharer consented and any compliance warning was acknowledged: signs the grant
    /// and hands both parties the ICE servers.
    func startIfReady(_ sessionID: String) async {
        guard var live = sessions[sessionID], live.record.state == .joined, let mode = live.consent,
              !live.acknowledgementRequired || live.acknowledged
        else { return }
        var allowed: Set<Permission> = mode == .fullControl ? [.viewScreen, .fullControl] : [.viewScreen]
        if live.unattended { allowed.insert(.unattendedControl) }
        let permissions = live.helperPermissions.intersection(allowed)
        let now = clock.milliseconds
        live.record.state = .active
        live.record.mode = mode
        live.record.startedAt = now / 1000
        live.record.permissions = permissions.sorted()
        live.record.controlUsed = permissions.contains(.fullControl)
        let tenant = try? await store.tenant(id: live.record.tenantID)
        let maximum = Int64(tenant?.sessionMaxDurationSeconds ?? 8 * 3600) * 1000
        live.waitingUntil = now + maximum
        live.grantExpiresAt = grantExpiry(live)
        sessions[sessionID] = live
        metrics.activeSessions.increment()
        do {
            let grant = try await signGrant(live)
            // On record before either party receives the grant; if it cannot be, the session ends (fail closed).
            try await audit(tenantID: live.record.tenantID, actor: "system", action: "session.start",
                            reason: "Session started with \(live.record.permissions.map(\.rawValue).joined(separator: ", ")).",
                            sessionID: sessionID, details: ["mode": mode.rawValue])
            try await store.saveSession(live.record)
            metrics.sessionsStarted.increment()
            let ice = iceServers(tenant: tenant, sessionID: sessionID)
            let started: JSONValue = ["type": "session.started", "sessionId": .string(sessionID), "grant": .string(grant),
                                      "permissions": .array(live.record.permissions.map { .string($0.rawValue) }),
                                      "mode": .string(mode.rawValue), "iceServers": ice.servers,
                                      "iceTransportPolicy": .string(ice.policy)]
            send(live.helperConnection, started)
            send(live.sharerConnection, started)
        } catch {
            logger.error("session start failed", metadata: ["error": "\(error)"])
            await end(sessionID, reason: "error", actor: "system")
        }
    }

    func signGrant(_ live: LiveSession) async throws -> String {
        try await identity.grantKey.sign(SessionGrant(
            issuer: identity.issuer.issuer, tenantID: live.record.tenantID, sessionID: live.record.id,
            helperUserID: live.helper.subject, helperName: live.helper.displayName,
            sharerUserID: live.record.sharerUserID ?? "", deviceID: live.device?.id, permissions: live.record.permissions,
            issuedAt: clock.seconds, expiresAt: live.grantExpiresAt))
    }

    /// STUN servers, and TURN servers with REST credentials for this session, filtered by the tenant's relay policy.
    func iceServers(tenant: Tenant?, sessionID: String) -> (servers: JSONValue, policy: String) {
        let policy = tenant?.relayPolicy ?? .auto
        let stun = configuration.iceURLs.filter { $0.hasPrefix("stun:") || $0.hasPrefix("stuns:") }
        let turn = configuration.iceURLs.filter { $0.hasPrefix("turn:") || $0.hasPrefix("turns:") }
        var servers: [JSONValue] = []
        if policy != .relayOnly && !stun.isEmpty { servers.append(["urls": .array(stun.map(JSONValue.string))]) }
        if policy != .directOnly, !turn.isEmpty, let secret = configuration.turnSecret {
            let credentials = TURNCredentials.make(secret: secret, sessionID: sessionID,
                                                   expiresAt: clock.seconds + configuration.turnCredentialLifetimeSeconds)
            servers.append(["urls": .array(turn.map(JSONValue.string)), "username": .string(credentials.username),
                            "credential": .string(credentials.password)])
        }
        return (.array(servers), policy == .relayOnly ? "relay" : "all")
    }

    // MARK: Remote launch answer

    /// `launch.response {sessionId, accept, mode?}` from the device's agent.
    func launchResponse(_ message: JSONValue, _ connection: Connection, _ principal: Principal) async throws {
        guard principal.kind == .device else { throw Refusal(.wrongParty, "Only the device's agent answers a launch.") }
        guard let sessionID = message["sessionId"]?.stringValue, var live = sessions[sessionID],
              live.record.remoteLaunch, live.device?.id == principal.subject, live.record.tenantID == principal.tenantID
        else { throw Refusal(.notSessionMember, "No launch for this device has this session id.") }
        guard live.record.state == .waiting else { throw Refusal(.sessionNotActive, "This launch was already answered.") }
        guard message["accept"]?.boolValue == true else {
            let refusal = Refusal(.launchDeclined, "The device's user declined the session.")
            await audit(tenantID: principal.tenantID, actor: principal.auditActor, action: "launch.response",
                        refusal: refusal, sessionID: sessionID)
            send(live.helperConnection, ["type": "session.refused", "sessionId": .string(sessionID),
                                         "code": .string(refusal.code.rawValue), "reason": .string(refusal.reason)])
            await end(sessionID, reason: "declined", actor: principal.auditActor)
            return
        }
        let mode = message["mode"]?.stringValue.flatMap(SessionMode.init(rawValue:)) ?? .viewOnly
        var owner: User?
        if let ownerID = live.device?.ownerUserID { owner = try await store.user(id: ownerID, tenantID: principal.tenantID) }
        // The sharer's conditional access, as at session.join: the device's owner's groups, the agent's address, the
        // device's compliance. Nobody signed in with a second factor here, so a sharer policy requiring MFA refuses.
        do {
            let tenant = try await activeTenant(principal.tenantID)
            let evaluation = ConditionalAccess.evaluate(
                policies: try await store.policies(tenantID: tenant.id), tenant: tenant,
                context: .init(stage: .sessionStart, party: .sharer, userGroups: owner?.groups ?? [], usedMFA: false,
                               address: connection.address, deviceCompliant: live.device?.compliant))
            if let refusal = evaluation.refusal { throw refusal }
        } catch let refusal as Refusal {
            send(live.helperConnection, ["type": "session.refused", "sessionId": .string(sessionID),
                                         "code": .string(refusal.code.rawValue), "reason": .string(refusal.reason)])
            await end(sessionID, reason: "refused", actor: principal.auditActor)
            throw refusal
        }
        var sharer = principal
        if let owner { sharer.displayName = owner.displayName; sharer.email = owner.email }
        live.sharer = sharer
        live.sharerConnection = connection.id
        live.consent = mode
        live.record.sharerUserID = owner?.id ?? principal.auditActor
        live.record.sharerName = owner?.displayName ?? principal.displayName
        live.record.state = .joined
        try await audit(tenantID: principal.tenantID, actor: principal.auditActor, action: "launch.response",
                        reason: "The device's user accepted (\(mode.rawValue)).", sessionID: sessionID)
        guard sessions[sessionID]?.record.state == .waiting else {
            throw Refusal(.sessionNotActive, "This launch was already answered.")
        }
        sessions[sessionID] = live
        try await store.saveSession(live.record)
        await startIfReady(sessionID)
    }
}
