import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SignalingIdentity
import SignalingService
import SignalingStore

/// `tandem serve`: the signaling service on the embedded SQLite default or PostgreSQL.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the signaling service (HTTP admin API, /ws for parties and device agents, /health, /metrics)."
    )

    @Option(help: "HOST:PORT to listen on, e.g. 127.0.0.1:8443, localhost:8443, [::1]:8443 (default: the configuration file's host and port, else 127.0.0.1:8443).")
    var listen: String?

    @OptionGroup var store: StoreOptions

    @Option(help: "JSON configuration file (TANDEM_* environment variables and flags override it).")
    var config: String?

    @Option(help: "Public base URL of the service (token issuer, default allowed Origin).")
    var publicURL: String?

    @Option(help: "Allowed browser Origin for /ws (repeatable; replaces the file's and the environment's list).")
    var allowedOrigin: [String] = []

    @Option(help: "STUN/TURN URL handed to parties (repeatable; replaces the file's and the environment's list), e.g. turn:relay.example:3478.")
    var iceURL: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8443, localhost:8443 or [::1]:8443")
        }
    }

    mutating func run() async throws {
        let flags = ConfigurationFlags(listen: listen.flatMap(ListenAddress.init), publicURL: publicURL,
                                       allowedOrigins: allowedOrigin, iceURLs: iceURL)
        let configuration = try ServiceConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment,
                                                          flags: flags)

        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tandem.signaling")
        let opened = try await store.open(logger: logger)
        let jwks = JWKSCache(minimumRefreshIntervalSeconds: configuration.jwksMinimumRefreshSeconds)
        let clock = ServiceClock()
        let outcome = try await Bootstrap.prepare(store: opened, configuration: configuration, clock: clock, jwks: jwks)
        let url = configuration.issuer
        if let password = outcome.firstAdminPassword {
            printLine("""
                First start: created tenant "default" (Remote Help off) and its administrator.
                Sign in as the first admin:
                  curl -s -X POST \(url)/auth/token -H 'content-type: application/json' \\
                    -d '{"tenant":"default","username":"admin","password":"\(password)"}'
                or: tandem admin tenants list --url \(url) --tenant default --username admin --password '\(password)'
                This password is shown once; change it with tandem admin users set-password.
                """)
        }
        // Library metrics (HTTP requests from Hummingbird's middleware) go to the service's own registry.
        let metrics = ServiceMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        let server = SignalingServer(store: opened, identity: outcome.identity, configuration: configuration,
                                     clock: clock, metrics: metrics, logger: logger)
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let service = server.serviceGroup(stopOnSignals: true, onRunning: { port in
            printLine("signaling service listening on http://\(host):\(port) (WebSocket /ws)")
        })
        do { try await service.run() } catch {
            // e.g. the port is taken: close the database before reporting.
            try? await opened.close()
            throw error
        }
        try await opened.close()
        printLine("signaling service stopped")
    }
}
