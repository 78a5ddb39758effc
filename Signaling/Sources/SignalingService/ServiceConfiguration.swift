import Foundation
import SignalingCore

/// How the service runs. Read from a JSON file, then `TANDEM_*` environment variables, then command-line flags
/// (each overriding the one before; `load(file:environment:flags:)`).
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
    /// Failed `/auth/token` sign-ins per user name and per address within 15 minutes before a lockout.
    public var signInFailuresPerUser: Int = 10
    public var signInFailuresPerAddress: Int = 30
    public var signInLockoutSeconds: Int64 = 900
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
        signInFailuresPerUser = try value(.signInFailuresPerUser, defaults.signInFailuresPerUser)
        signInFailuresPerAddress = try value(.signInFailuresPerAddress, defaults.signInFailuresPerAddress)
        signInLockoutSeconds = try value(.signInLockoutSeconds, defaults.signInLockoutSeconds)
        jwksMinimumRefreshSeconds = try value(.jwksMinimumRefreshSeconds, defaults.jwksMinimumRefreshSeconds)
        tokenSkewSeconds = try value(.tokenSkewSeconds, defaults.tokenSkewSeconds)
    }

    /// The public URL, else `http://HOST:PORT` (an IPv6 address in brackets, RFC 3986 §3.2.2).
    public var issuer: String { publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public var codeLimits: SessionCodeBook.Limits {
        .init(failuresPerUser: codeFailuresPerUser, failuresPerAddress: codeFailuresPerAddress,
              failuresPerTenant: codeFailuresPerTenant, lockoutMilliseconds: codeLockoutSeconds * 1000)
    }

    /// The file (every key optional), then the environment (`TANDEM_*`, one variable per setting), then the flags.
    public var signInLimits: SignInGuard.Limits {
        .init(failuresPerUser: signInFailuresPerUser, failuresPerAddress: signInFailuresPerAddress,
              lockoutMilliseconds: signInLockoutSeconds * 1000)
    }

    public static func load(file: String?, environment: [String: String], flags: ConfigurationFlags = .init()) throws
        -> ServiceConfiguration
    {
        var configuration = ServiceConfiguration()
        if let file {
            configuration = try JSONDecoder().decode(ServiceConfiguration.self,
                                                     from: try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        for variable in environmentVariables {
            guard let value = environment[variable.name] else { continue }
            guard variable.apply(&configuration, value) else {
                // The name only: a value may be a secret (TANDEM_TURN_SECRET).
                throw ConfigurationError.invalidEnvironment(variable.name)
            }
        }
        if let listen = flags.listen {
            configuration.host = listen.host
            configuration.port = listen.port
        }
        if let publicURL = flags.publicURL { configuration.publicURL = publicURL }
        if !flags.allowedOrigins.isEmpty { configuration.allowedOrigins = flags.allowedOrigins }
        if !flags.iceURLs.isEmpty { configuration.iceURLs = flags.iceURLs }
        return configuration
    }

    /// One `TANDEM_*` variable per setting; `apply` answers false for a value it cannot read.
    static let environmentVariables: [(name: String, apply: @Sendable (inout ServiceConfiguration, String) -> Bool)] = [
        ("TANDEM_LISTEN", { configuration, value in
            guard let listen = ListenAddress(value) else { return false }
            configuration.host = listen.host
            configuration.port = listen.port
            return true
        }),
        ("TANDEM_PUBLIC_URL", { $0.publicURL = $1; return true }),
        ("TANDEM_ALLOWED_ORIGINS", { $0.allowedOrigins = list($1); return true }),
        ("TANDEM_ICE_URLS", { $0.iceURLs = list($1); return true }),
        ("TANDEM_TURN_SECRET", { $0.turnSecret = $1; return true }),
        ("TANDEM_TURN_CREDENTIAL_LIFETIME_SECONDS", { set(&$0.turnCredentialLifetimeSeconds, $1) }),
        ("TANDEM_PASSWORD_ROUNDS", { set(&$0.passwordRounds, $1) }),
        ("TANDEM_ACCESS_TOKEN_LIFETIME_SECONDS", { set(&$0.accessTokenLifetimeSeconds, $1) }),
        ("TANDEM_GRANT_LIFETIME_SECONDS", { set(&$0.grantLifetimeSeconds, $1) }),
        ("TANDEM_CODE_FAILURES_PER_USER", { set(&$0.codeFailuresPerUser, $1) }),
        ("TANDEM_CODE_FAILURES_PER_ADDRESS", { set(&$0.codeFailuresPerAddress, $1) }),
        ("TANDEM_CODE_FAILURES_PER_TENANT", { set(&$0.codeFailuresPerTenant, $1) }),
        ("TANDEM_CODE_LOCKOUT_SECONDS", { set(&$0.codeLockoutSeconds, $1) }),
        ("TANDEM_SIGN_IN_FAILURES_PER_USER", { set(&$0.signInFailuresPerUser, $1) }),
        ("TANDEM_SIGN_IN_FAILURES_PER_ADDRESS", { set(&$0.signInFailuresPerAddress, $1) }),
        ("TANDEM_SIGN_IN_LOCKOUT_SECONDS", { set(&$0.signInLockoutSeconds, $1) }),
        ("TANDEM_JWKS_MINIMUM_REFRESH_SECONDS", { set(&$0.jwksMinimumRefreshSeconds, $1) }),
        ("TANDEM_TOKEN_SKEW_SECONDS", { set(&$0.tokenSkewSeconds, $1) }),
    ]

    static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func set<T: LosslessStringConvertible & Comparable & Numeric>(_ field: inout T, _ value: String) -> Bool {
        guard let number = T(value.trimmingCharacters(in: .whitespaces)), number >= 0 else { return false }
        field = number
        return true
    }
}

/// The settings command-line flags carry; a flag that is given replaces what the file and the environment said.
public struct ConfigurationFlags: Sendable {
    public var listen: ListenAddress?
    public var publicURL: String?
    public var allowedOrigins: [String]
    public var iceURLs: [String]

    public init(listen: ListenAddress? = nil, publicURL: String? = nil, allowedOrigins: [String] = [],
                iceURLs: [String] = []) {
        self.listen = listen
        self.publicURL = publicURL
        self.allowedOrigins = allowedOrigins
        self.iceURLs = iceURLs
    }
}

public enum ConfigurationError: Error, CustomStringConvertible {
    case invalidEnvironment(String)

    public var description: String {
        switch self {
        case .invalidEnvironment(let name): "the environment variable \(name) has a value the service cannot read"
        }
    }
}

/// `HOST:PORT` as `--listen` and `TANDEM_LISTEN` take it: a host name (`localhost`) or IPv4 address, or an IPv6
/// address in brackets (RFC 3986 §3.2.2, e.g. `[::1]:8443`), then a port from 0 to 65535.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            // RFC 1123 host names and dotted IPv4: letters, digits, hyphens and dots.
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
            else { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
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
