import Foundation
import JWTKit
import SignalingModel

/// What the sharer's app enforces: an ES256 JWT signed by the service (design notes §4). The sharer verifies it
/// with the key published at `/.well-known/tandem-grant-keys` and drops input beyond `permissions`.
public struct SessionGrant: JWTPayload, Equatable {
    public var issuer: String
    public var tenantID: String
    public var sessionID: String
    public var helperUserID: String
    public var helperName: String
    public var sharerUserID: String
    public var deviceID: String?
    public var permissions: [Permission]
    public var issuedAt: Int64
    public var expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case issuer = "iss"
        case tenantID = "tid"
        case sessionID = "sid"
        case helperUserID = "helper"
        case helperName = "helper_name"
        case sharerUserID = "sharer"
        case deviceID = "device"
        case permissions = "perms"
        case issuedAt = "iat"
        case expiresAt = "exp"
    }

    public init(issuer: String, tenantID: String, sessionID: String, helperUserID: String, helperName: String,
                sharerUserID: String, deviceID: String?, permissions: [Permission], issuedAt: Int64, expiresAt: Int64) {
        self.issuer = issuer
        self.tenantID = tenantID
        self.sessionID = sessionID
        self.helperUserID = helperUserID
        self.helperName = helperName
        self.sharerUserID = sharerUserID
        self.deviceID = deviceID
        self.permissions = permissions
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// Expiry is checked by `verify(_:publicJWKS:now:)` with an explicit clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// What a sharer does: check the signature against the published keys, the session and the expiry.
    public static func verify(_ token: String, publicJWKS: String, sessionID: String, now: Date) async throws
        -> SessionGrant
    {
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: publicJWKS)
        let grant = try await keys.verify(token, as: SessionGrant.self)
        guard grant.sessionID == sessionID else { throw GrantError.otherSession }
        guard Double(grant.expiresAt) > now.timeIntervalSince1970 else { throw GrantError.expired }
        return grant
    }
}

public enum GrantError: Error {
    case otherSession
    case expired
}
