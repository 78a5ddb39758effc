import Foundation
import JWTKit

/// An ES256 (P-256) signing key with its key id, its JWT key collection and its public JWKS document (RFC 7517).
public struct SigningKey: Sendable {
    public let keyID: String
    public let privateKeyPEM: String
    public let keys: JWTKeyCollection
    /// `{"keys":[…]}` with the public half only, for `/.well-known/...` endpoints.
    public let publicJWKS: String

    public static func generate(keyID: String) async throws -> SigningKey {
        try await load(privateKeyPEM: ES256PrivateKey().pemRepresentation, keyID: keyID)
    }

    public static func load(privateKeyPEM: String, keyID: String) async throws -> SigningKey {
        let privateKey = try ES256PrivateKey(pem: privateKeyPEM)
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: privateKey, kid: JWKIdentifier(string: keyID))
        guard let parameters = privateKey.parameters else { throw SigningKeyError.noPublicParameters }
        let document: [String: [[String: String]]] = ["keys": [[
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": keyID,
            "x": parameters.x, "y": parameters.y,
        ]]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let jwks = String(decoding: try encoder.encode(document), as: UTF8.self)
        return SigningKey(keyID: keyID, privateKeyPEM: privateKeyPEM, keys: keys, publicJWKS: jwks)
    }

    public func sign(_ payload: some JWTPayload) async throws -> String {
        try await keys.sign(payload, kid: JWKIdentifier(string: keyID))
    }
}

public enum SigningKeyError: Error {
    case noPublicParameters
}
