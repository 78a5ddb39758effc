import Foundation
import Hummingbird
import SignalingCore
import SignalingModel

extension SignalingServer {
    /// Active and past sessions (JSON or CSV), ending a session, the audit log, and retention.
    func addReportRoutes(_ admin: RouterGroup<SignalingRequestContext>) {
        admin.get("/tenants/:tenant/sessions/active") { request, context in
            await self.admin("admin.report.active", request, context) { _ in
                HTTPReplies.json(encoding: await self.hub.activeSessions(tenantID: self.tenantID(context)))
            }
        }
        admin.get("/tenants/:tenant/sessions") { request, context in
            await self.admin("admin.report.sessions", request, context) { _ in
                let query = request.uri.queryParameters
                let filter = SessionFilter(
                    helperUserID: query.get("helper"), sharerUserID: query.get("sharer"), deviceID: query.get("device"),
                    from: query.get("from").flatMap { Int64($0) }, to: query.get("to").flatMap { Int64($0) },
                    state: query.get("state").flatMap(SessionState.init(rawValue:)),
                    limit: query.get("limit").flatMap { Int($0) } ?? 1000)
                let sessions = try await self.store.sessions(tenantID: self.tenantID(context), filter: filter)
                if query.get("format") == "csv" {
                    return HTTPReplies.text(SessionCSV.render(sessions), contentType: "text/csv; charset=utf-8")
                }
                return HTTPReplies.json(encoding: sessions)
            }
        }
        admin.post("/tenants/:tenant/sessions/:id/end") { request, context in
            await self.admin("admin.session.end", request, context) { caller in
                let id = context.parameters.get("id") ?? ""
                try await self.hub.endByAdmin(id, tenantID: self.tenantID(context), actor: "admin:\(caller.user.id)")
                return HTTPReplies.json(["ended": .string(id)])
            }
        }
        admin.get("/tenants/:tenant/audit") { request, context in
            await self.admin("admin.audit.list", request, context) { _ in
                let query = request.uri.queryParameters
                let records = try await self.store.auditRecords(
                    tenantID: self.tenantID(context), afterSequence: query.get("after").flatMap { Int64($0) } ?? 0,
                    limit: min(query.get("limit").flatMap { Int($0) } ?? 500, 5000))
                return HTTPReplies.json(encoding: records)
            }
        }
        admin.post("/tenants/:tenant/retention/run") { request, context in
            await self.admin("admin.retention.run", request, context) { caller in
                guard caller.user.isOperator else { throw Refusal(.notAdmin, "Only service operators run retention.") }
                return HTTPReplies.json(encoding: try await Retention.apply(store: self.store, now: self.clock))
            }
        }
    }
}

/// Past sessions as CSV (RFC 4180: CRLF line ends, fields with commas, quotes or line breaks quoted).
public enum SessionCSV {
    public static let header = ["session", "helper", "helper_name", "sharer", "sharer_name", "device", "start", "end",
                                "duration_seconds", "permissions", "control_used", "elevation_used", "end_reason"]

    public static func render(_ sessions: [SessionRecord]) -> String {
        var lines = [header.joined(separator: ",")]
        let formatter = ISO8601DateFormatter()
        func time(_ seconds: Int64?) -> String {
            seconds.map { formatter.string(from: Date(timeIntervalSince1970: TimeInterval($0))) } ?? ""
        }
        for session in sessions {
            let fields = [
                session.id, session.helperUserID, session.helperName, session.sharerUserID ?? "",
                session.sharerName ?? "", session.deviceID ?? "", time(session.startedAt), time(session.endedAt),
                session.durationSeconds.map(String.init) ?? "", session.permissions.map(\.rawValue).joined(separator: " "),
                "\(session.controlUsed)", "\(session.elevationUsed)", session.endReason ?? "",
            ]
            lines.append(fields.map(escape).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 4180 quoting; and a cell a spreadsheet would take for a formula (first character `=`, `+`, `-`, `@`, tab
    /// or carriage return: display names come from users and identity providers) gets a leading `'` and quotes, as
    /// OWASP's CSV Injection page advises.
    public static func escape(_ field: String) -> String {
        var field = field
        var quote = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        if let first = field.first, "=+-@\t\r".contains(first) {
            field = "'" + field
            quote = true
        }
        guard quote else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
