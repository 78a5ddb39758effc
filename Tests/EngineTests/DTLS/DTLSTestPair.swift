import DTLS
import SRTP
import TandemBase

/// Two DTLS endpoints wired back to back in memory, on a virtual clock.
final class DTLSTestPair {
    let client: DTLSEndpoint
    let server: DTLSEndpoint
    let clientCertificate: DTLSCertificate
    let serverCertificate: DTLSCertificate
    var now = Instant.zero
    private(set) var clientEvents: [DTLSEvent] = []
    private(set) var serverEvents: [DTLSEvent] = []
    /// Every datagram sent, per side, with the time it left.
    private(set) var sentByClient: [(at: Instant, bytes: [UInt8])] = []
    private(set) var sentByServer: [(at: Instant, bytes: [UInt8])] = []
    /// Decides whether a datagram is lost: (from client?, index of that side's datagram) → drop.
    var drop: (_ fromClient: Bool, _ index: Int) -> Bool = { _, _ in false }

    init(
        clientCertificate: DTLSCertificate? = nil, serverCertificate: DTLSCertificate? = nil,
        clientProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80],
        serverProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80],
        clientExpects: DTLSFingerprint? = nil, serverExpects: DTLSFingerprint? = nil, mtu: Int = 1200
    ) throws {
        var generator = SeededGenerator(seed: 7)
        self.clientCertificate = try clientCertificate ?? DTLSCertificate(using: &generator)
        self.serverCertificate = try serverCertificate ?? DTLSCertificate(using: &generator)
        client = try DTLSEndpoint(role: .client, certificate: self.clientCertificate,
                                  remoteFingerprint: clientExpects ?? self.serverCertificate.fingerprint,
                                  mtu: mtu, srtpProfiles: clientProfiles)
        server = try DTLSEndpoint(role: .server, certificate: self.serverCertificate,
                                  remoteFingerprint: serverExpects ?? self.clientCertificate.fingerprint,
                                  mtu: mtu, srtpProfiles: serverProfiles)
    }

    func start() {
        server.start(at: now)
        client.start(at: now)
        deliver()
    }

    /// Moves datagrams between the endpoints (minus the dropped ones) until neither has anything to send.
    func deliver() {
        var moved = true
        while moved {
            moved = false
            while let datagram = client.pollTransmit() {
                moved = true
                let index = sentByClient.count
                sentByClient.append((now, datagram))
                if !drop(true, index) { server.handleDatagram(datagram, at: now) }
            }
            while let datagram = server.pollTransmit() {
                moved = true
                let index = sentByServer.count
                sentByServer.append((now, datagram))
                if !drop(false, index) { client.handleDatagram(datagram, at: now) }
            }
        }
        collectEvents()
    }

    /// Advances the virtual clock from deadline to deadline until `limit`, firing timers and delivering.
    func run(until limit: Instant) {
        while let next = [client.pollTimeout(), server.pollTimeout()].compactMap({ $0 }).min(), next <= limit {
            now = max(now, next)
            client.handleTimeout(at: now)
            server.handleTimeout(at: now)
            deliver()
        }
        now = max(now, limit)
    }

    func collectEvents() {
        while let event = client.pollEvent() { clientEvents.append(event) }
        while let event = server.pollEvent() { serverEvents.append(event) }
    }

    var clientConnected: DTLSConnectedInfo? { Self.connectedInfo(in: clientEvents) }
    var serverConnected: DTLSConnectedInfo? { Self.connectedInfo(in: serverEvents) }

    static func connectedInfo(in events: [DTLSEvent]) -> DTLSConnectedInfo? {
        for case let .connected(info) in events { return info }
        return nil
    }

    static func failure(in events: [DTLSEvent]) -> DTLSError? {
        for case let .failed(error) in events { return error }
        return nil
    }

    static func applicationData(in events: [DTLSEvent]) -> [[UInt8]] {
        events.compactMap { if case let .applicationData(bytes) = $0 { bytes } else { nil } }
    }
}
