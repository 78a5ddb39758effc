import DTLS
import SRTP

/// Costs of single steps of connection set-up, measured alone, to explain the connect figures.
enum ConnectComponents {
    static func measureAndPrint(repeats: Int = 30) throws {
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
        print("")
        print("single steps alone (median of \(repeats), ms):")
        print("  SRTPSession init, no other libsrtp session alive   \(pad(format(srtpCold, decimals: 3), 7))")
        print("  SRTPSession init, another session alive           \(pad(format(srtpWarm, decimals: 3), 7))")
        print("  DTLSEndpoint init (SSL_CTX_new, SSL_new, BIO)      \(pad(format(endpoint, decimals: 3), 7))")
    }
}
