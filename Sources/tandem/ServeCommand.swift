import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SignalingIdentity
import SignalingService
import SignalingStore
import TandemBase

/// `tandem serve`: the signaling service on the embedded SQLite default or PostgreSQL.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the signaling service (HTTP admin API, /ws for parties and device agents, /health, /metrics)."
    )

    @Option(help: "Address and port to listen on.")
    var listen = "127.0.0.1:8443"

    @OptionGroup var store: StoreOptions

    @Option(help: "JSON configuration file (flags and TANDEM_* environment variables override it).")
    var config: String?

    @Option(help: "Public base URL of the service (token issuer, default allowed Origin).")
    var publicURL: String?

    @Option(help: "Extra allowed browser Origin for /ws (repeatable).")
    var allowedOrigin: [String] = []

    @Option(help: "STUN/TURN URL handed to parties (repeatable), e.g. turn:relay.example:3478.")
    var iceURL: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    mutating func run() async throws {
        guard let address = TransportAddress(listen) else {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8443")
        }
        var configuration = try ServiceConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment)
        configuration.host = address.ip.description
        configuration.port = Int(address.port)
        if let publicURL { configuration.publicURL = publicURL }
        configuration.allowedOrigins += allowedOrigin
        configuration.iceURLs += iceURL

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
        if let password = outcome.firstAdminPassword {
            printLine("""
                First start: created tenant "default" (Remote Help off) and its administrator.
                Sign in as the first admin:
                  curl -s -X POST http://\(listen)/auth/token -H 'content-type: application/json' \\
                    -d '{"tenant":"default","username":"admin","password":"\(password)"}'
                or: tandem admin tenants list --url http://\(listen) --tenant default --username admin --password '\(password)'
                This password is shown once; change it with tandem admin users set-password.
                """)
        }
        // Library metrics (HTTP requests from Hummingbird's middleware) go to the service's own registry.
        let metrics = ServiceMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        let server = SignalingServer(store: opened, identity: outcome.identity, configuration: configuration,
                                     clock: clock, metrics: metrics, logger: logger)
        let application = server.application(onRunning: { port in
            printLine("signaling service listening on http://\(address.ip):\(port) (WebSocket /ws)")
        })
        do { try await application.runService() } catch {
            // e.g. the port is taken: close the database before reporting.
            try? await opened.close()
            throw error
        }
        try await opened.close()
    }
}
