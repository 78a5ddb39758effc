import Foundation
import SignalingCore
import SignalingModel

extension SessionHub {
    /// `session.request_control {sessionId, permission}` from the helper: RBAC first, then the sharer decides.
    /// The helper's roles and scope and the tenant's state are read again at every request, not taken from the
    /// session's start: an admin's change applies to the next request (issue 5, point 4).
    func requestControl(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, _) = try member(message, connection, as: .helper)
        guard live.record.state == .active else { throw Refusal(.sessionNotActive, "The session has not started.") }
        guard let permission = message["permission"]?.stringValue.flatMap(Permission.init(rawValue:)),
              permission != .viewScreen
        else { throw Refusal(.badRequest, "permission is full_control, elevation or unattended_control.") }
        let held = try await currentHelperPermissions(live)
        sessions[sessionID]?.helperPermissions = held
        try AccessControl.require(permission, held: held, device: live.device)
        try await audit(tenantID: live.record.tenantID, actor: live.helper.auditActor, action: "session.request_control",
                        reason: "The helper asked for \(permission.rawValue).", sessionID: sessionID)
        guard sessions[sessionID]?.record.state == .active else {
            throw Refusal(.sessionNotFound, "The session has ended.")
        }
        sessions[sessionID]?.pendingControl.insert(permission)
        send(live.sharerConnection, ["type": "session.control_requested", "sessionId": .string(sessionID),
                                     "permission": .string(permission.rawValue),
                                     "helper": ["name": .string(live.helper.displayName)]])
        send(connection.id, ["type": "session.control_pending", "sessionId": .string(sessionID),
                             "permission": .string(permission.rawValue)])
    }

    /// `session.control_decision {sessionId, permission, granted}` from the sharer. A grant is checked against the
    /// helper's roles as they are now (they may have changed since the request).
    func decideControl(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, _) = try member(message, connection, as: .sharer)
        guard let permission = message["permission"]?.stringValue.flatMap(Permission.init(rawValue:)),
              live.pendingControl.contains(permission)
        else { throw Refusal(.badRequest, "No pending request for this permission.") }
        sessions[sessionID]?.pendingControl.remove(permission)
        guard message["granted"]?.boolValue == true else {
            let refusal = Refusal(.controlDeclined, "The sharer declined \(permission.rawValue).")
            await audit(tenantID: live.record.tenantID, actor: live.sharer?.auditActor ?? "", action: "session.control_decision",
                        refusal: refusal, sessionID: sessionID)
            send(live.helperConnection, ["type": "session.control_declined", "sessionId": .string(sessionID),
                                         "permission": .string(permission.rawValue)])
            return
        }
        let held = try await currentHelperPermissions(live)
        try AccessControl.require(permission, held: held, device: live.device)
        var permissions = Set(live.record.permissions)
        permissions.insert(permission)
        if permission == .elevation { permissions.insert(.fullControl) }
        try await regrant(sessionID, permissions: permissions, held: held, actor: live.sharer?.auditActor ?? "",
                          reason: "The sharer granted \(permission.rawValue).")
    }

    /// `session.revoke_control {sessionId}` from the sharer: back to view only.
    func revokeControl(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, _) = try member(message, connection, as: .sharer)
        guard live.record.state == .active else { throw Refusal(.sessionNotActive, "The session has not started.") }
        try await regrant(sessionID, permissions: [.viewScreen], held: live.helperPermissions,
                          actor: live.sharer?.auditActor ?? "", reason: "The sharer took control back.")
    }

    /// The helper's permissions over the session's device as the store has them now. Refuses when the tenant is
    /// no longer enabled (or Remote Help was turned off) or the helper's account was disabled.
    func currentHelperPermissions(_ live: LiveSession) async throws -> Set<Permission> {
        let tenant = try await activeTenant(live.record.tenantID)
        let helper = try await user(for: live.helper)
        guard !helper.disabled else { throw Refusal(.userDisabled, "Your account is disabled.") }
        return AccessControl.permissions(user: helper, device: live.device, roles: try await store.roles(tenantID: tenant.id),
                                         assignments: try await store.assignments(tenantID: tenant.id))
    }

    /// Re-signs the grant with new permissions (never beyond what `held` allows) and a fresh expiry, and sends it to
    /// both parties. A grant that adds permissions or time is on record first or does not happen (fail closed); one
    /// that only takes permissions away happens even when the audit log cannot take its record.
    func regrant(_ sessionID: String, permissions: Set<Permission>, held: Set<Permission>, actor: String,
                 reason: String, renewal: Bool = false) async throws {
        guard var live = sessions[sessionID], live.record.state == .active else { return }
        let granted = permissions.intersection(held.union([.viewScreen])).sorted()
        let narrows = Set(granted).isSubset(of: Set(live.record.permissions)) && !renewal
        live.record.permissions = granted
        if granted.contains(.fullControl) { live.record.controlUsed = true }
        if granted.contains(.elevation) { live.record.elevationUsed = true }
        live.grantExpiresAt = grantExpiry(live)
        let grant = try await signGrant(live)
        let details = ["permissions": granted.map(\.rawValue).joined(separator: ","), "expiresAt": "\(live.grantExpiresAt)"]
        if narrows {
            await auditBestEffort(tenantID: live.record.tenantID, actor: actor, action: "session.grant", reason: reason,
                                  sessionID: sessionID, details: details)
        } else {
            try await audit(tenantID: live.record.tenantID, actor: actor, action: "session.grant", reason: reason,
                            sessionID: sessionID, details: details)
        }
        // Only the grant's fields: a control request may have arrived while the record was being written.
        guard sessions[sessionID]?.record.state == .active else { return }
        sessions[sessionID]?.record.permissions = live.record.permissions
        sessions[sessionID]?.record.controlUsed = live.record.controlUsed
        sessions[sessionID]?.record.elevationUsed = live.record.elevationUsed
        sessions[sessionID]?.helperPermissions = held
        sessions[sessionID]?.grantExpiresAt = live.grantExpiresAt
        try await store.saveSession(live.record)
        var update: JSONValue = ["type": "session.grant", "sessionId": .string(sessionID), "grant": .string(grant),
                                 "permissions": .array(granted.map { .string($0.rawValue) }),
                                 "expiresAt": .number(Double(live.grantExpiresAt))]
        if renewal { update = merge(update, ["renewal": true]) }
        send(live.helperConnection, update)
        send(live.sharerConnection, update)
    }

    /// A grant lasts `grantLifetimeSeconds`, never past the session's maximum duration (Unix seconds).
    func grantExpiry(_ live: LiveSession) -> Int64 {
        min(clock.seconds + configuration.grantLifetimeSeconds, live.waitingUntil / 1000)
    }

    /// `signal {sessionId, payload}`: SDP offers/answers and ICE candidates, only to the other member.
    func relay(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, party) = try member(message, connection)
        if live.acknowledgementRequired && !live.acknowledged {
            throw Refusal(.complianceNotAcknowledged, "The helper has not acknowledged the device's compliance warning.")
        }
        guard live.record.state == .active else { throw Refusal(.sessionNotActive, "The session has not started.") }
        guard let payload = message["payload"], case .object = payload else {
            throw Refusal(.badRequest, "signal needs a payload object.")
        }
        let target = party == .helper ? live.sharerConnection : live.helperConnection
        metrics.messagesRelayed.increment()
        send(target, ["type": "signal", "sessionId": .string(sessionID), "from": .string(party.rawValue),
                      "payload": payload])
    }

    /// `chat {sessionId, text}` when the tenant allows chat.
    func chat(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, party) = try member(message, connection)
        guard live.record.state == .active else { throw Refusal(.sessionNotActive, "The session has not started.") }
        guard let text = message["text"]?.stringValue, text.utf8.count <= 4096 else {
            throw Refusal(.badRequest, "chat needs a text of at most 4096 bytes.")
        }
        guard try await store.tenant(id: live.record.tenantID)?.chatEnabled == true else {
            throw Refusal(.chatDisabled, "Chat is turned off for this organisation.")
        }
        let target = party == .helper ? live.sharerConnection : live.helperConnection
        send(target, ["type": "chat", "sessionId": .string(sessionID), "from": .string(party.rawValue), "text": .string(text)])
    }

    /// `session.end {sessionId}` from either member.
    func endByParty(_ message: JSONValue, _ connection: Connection) async throws {
        let (sessionID, live, party) = try member(message, connection)
        let actor = (party == .helper ? live.helper : live.sharer)?.auditActor ?? "system"
        await end(sessionID, reason: "ended_by_\(party.rawValue)", actor: actor)
    }

    // MARK: Ending

    /// Ends a session for any reason: both parties are told, the history is saved, the audit log records it.
    public func end(_ sessionID: String, reason: String, actor: String) async {
        guard var live = sessions.removeValue(forKey: sessionID) else { return }
        codes.revoke(sessionID: sessionID, now: clock.milliseconds)
        if live.record.state == .active { metrics.activeSessions.decrement() }
        live.record.state = .ended
        live.record.endedAt = clock.seconds
        live.record.endReason = reason
        do { try await store.saveSession(live.record) }
        catch { logger.error("saving ended session failed", metadata: ["error": "\(error)"]) }
        // On record before the parties hear of it; a session ends even when the audit log cannot take the record.
        await auditBestEffort(tenantID: live.record.tenantID, actor: actor, action: "session.end", outcome: .info,
                              reason: "Session ended: \(reason).", sessionID: sessionID)
        let ended: JSONValue = ["type": "session.ended", "sessionId": .string(sessionID), "reason": .string(reason)]
        send(live.helperConnection, ended)
        send(live.sharerConnection, ended)
    }

    /// An admin ends a session of their tenant.
    public func endByAdmin(_ sessionID: String, tenantID: String, actor: String) async throws(Refusal) {
        guard let live = sessions[sessionID], live.record.tenantID == tenantID else {
            throw Refusal(.sessionNotFound, "No active session has this id.")
        }
        await end(sessionID, reason: "admin", actor: actor)
    }

    public func activeSessions(tenantID: String) -> [SessionRecord] {
        sessions.values.map(\.record).filter { $0.tenantID == tenantID }.sorted { $0.createdAt > $1.createdAt }
    }

    /// Graceful shutdown: every live session ends with reason `service_shutdown` (on record, both parties told),
    /// then every connection is closed; connections that arrive meanwhile are closed at once.
    public func shutdown() async {
        shuttingDown = true
        for sessionID in Array(sessions.keys) { await end(sessionID, reason: "service_shutdown", actor: "system") }
        for connection in connections.values { connection.outbox.finish() }
    }

    /// Re-signs grants close to expiry, so that a session may run its full length on grants of a short lifetime:
    /// once less than a quarter of a grant's lifetime is left, both parties receive a fresh `session.grant`
    /// (`renewal: true`) with the permissions the helper's roles still allow. A helper who lost `view_screen`, or a
    /// tenant no longer active, ends the session (`revoked`). A renewal that cannot be recorded is tried again at the
    /// next sweep while the old grant runs out (fail closed).
    func renewGrants() async {
        let now = clock.seconds
        let lead = max(1, configuration.grantLifetimeSeconds / 4)
        for (sessionID, live) in sessions where live.record.state == .active && live.grantExpiresAt - now <= lead
            && live.grantExpiresAt < live.waitingUntil / 1000 {
            do {
                let held = try await currentHelperPermissions(live)
                try AccessControl.require(.viewScreen, held: held, device: live.device)
                try await regrant(sessionID, permissions: Set(live.record.permissions), held: held, actor: "system",
                                  reason: "Grant renewed before it expires.", renewal: true)
            } catch let refusal as Refusal {
                await audit(tenantID: live.record.tenantID, actor: live.helper.auditActor, action: "session.grant",
                            refusal: refusal, sessionID: sessionID)
                await end(sessionID, reason: "revoked", actor: "system")
            } catch {
                logger.error("grant renewal failed", metadata: ["session": "\(sessionID)", "error": "\(error)"])
            }
        }
    }

    /// Ends waiting sessions whose code or launch expired and active sessions past their maximum duration, and
    /// renews grants close to expiry.
    public func sweep() async {
        let now = clock.milliseconds
        for (sessionID, live) in sessions where live.waitingUntil <= now {
            let reason = switch live.record.state {
            case .active: "timeout"
            case .waiting: live.record.remoteLaunch ? "launch_timeout" : "code_expired"
            default: "timeout"
            }
            await end(sessionID, reason: reason, actor: "system")
        }
        await renewGrants()
        codes.purge(now: now)
    }
}
