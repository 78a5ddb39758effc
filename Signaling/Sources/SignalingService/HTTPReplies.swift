import Foundation
import Hummingbird
import SignalingCore

/// JSON and CSV responses, and the HTTP status of each refusal code.
enum HTTPReplies {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        json(JSONValue.encoding(value), status: status)
    }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok)
        -> Response
    {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func refusal(_ refusal: Refusal) -> Response {
        json(["error": ["code": .string(refusal.code.rawValue), "reason": .string(refusal.reason)]],
             status: status(for: refusal.code))
    }

    static func status(for code: RefusalCode) -> HTTPResponse.Status {
        switch code {
        case .notSignedIn, .tokenInvalid, .tokenExpired, .tokenWrongAudience, .tokenWrongIssuer, .credentialsInvalid,
             .mfaCodeRequired, .mfaCodeInvalid, .userUnknown, .tenantUnknown:
            .unauthorized
        case .badRequest: .badRequest
        case .notFound, .sessionNotFound, .deviceUnknown: .notFound
        case .conflict: .conflict
        case .lockedOut, .signInLockedOut: .tooManyRequests
        case .auditUnavailable: .serviceUnavailable
        default: .forbidden
        }
    }
}

extension Request {
    /// The body as JSON (at most 1 MiB); a refusal if it is not JSON.
    func jsonBody() async throws -> JSONValue {
        let buffer = try await body.collect(upTo: 1 << 20)
        guard let value = JSONValue.parse(String(buffer: buffer)) else {
            throw Refusal(.badRequest, "The body must be JSON.")
        }
        return value
    }

    func decodedBody<T: Decodable>(_ type: T.Type) async throws -> T {
        let buffer = try await body.collect(upTo: 1 << 20)
        do { return try JSONDecoder().decode(T.self, from: Data(String(buffer: buffer).utf8)) }
        catch { throw Refusal(.badRequest, "The body is not a valid \(T.self): \(error)") }
    }

    var bearerToken: String? {
        guard let header = headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }
}
