import Foundation
import SignalingCore

/// How the service runs. Read from a JSON file, then `TANDEM_*` environment variables, then command-line flags
/// (each overriding the one before).
public struct ServiceConfiguration: Codable, Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8443
    /// The service's public base URL: the issuer of its tokens and the default allowed Origin.
    public var publicURL: String?
    /// Browser Origins allowed to open `/ws` (clients that send no Origin, such as native apps, are allowed).
    public var allowedOrigins: [String] = []
    /// `stun:` / `turn:` URLs handed to parties; credentials are minted for `turn:` ones when a secret is set.
    public var iceURLs: [String] = []
    /// coturn's `static-auth-secret`.
    public var turnSecret: String?
    public var turnCredentialLifetimeSeconds: Int64 = 600
    /// PBKDF2 rounds for new password hashes.
    public var passwordRounds: Int = 210_000
    public var accessTokenLifetimeSeconds: Int64 = 3600
    /// Session grants expire after this long (or at the session's maximum duration, whichever is sooner).
    public var grantLifetimeSeconds: Int64 = 3600
    public var codeFailuresPerUser: Int = 5
    public var codeFailuresPerAddress: Int = 10
    public var codeFailuresPerTenant: Int = 100
    public var codeLockoutSeconds: Int64 = 900
    /// External identity providers' keys are refreshed at most this often when a token names an unknown key.
    public var jwksMinimumRefreshSeconds: Double = 30
    public var tokenSkewSeconds: Double = 60

    public init() {}

    /// Every key of the file is optional; missing ones keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let defaults = ServiceConfiguration()
        host = try value(.host, defaults.host)
        port = try value(.port, defaults.port)
        publicURL = try container.decodeIfPresent(String.self, forKey: .publicURL)
        allowedOrigins = try value(.allowedOrigins, defaults.allowedOrigins)
        iceURLs = try value(.iceURLs, defaults.iceURLs)
        turnSecret = try container.decodeIfPresent(String.self, forKey: .turnSecret)
        turnCredentialLifetimeSeconds = try value(.turnCredentialLifetimeSeconds, defaults.turnCredentialLifetimeSeconds)
        passwordRounds = try value(.passwordRounds, defaults.passwordRounds)
        accessTokenLifetimeSeconds = try value(.accessTokenLifetimeSeconds, defaults.accessTokenLifetimeSeconds)
        grantLifetimeSeconds = try value(.grantLifetimeSeconds, defaults.grantLifetimeSeconds)
        codeFailuresPerUser = try value(.codeFailuresPerUser, defaults.codeFailuresPerUser)
        codeFailuresPerAddress = try value(.codeFailuresPerAddress, defaults.codeFailuresPerAddress)
        codeFailuresPerTenant = try value(.codeFailuresPerTenant, defaults.codeFailuresPerTenant)
        codeLockoutSeconds = try value(.codeLockoutSeconds, defaults.codeLockoutSeconds)
        jwksMinimumRefreshSeconds = try value(.jwksMinimumRefreshSeconds, defaults.jwksMinimumRefreshSeconds)
        tokenSkewSeconds = try value(.tokenSkewSeconds, defaults.tokenSkewSeconds)
    }

    public var issuer: String { publicURL ?? "http://\(host):\(port)" }

    public var codeLimits: SessionCodeBook.Limits {
        .init(failuresPerUser: codeFailuresPerUser, failuresPerAddress: codeFailuresPerAddress,
              failuresPerTenant: codeFailuresPerTenant, lockoutMilliseconds: codeLockoutSeconds * 1000)
    }

    public static func load(file: String?, environment: [String: String]) throws -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        if let file {
            configuration = try JSONDecoder().decode(ServiceConfiguration.self,
                                                     from: try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        if let value = environment["TANDEM_PUBLIC_URL"] { configuration.publicURL = value }
        if let value = environment["TANDEM_ALLOWED_ORIGINS"] {
            configuration.allowedOrigins = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let value = environment["TANDEM_ICE_URLS"] {
            configuration.iceURLs = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let value = environment["TANDEM_TURN_SECRET"] { configuration.turnSecret = value }
        return configuration
    }
}

/// The service's clock, injectable so tests can move time forward.
public struct ServiceClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public var milliseconds: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
    public var seconds: Int64 { Int64(now().timeIntervalSince1970.rounded(.down)) }
}
