import Prometheus

/// The service's Prometheus metrics, in a registry of its own (no global state), served at `/metrics`.
public struct ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let connections: Gauge
    let agentsOnline: Gauge
    let activeSessions: Gauge
    let sessionsStarted: Counter
    let messagesRelayed: Counter
    let signIns: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        connections = registry.makeGauge(descriptor: Self.name("websocket_connections", "count",
                                                              "Open WebSocket connections."))
        agentsOnline = registry.makeGauge(descriptor: Self.name("device_agents_online", "count",
                                                               "Device agents connected."))
        activeSessions = registry.makeGauge(descriptor: Self.name("sessions_active", "count", "Sessions under way."))
        sessionsStarted = registry.makeCounter(descriptor: Self.name("sessions_started", "total", "Sessions started."))
        messagesRelayed = registry.makeCounter(descriptor: Self.name("signal_messages_relayed", "total",
                                                                    "SDP and ICE messages relayed."))
        signIns = registry.makeCounter(descriptor: Self.name("sign_ins", "total", "Successful sign-ins."))
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tandem", metricName: metric, unitName: unit, helpText: help)
    }

    func refusal(_ code: String) {
        registry.makeCounter(descriptor: Self.name("refusals", "total", "Refusals by code."), labels: [("code", code)])
            .increment()
    }

    public func text() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
