import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit

/// Signing keys of external identity providers, found through OpenID Connect discovery
/// (`<issuer>/.well-known/openid-configuration` → `jwks_uri`, OpenID Connect Discovery 1.0 §4) and kept until they
/// age out or a token names a key id the cache does not know (the provider rotated its keys).
public actor JWKSCache {
    public typealias Fetch = @Sendable (URL) async throws -> Data

    /// An issuer's keys and the key ids the JWKS listed.
    public struct KeySet: Sendable {
        public let keys: JWTKeyCollection
        public let keyIDs: Set<String>
    }

    struct Entry {
        var keySet: KeySet
        var fetchedAt: Date
    }

    private let fetch: Fetch
    private let maximumAgeSeconds: TimeInterval
    /// A refresh forced by an unknown key id happens at most this often per issuer, so forged key ids cannot make
    /// the service hammer the provider.
    private let minimumRefreshIntervalSeconds: TimeInterval
    private var entries: [String: Entry] = [:]
    public private(set) var fetchCount = 0

    public init(maximumAgeSeconds: TimeInterval = 3600, minimumRefreshIntervalSeconds: TimeInterval = 30,
                fetch: @escaping Fetch = JWKSCache.httpGet) {
        self.fetch = fetch
        self.maximumAgeSeconds = maximumAgeSeconds
        self.minimumRefreshIntervalSeconds = minimumRefreshIntervalSeconds
    }

    /// The issuer's keys, fetched if missing or too old, or refreshed when `afterUnknownKey` and the last fetch is
    /// older than the minimum interval.
    public func keys(issuer: String, now: Date, afterUnknownKey: Bool = false) async throws -> KeySet {
        if let entry = entries[issuer] {
            let age = now.timeIntervalSince(entry.fetchedAt)
            let stale = age > maximumAgeSeconds
            let mayRefresh = afterUnknownKey && age >= minimumRefreshIntervalSeconds
            if !stale && !mayRefresh { return entry.keySet }
        }
        let keySet = try await download(issuer: issuer)
        entries[issuer] = Entry(keySet: keySet, fetchedAt: now)
        return keySet
    }

    private func download(issuer: String) async throws -> KeySet {
        fetchCount += 1
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        guard let discoveryURL = URL(string: base + "/.well-known/openid-configuration") else {
            throw JWKSError.badURL(issuer)
        }
        let discovery = try JSONDecoder().decode(Discovery.self, from: try await fetch(discoveryURL))
        guard discovery.issuer == issuer else { throw JWKSError.issuerMismatch(discovery.issuer) }
        guard let jwksURL = URL(string: discovery.jwks_uri) else { throw JWKSError.badURL(discovery.jwks_uri) }
        let document = try await fetch(jwksURL)
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: String(decoding: document, as: UTF8.self))
        let listed = try JSONDecoder().decode(KeyIDs.self, from: document)
        return KeySet(keys: keys, keyIDs: Set(listed.keys.compactMap(\.kid)))
    }

    struct KeyIDs: Decodable {
        struct Key: Decodable { var kid: String? }
        var keys: [Key]
    }

    struct Discovery: Decodable {
        var issuer: String
        var jwks_uri: String
    }

    public static let httpGet: Fetch = { url in
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        if let http = response as? HTTPURLResponse, http.statusCode != 200 {
            throw JWKSError.httpStatus(http.statusCode, url.absoluteString)
        }
        return data
    }
}

public enum JWKSError: Error, CustomStringConvertible {
    case badURL(String)
    case issuerMismatch(String)
    case httpStatus(Int, String)

    public var description: String {
        switch self {
        case .badURL(let url): "bad URL \(url)"
        case .issuerMismatch(let issuer): "the discovery document names another issuer (\(issuer))"
        case .httpStatus(let status, let url): "HTTP \(status) from \(url)"
        }
    }
}
