import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import SignalingCore
import SignalingIdentity
import SignalingModel
import SignalingStore

/// The signaling service: HTTP routes, the admin API, `/ws` for parties and device agents, a sweeper for timeouts
/// and retention. `run()` serves until graceful shutdown (SIGTERM/SIGINT in `tandem serve`, cancellation in tests).
public final class SignalingServer: Sendable {
    public let store: any Store
    public let hub: SessionHub
    public let identity: IdentityServices
    public let configuration: ServiceConfiguration
    public let clock: ServiceClock
    public let metrics: ServiceMetrics
    /// Sign-in lockouts and one-time use of TOTP codes for `/auth/token`.
    public let signInGuard: SignInGuard
    let logger: Logger

    public init(store: any Store, identity: IdentityServices, configuration: ServiceConfiguration,
                clock: ServiceClock = ServiceClock(), metrics: ServiceMetrics = ServiceMetrics(), logger: Logger) {
        self.store = store
        self.identity = identity
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.signInGuard = SignInGuard(limits: configuration.signInLimits)
        self.hub = SessionHub(store: store, identity: identity, configuration: configuration, clock: clock,
                              metrics: metrics, logger: logger)
    }

    /// The whole service: the HTTP application, then the session drain. Graceful shutdown (SIGTERM or SIGINT when
    /// `stopOnSignals`, or `triggerGracefulShutdown()`) reaches the drain first: live sessions end with reason
    /// `service_shutdown` and every WebSocket is closed, then the server stops (its quiescing closes idle HTTP
    /// connections but not upgraded ones). `onRunning` receives the bound port (useful with port 0).
    public func serviceGroup(stopOnSignals: Bool = false,
                             onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: [application(onRunning: onRunning), SessionDrain(hub: hub)],
                                          gracefulShutdownSignals: stopOnSignals ? [.sigterm, .sigint] : [],
                                          logger: logger))
    }

    /// Builds the Hummingbird application. Before it listens, sessions a previous run left open are closed.
    func application(onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router(context: SignalingRequestContext.self)
        // Request counts and durations through swift-metrics (a no-op unless the process bootstrapped a backend).
        router.add(middleware: MetricsMiddleware())
        addOperationalRoutes(router)
        addAuthRoutes(router)
        addAdminRoutes(router)
        addWebSocketRoute(router)
        var application = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: 1 << 16))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "tandem-signaling"),
            services: [Sweeper(server: self)],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        application.beforeServerStarts { [store, clock] in
            _ = try await SessionRecovery.closeInterrupted(store: store, clock: clock)
        }
        return application
    }

    /// `/health`, `/metrics` and the public key documents.
    func addOperationalRoutes(_ router: Router<SignalingRequestContext>) {
        router.get("/health") { _, _ -> Response in
            do {
                _ = try await self.store.setting("health")
                return HTTPReplies.json(["status": "ok"])
            } catch {
                return HTTPReplies.json(["status": "store unavailable"], status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            HTTPReplies.text(self.metrics.text(), contentType: "text/plain; version=0.0.4")
        }
        router.get("/.well-known/openid-configuration") { _, _ -> Response in
            HTTPReplies.json(["issuer": .string(self.identity.issuer.issuer),
                              "jwks_uri": .string(self.identity.issuer.issuer + "/.well-known/jwks.json"),
                              "token_endpoint": .string(self.identity.issuer.issuer + "/auth/token"),
                              "id_token_signing_alg_values_supported": ["ES256"]])
        }
        router.get("/.well-known/jwks.json") { _, _ -> Response in
            HTTPReplies.text(self.identity.issuer.key.publicJWKS, contentType: "application/json")
        }
        router.get("/.well-known/tandem-grant-keys") { _, _ -> Response in
            HTTPReplies.text(self.identity.grantKey.publicJWKS, contentType: "application/json")
        }
    }

    /// `/ws`: browsers must come from an allowed Origin; each connection is one principal.
    func addWebSocketRoute(_ router: Router<SignalingRequestContext>) {
        router.ws("/ws", shouldUpgrade: { request, context in
            let origins = request.headers[values: .origin]
            if !origins.isEmpty, !origins.allSatisfy(self.originAllowed) {
                let origin = origins.joined(separator: ", ")
                let refusal = Refusal(.originNotAllowed, "WebSocket connections from \(origin) are not allowed.")
                await self.hub.audit(tenantID: nil, actor: "anonymous@\(context.peerAddress)", action: "ws.upgrade",
                                     refusal: refusal, details: ["origin": origin])
                throw HTTPError(.forbidden, message: refusal.description)
            }
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let (id, outbox) = await self.hub.connect(address: context.requestContext.peerAddress)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in outbox {
                        do { try await outbound.write(.text(text)) } catch { break }
                    }
                    // The hub finished the outbox: the peer went away, or the service is shutting down (RFC 6455
                    // §7.4.1, 1001 going away).
                    try? await outbound.close(.goingAway, reason: nil)
                }
                do {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        if case .text(let text) = message { await self.hub.receive(id, text: text) }
                    }
                } catch {
                    context.logger.debug("websocket closed with error", metadata: ["error": "\(error)"])
                }
                await self.hub.disconnect(id)
            }
        })
    }

    /// Browsers send their page's `http(s)` origin: it must be the service's own or a configured one. Native
    /// WebSocket clients (such as swift-websocket's) send a `ws(s)://` origin that no browser page can have; the
    /// check exists against cross-site WebSocket hijacking in browsers, so those are let through.
    func originAllowed(_ origin: String) -> Bool {
        if origin.hasPrefix("ws://") || origin.hasPrefix("wss://") { return true }
        return origin == configuration.issuer || configuration.allowedOrigins.contains(origin)
    }
}

/// Waits for graceful shutdown, then ends every live session and closes every connection (`SessionHub.shutdown`).
/// Cancellation (no graceful shutdown) leaves the sessions to the next start's recovery.
struct SessionDrain: Service {
    let hub: SessionHub

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        await hub.shutdown()
    }
}

/// Ends timed-out sessions every second and applies retention every hour, until graceful shutdown.
struct Sweeper: Service {
    let server: SignalingServer

    func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        var lastRetention = ContinuousClock.now - .seconds(3600)
        while !Task.isCancelled {
            await server.hub.sweep()
            await server.signInGuard.purge(now: server.clock.milliseconds)
            if ContinuousClock.now - lastRetention >= .seconds(3600) {
                lastRetention = .now
                _ = try? await Retention.apply(store: server.store, now: server.clock)
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
