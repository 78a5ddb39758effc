import DTLS
import Glibc
import NIOCore
import SRTP
import TandemBase
import TandemRuntime

/// Costs of single steps of connection set-up, measured alone, to explain the connect figures.
enum ConnectComponents {
    static func measureAndPrint(repeats: Int = 30) async throws {
        let clock = ContinuousClock()
        let local = try DTLSCertificate()
        let remote = try DTLSCertificate()
        let keys = [UInt8](repeating: 1, count: SRTPProtectionProfile.aeadAES128GCM.keyingMaterialLength)

        func median(_ body: () throws -> Void) rethrows -> Double {
            var samples: [Double] = []
            for _ in 0..<repeats { samples.append(try clock.measure(body).milliseconds) }
            return Summary(samples).median
        }
        // With no other SRTPSession alive, Debian's NSS-backed libsrtp starts NSS for the new session's
        // ciphers and shuts it down again when the last one is freed.
        let srtpCold = try median { _ = try SRTPSession(profile: .aeadAES128GCM, keyingMaterial: keys, role: .client) }
        let holder = try SRTPSession(profile: .aeadAES128GCM, keyingMaterial: keys, role: .server)
        let srtpWarm = try median { _ = try SRTPSession(profile: .aeadAES128GCM, keyingMaterial: keys, role: .client) }
        withExtendedLifetime(holder) {}
        let endpoint = try median {
            _ = try DTLSEndpoint(role: .server, certificate: local, remoteFingerprint: remote.fingerprint)
        }
        let handshake = try dtlsHandshakeMedian(local: local, remote: remote, repeats: repeats * 5)
        let handOffs = await measureHandOffs(repeats: repeats * 5)
        print("")
        print("single steps alone (median of \(repeats), ms):")
        print("  SRTPSession init, no other libsrtp session alive   \(pad(format(srtpCold, decimals: 3), 7))")
        print("  SRTPSession init, another session alive           \(pad(format(srtpWarm, decimals: 3), 7))")
        print("  DTLSEndpoint init (SSL_CTX_new, SSL_new, BIO)      \(pad(format(endpoint, decimals: 3), 7))")
        print("  DTLS handshake in memory, both sides, CPU (median of \(repeats * 5)) \(pad(format(handshake, decimals: 3), 7))")
        print("  hand-off pool → network thread → pool, median of \(repeats * 5):")
        for (name, value) in handOffs {
            print("    \(name.padding(toLength: 46, withPad: " ", startingAt: 0)) \(pad(format(value, decimals: 3), 7))")
        }
    }

    /// Both sides of one DTLS handshake (RFC 6347 §4.2.4: two flights each way), datagrams passed in
    /// memory, contexts built beforehand as the Peer does: the handshake's CPU time (this thread's, so a
    /// busy machine does not count), without ICE or sockets.
    static func dtlsHandshakeMedian(local: DTLSCertificate, remote: DTLSCertificate, repeats: Int) throws -> Double {
        let clientContext = try DTLSContext(certificate: local)
        let serverContext = try DTLSContext(certificate: remote)
        var samples: [Double] = []
        for _ in 0..<repeats {
            let client = try DTLSEndpoint(role: .client, context: clientContext, remoteFingerprint: remote.fingerprint)
            let server = try DTLSEndpoint(role: .server, context: serverContext, remoteFingerprint: local.fingerprint)
            let start = threadCPUMilliseconds()
            client.start(at: .zero)
            var connected = 0
            var moved = true
            while connected < 2 && moved {
                moved = false
                for (from, to) in [(client, server), (server, client)] {
                    while let datagram = from.pollTransmit() { to.handleDatagram(datagram, at: .zero); moved = true }
                }
                for endpoint in [client, server] {
                    while let event = endpoint.pollEvent() {
                        guard case .connected = event else { throw DTLSError.handshakeFailed("\(event)") }
                        connected += 1
                    }
                }
            }
            guard connected == 2 else { throw DTLSError.handshakeFailed("the in-memory handshake stalled") }
            samples.append(threadCPUMilliseconds() - start)
        }
        return Summary(samples).median
    }

    private static func threadCPUMilliseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1_000 + Double(time.tv_nsec) / 1e6
    }

    /// An empty closure run on the runtime's network thread from a task on Swift's concurrency pool, and
    /// the task resumed with its result: what every public `PeerConnection` call costs beyond its work.
    /// Each hand-off follows a 1 ms pause, so that both threads have gone idle, as between the calls of a
    /// connection set-up.
    private static func measureHandOffs(repeats: Int) async -> [(String, Double)] {
        let loop = PeerConnection.networkThread
        let clock = ContinuousClock()
        var submit: [Double] = []
        var continuation: [Double] = []
        for _ in 0..<repeats {
            // Alternating, so both see the same machine.
            try? await Task.sleep(for: .milliseconds(1))
            let start = clock.now
            _ = try? await loop.submit { 1 }.get()
            let middle = clock.now
            try? await Task.sleep(for: .milliseconds(1))
            let resumed = clock.now
            _ = await withCheckedContinuation { (resumed: CheckedContinuation<Int, Never>) in loop.execute { resumed.resume(returning: 1) } }
            let end = clock.now
            submit.append((middle - start).milliseconds)
            continuation.append((end - resumed).milliseconds)
        }
        return [("EventLoop.submit + future.get()", Summary(submit).median),
                ("withCheckedContinuation + EventLoop.execute", Summary(continuation).median)]
    }
}
