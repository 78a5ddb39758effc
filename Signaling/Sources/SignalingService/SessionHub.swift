import Foundation
import Logging
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingStore

/// Everything live: WebSocket connections, signed-in principals, device agents, sessions and their codes.
/// One actor, so that a session's state changes one message at a time. Persistent facts go to the store; every
/// decision goes to the audit log.
public actor SessionHub {
    struct Connection {
        let id: Int
        let address: String
        let outbox: AsyncStream<String>.Continuation
        var principal: Principal?
    }

    struct LiveSession {
        var record: SessionRecord
        var helper: Principal
        var helperConnection: Int
        var helperAddress: String
        var sharer: Principal?
        var sharerConnection: Int?
        var device: Device?
        /// The helper's RBAC permissions over the session's device.
        var helperPermissions: Set<Permission>
        /// The helper must acknowledge the device's compliance warning before the session starts.
        var acknowledgementRequired = false
        var acknowledged = false
        var consent: SessionMode?
        /// A remote launch the agent answers without its user (the helper holds `unattended_control` there).
        var unattended = false
        var pendingControl: Set<Permission> = []
        /// Unix milliseconds after which a waiting session is dropped (code expiry, or launch timeout).
        var waitingUntil: Int64
        var grantExpiresAt: Int64 = 0

        func party(of connection: Int) -> Party? {
            if connection == helperConnection { return .helper }
            if connection == sharerConnection { return .sharer }
            return nil
        }
    }

    let store: any Store
    let identity: IdentityServices
    let configuration: ServiceConfiguration
    let clock: ServiceClock
    let metrics: ServiceMetrics
    let logger: Logger
    var connections: [Int: Connection] = [:]
    var nextConnectionID = 1
    /// `tenant/device` → connection of the device's agent.
    var agents: [String: Int] = [:]
    var sessions: [String: LiveSession] = [:]
    var codes: SessionCodeBook
    /// Set by graceful shutdown: new connections are closed at once.
    var shuttingDown = false
    var random = SystemRandomNumberGenerator()
    /// How long a remote launch waits for the device's user (milliseconds).
    let launchTimeoutMilliseconds: Int64 = 120_000

    public init(store: any Store, identity: IdentityServices, configuration: ServiceConfiguration, clock: ServiceClock,
                metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.identity = identity
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.codes = SessionCodeBook(limits: configuration.codeLimits)
    }

    // MARK: Connections

    /// Registers a new WebSocket; the stream yields the text frames to send to it.
    public func connect(address: String) -> (id: Int, outbox: AsyncStream<String>) {
        let id = nextConnectionID
        nextConnectionID += 1
        let (stream, continuation) = AsyncStream<String>.makeStream()
        connections[id] = Connection(id: id, address: address, outbox: continuation, principal: nil)
        metrics.connections.increment()
        if shuttingDown { continuation.finish() }
        return (id, stream)
    }

    /// Forgets the connection, takes its agent offline and ends its sessions with reason `disconnected`.
    public func disconnect(_ id: Int) async {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connection.outbox.finish()
        metrics.connections.decrement()
        if let principal = connection.principal, principal.kind == .device,
           agents[agentKey(principal.tenantID, principal.subject)] == id {
            agents[agentKey(principal.tenantID, principal.subject)] = nil
            metrics.agentsOnline.decrement()
        }
        for (sessionID, live) in sessions where live.party(of: id) != nil {
            await end(sessionID, reason: "disconnected", actor: connection.principal?.auditActor ?? "system")
        }
    }

    func agentKey(_ tenantID: String, _ deviceID: String) -> String { "\(tenantID)/\(deviceID)" }

    public func isAgentOnline(tenantID: String, deviceID: String) -> Bool {
        agents[agentKey(tenantID, deviceID)] != nil
    }

    public var connectionCount: Int { connections.count }
    public var agentCount: Int { agents.count }

    func send(_ connectionID: Int?, _ message: JSONValue) {
        guard let connectionID, let connection = connections[connectionID] else { return }
        connection.outbox.yield(message.text)
    }

    // MARK: Messages

    /// Handles one text frame from a connection. Refusals go back as `error` messages and into the audit log.
    public func receive(_ connectionID: Int, text: String) async {
        guard let connection = connections[connectionID] else { return }
        let message = JSONValue.parse(text)
        let type = message?["type"]?.stringValue ?? "invalid"
        let reference = message?["id"]?.stringValue
        do {
            guard let message, message["type"]?.stringValue != nil else {
                throw Refusal(.badRequest, "Each message is a JSON object with a string field type.")
            }
            try await dispatch(type, message, connection)
        } catch let refusal as Refusal {
            // On record before the client hears of it.
            await audit(tenantID: connection.principal?.tenantID, actor: actor(connection), action: type,
                        refusal: refusal, sessionID: message?["sessionId"]?.stringValue)
            send(connectionID, ["type": "error", "code": .string(refusal.code.rawValue), "reason": .string(refusal.reason),
                                "ref": reference.json, "request": .string(type)])
        } catch is AuditUnavailable {
            let refusal = AuditUnavailable.refusal
            metrics.refusal(refusal.code.rawValue)
            send(connectionID, ["type": "error", "code": .string(refusal.code.rawValue), "reason": .string(refusal.reason),
                                "ref": reference.json, "request": .string(type)])
        } catch {
            logger.error("message handling failed", metadata: ["type": "\(type)", "error": "\(error)"])
            send(connectionID, ["type": "error", "code": "internal", "reason": "The service could not handle this message.",
                                "ref": reference.json, "request": .string(type)])
        }
    }

    func actor(_ connection: Connection) -> String {
        connection.principal?.auditActor ?? "anonymous@\(connection.address)"
    }

    private func dispatch(_ type: String, _ message: JSONValue, _ connection: Connection) async throws {
        if type == "hello" { return try await hello(message, connection) }
        if type == "ping" { return send(connection.id, ["type": "pong", "ref": message["id"]?.stringValue.json ?? .null]) }
        guard let principal = connection.principal else {
            throw Refusal(.notSignedIn, "Send hello with a token before anything else.")
        }
        switch type {
        case "session.create": try await createSession(message, connection, principal)
        case "session.join": try await joinSession(message, connection, principal)
        case "session.consent": try await consent(message, connection)
        case "session.acknowledge_compliance": try await acknowledgeCompliance(message, connection)
        case "session.request_control": try await requestControl(message, connection)
        case "session.control_decision": try await decideControl(message, connection)
        case "session.revoke_control": try await revokeControl(message, connection)
        case "signal": try await relay(message, connection)
        case "chat": try await chat(message, connection)
        case "session.end": try await endByParty(message, connection)
        case "launch.response": try await launchResponse(message, connection, principal)
        case "device.checkin": try await checkIn(message, connection, principal)
        default: throw Refusal(.badRequest, "Unknown message type \(type).")
        }
    }

    // MARK: Audit

    /// Records a refusal. The refusal stands whether or not the record could be written.
    func audit(tenantID: String?, actor: String, action: String, refusal: Refusal, sessionID: String? = nil,
               details: [String: String] = [:]) async {
        metrics.refusal(refusal.code.rawValue)
        try? await record(AuditEntry(time: clock.milliseconds, tenantID: tenantID, actor: actor, action: action,
                                     outcome: .refused, code: refusal.code.rawValue, reason: refusal.reason,
                                     sessionID: sessionID, details: details))
    }

    /// Records a decision before it takes effect; throws when the record cannot be written, and the caller then
    /// does not act (fail closed: nothing is allowed that is not on record).
    func audit(tenantID: String?, actor: String, action: String, outcome: AuditOutcome = .allowed, reason: String,
               sessionID: String? = nil, details: [String: String] = [:]) async throws(AuditUnavailable) {
        try await record(AuditEntry(time: clock.milliseconds, tenantID: tenantID, actor: actor, action: action,
                                    outcome: outcome, reason: reason, sessionID: sessionID, details: details))
    }

    /// Records what must happen whether or not it can be recorded: a session ending, permissions taken back.
    func auditBestEffort(tenantID: String?, actor: String, action: String, outcome: AuditOutcome = .allowed,
                         reason: String, sessionID: String? = nil, details: [String: String] = [:]) async {
        try? await audit(tenantID: tenantID, actor: actor, action: action, outcome: outcome, reason: reason,
                         sessionID: sessionID, details: details)
    }

    private func record(_ entry: AuditEntry) async throws(AuditUnavailable) {
        do { try await store.appendAudit(entry) }
        catch {
            logger.critical("audit append failed", metadata: ["action": "\(entry.action)", "error": "\(error)"])
            throw AuditUnavailable()
        }
    }
}

/// The audit log could not take a record, so the action it would have recorded was not done.
public struct AuditUnavailable: Error {
    public static let refusal = Refusal(.auditUnavailable,
                                        "The audit log cannot record this action right now, so it was not done.")
}
