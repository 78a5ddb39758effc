import COpenSSL
import CTandemShims
import SRTP
import TandemBase

/// One DTLS 1.2 association (RFC 6347) over OpenSSL, sans-IO: the owner feeds received datagrams and timer
/// expiries with the current virtual time and drains datagrams, events and the next deadline.
///
/// Single owner, not thread-safe: OpenSSL objects and the error queue are used only from the calling thread.
public final class DTLSEndpoint {
    public let role: DTLSRole
    /// The largest datagram this endpoint writes (UDP payload bytes).
    public let mtu: Int
    public let remoteFingerprint: DTLSFingerprint

    private enum State { case idle, handshaking, connected, closed, failed }

    private var state: State = .idle
    private let context: DTLSContext
    private let ssl: OpaquePointer  // SSL
    private let datagramBIO: DatagramBIO
    private let channel: DatagramChannel
    private var events: [DTLSEvent] = []
    /// Room for the largest plaintext record (2^14 bytes, RFC 5246 §6.2.1), reused for every read.
    private var readBuffer = [UInt8](repeating: 0, count: 16384)
    private var retransmission: RetransmissionTimer
    private let handshakeTimeout: Duration
    private var handshakeDeadline: Instant?
    /// Set by OpenSSL's timer callback when it starts the timer for a new flight.
    fileprivate var newFlightStarted = false
    /// Set by the verify callback: the fingerprint of the peer's certificate, matching `remoteFingerprint` or not.
    fileprivate var verifiedFingerprint: DTLSFingerprint?
    fileprivate var rejectedFingerprint: DTLSFingerprint?

    /// - Parameters:
    ///   - role: `.client` sends the ClientHello (`a=setup:active`), `.server` answers it.
    ///   - remoteFingerprint: the peer's `a=fingerprint` from authenticated signaling; the handshake fails
    ///     unless the peer's certificate hashes to it (RFC 5763 §5).
    ///   - mtu: largest datagram to write, UDP payload bytes.
    ///   - srtpProfiles: use_srtp offer, most preferred first (RFC 5764 §4.1.1).
    ///   - initialRetransmitTimeout: first handshake retransmission timeout (RFC 6347 §4.2.4.1).
    ///   - handshakeTimeout: virtual time from `start` after which an incomplete handshake fails.
    public convenience init(
        role: DTLSRole, certificate: DTLSCertificate, remoteFingerprint: DTLSFingerprint, mtu: Int = 1200,
        srtpProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80],
        initialRetransmitTimeout: Duration = .seconds(1), handshakeTimeout: Duration = .seconds(30)
    ) throws(DTLSError) {
        try self.init(role: role, context: DTLSContext(certificate: certificate, srtpProfiles: srtpProfiles),
                      remoteFingerprint: remoteFingerprint, mtu: mtu,
                      initialRetransmitTimeout: initialRetransmitTimeout, handshakeTimeout: handshakeTimeout)
    }

    /// An endpoint made from a context built beforehand (see `DTLSContext`).
    public init(
        role: DTLSRole, context: DTLSContext, remoteFingerprint: DTLSFingerprint, mtu: Int = 1200,
        initialRetransmitTimeout: Duration = .seconds(1), handshakeTimeout: Duration = .seconds(30)
    ) throws(DTLSError) {
        guard DTLSFingerprint.digestLengths[remoteFingerprint.algorithm] == remoteFingerprint.bytes.count else {
            throw .invalidFingerprint("\(remoteFingerprint.algorithm) digest of \(remoteFingerprint.bytes.count) bytes")
        }
        OpenSSLErrorQueue.clear()
        let channel = DatagramChannel(mtu: mtu)
        let datagramBIO = try DatagramBIO(channel: channel)
        guard let ssl = SSL_new(context.context) else {
            BIO_free(datagramBIO.bio)
            datagramBIO.freeMethod()
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "SSL_new failed"))
        }
        SSL_set_bio(ssl, datagramBIO.bio, datagramBIO.bio)  // one BIO for both directions, owned by `ssl`
        self.role = role
        self.mtu = mtu
        self.remoteFingerprint = remoteFingerprint
        self.context = context
        self.ssl = ssl
        self.datagramBIO = datagramBIO
        self.channel = channel
        self.retransmission = RetransmissionTimer(initialTimeout: initialRetransmitTimeout)
        self.handshakeTimeout = handshakeTimeout

        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        DTLS_set_timer_cb(ssl, openSSLTimerDuration)
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        guard tandem_dtls_set_link_mtu(ssl, mtu) == 1 else {
            throw .openSSL("MTU \(mtu) is below OpenSSL's minimum DTLS link MTU")
        }
    }

    deinit {
        SSL_free(ssl)  // frees the BIO too
        datagramBIO.freeMethod()
    }

    // MARK: Input

    /// Begins the handshake: the client sends its ClientHello; the server starts its handshake time limit.
    public func start(at now: Instant) {
        guard state == .idle else { return }
        state = .handshaking
        handshakeDeadline = now + handshakeTimeout
        if role == .client { advance(at: now) }
    }

    /// One received UDP datagram whose first byte is in 20...63 (RFC 7983). Invalid records are dropped
    /// silently (RFC 6347 §4.1.2.7); a fatal alert or handshake error ends the association with `.failed`.
    /// An empty datagram is dropped here: OpenSSL would take a zero-length read for end of file. A server
    /// that was not started yet starts on its first datagram; a client drops datagrams until `start`.
    public func handleDatagram(_ bytes: [UInt8], at now: Instant) {
        guard !bytes.isEmpty else { return }
        if state == .idle && role == .server { start(at: now) }
        guard state == .handshaking || state == .connected else { return }
        channel.receive(bytes)
        advance(at: now)
        channel.discardIncoming()
    }

    /// Retransmits the outstanding flight when its virtual timer expired; fails the handshake at its time limit.
    public func handleTimeout(at now: Instant) {
        guard state == .handshaking else { return }
        if let handshakeDeadline, now >= handshakeDeadline {
            fail(.handshakeTimeout)
            return
        }
        guard retransmission.hasExpired(at: now) else { return }
        guard channel.expireOpenSSLTimer() else {
            retransmission.disarm()
            return
        }
        OpenSSLErrorQueue.clear()
        let result = tandem_dtls_handle_timeout(ssl)
        channel.flush()
        if result < 0 {
            fail(.handshakeFailed(OpenSSLErrorQueue.drain(fallback: "retransmission failed")))
        } else if result == 0 {
            // OpenSSL did not see the deadline we moved; its timer internals differ from OpenSSL 3.0's.
            fail(.handshakeFailed("OpenSSL ignored the retransmission deadline (\(String(cString: OpenSSL_version(OPENSSL_VERSION))))"))
        } else {
            retransmission.backOff(at: now)
        }
    }

    /// Encrypts `applicationData` into one record, sent in one datagram. An empty payload sends nothing
    /// (OpenSSL writes no empty application-data records). A failure inside OpenSSL both throws and ends
    /// the association with `.failed`.
    public func send(_ applicationData: [UInt8]) throws(DTLSError) {
        guard state == .connected else { throw .notConnected }
        guard !applicationData.isEmpty else { return }
        let limit = maximumApplicationDataSize
        guard applicationData.count <= limit else { throw .recordTooLarge(size: applicationData.count, limit: limit) }
        OpenSSLErrorQueue.clear()
        let written = applicationData.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        channel.flush()
        guard written == applicationData.count else {
            let reason = OpenSSLErrorQueue.drain(fallback: "SSL_write returned \(written)")
            fail(.connectionFailed(reason))
            throw .connectionFailed(reason)
        }
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and stops; further input is ignored.
    public func close() {
        guard state == .handshaking || state == .connected else { return }
        OpenSSLErrorQueue.clear()
        SSL_shutdown(ssl)
        channel.flush()
        state = .closed
        retransmission.disarm()
    }

    /// The largest application payload that still fits one record in one datagram of `mtu` bytes.
    public var maximumApplicationDataSize: Int {
        state == .connected ? Int(DTLS_get_data_mtu(ssl)) : 0
    }

    // MARK: Output

    /// The next datagram to send: exactly one UDP payload of at most `mtu` bytes.
    public func pollTransmit() -> [UInt8]? { channel.popOutgoing() }

    public func pollEvent() -> DTLSEvent? { events.isEmpty ? nil : events.removeFirst() }

    /// When `handleTimeout` should next be called; nil when nothing is pending (no flight outstanding).
    public func pollTimeout() -> Instant? {
        guard state == .handshaking else { return nil }
        return retransmission.deadline.earliest(handshakeDeadline)
    }

    // MARK: Driving OpenSSL

    private func advance(at now: Instant) {
        if state == .handshaking { continueHandshake(at: now) }
        if state == .connected { readApplicationData() }
        channel.flush()
    }

    private func continueHandshake(at now: Instant) {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            retransmission.disarm()
            completeHandshake()
            return
        }
        let error = SSL_get_error(ssl, result)
        guard error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE else {
            channel.flush()  // the alert OpenSSL wrote still goes out
            if let rejectedFingerprint {
                OpenSSLErrorQueue.clear()
                fail(.fingerprintMismatch(expected: remoteFingerprint, actual: rejectedFingerprint))
            } else {
                fail(.handshakeFailed(OpenSSLErrorQueue.drain(fallback: "SSL_do_handshake error \(error)")))
            }
            return
        }
        if newFlightStarted {
            newFlightStarted = false
            retransmission.arm(at: now)
        } else if !channel.openSSLTimerRunning {
            retransmission.disarm()
        }
    }

    private func completeHandshake() {
        // The verify callback accepted the certificate of this handshake, the only one (no renegotiation,
        // no resumption); a handshake that completed without it fails (RFC 5763 §5).
        guard let actual = verifiedFingerprint else {
            SSL_shutdown(ssl)
            fail(.fingerprintMismatch(expected: remoteFingerprint, actual: nil))
            return
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = SRTPProtectionProfile(dtlsProfileID: UInt16(truncatingIfNeeded: selected.pointee.id))
        else {
            fail(.handshakeFailed("the peer negotiated no SRTP protection profile (use_srtp, RFC 5764 §4.1.1)"))
            return
        }
        var keyingMaterial = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
        let label = "EXTRACTOR-dtls_srtp"  // RFC 5764 §4.2
        let exported = SSL_export_keying_material(ssl, &keyingMaterial, keyingMaterial.count, label, label.utf8.count, nil, 0, 0)
        guard exported == 1 else {
            fail(.handshakeFailed(OpenSSLErrorQueue.drain(fallback: "exporting SRTP keying material failed")))
            return
        }
        state = .connected
        events.append(.connected(DTLSConnectedInfo(srtpProfile: profile, srtpKeyingMaterial: keyingMaterial, remoteFingerprint: actual)))
    }

    private func readApplicationData() {
        while state == .connected {
            OpenSSLErrorQueue.clear()
            let count = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                events.append(.applicationData(Array(readBuffer.prefix(Int(count)))))
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                SSL_shutdown(ssl)  // answer close_notify with our own (RFC 5246 §7.2.1)
                state = .closed
                events.append(.closed)
            case let error:
                fail(.connectionFailed(OpenSSLErrorQueue.drain(fallback: "SSL_read error \(error)")))
            }
        }
    }

    private func fail(_ error: DTLSError) {
        state = .failed
        retransmission.disarm()
        handshakeDeadline = nil
        events.append(.failed(error))
    }

    /// The endpoint behind an `SSL*` in an OpenSSL callback (ex-data slot 0, set in `init`).
    fileprivate static func owner(of ssl: OpaquePointer?) -> DTLSEndpoint? {
        guard let ssl, let pointer = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<DTLSEndpoint>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Verify callback decision for the peer's own certificate (the leaf; certificates above it carry no trust).
    fileprivate func acceptsPeerCertificate(_ certificate: OpaquePointer) -> Bool {
        guard let actual = try? DTLSCertificate.fingerprint(of: certificate, algorithm: remoteFingerprint.algorithm) else {
            rejectedFingerprint = DTLSFingerprint(algorithm: remoteFingerprint.algorithm, bytes: [])
            return false
        }
        guard ConstantTime.equal(actual.bytes, remoteFingerprint.bytes) else {
            rejectedFingerprint = actual
            return false
        }
        verifiedFingerprint = actual
        return true
    }
}

/// OpenSSL's duration for its own retransmission timer, in microseconds. One hour keeps the wall-clock timer
/// from ever firing by itself; `DTLSEndpoint.handleTimeout` expires it when the virtual deadline passes.
/// A call with `previous == 0` means OpenSSL starts the timer for a freshly sent flight.
private func openSSLTimerDuration(_ ssl: OpaquePointer?, _ previous: UInt32) -> UInt32 {
    if previous == 0 { DTLSEndpoint.owner(of: ssl)?.newFlightStarted = true }
    return 3_600_000_000
}

/// Accepts the peer's self-signed certificate exactly when its fingerprint matches the one from signaling
/// (RFC 5763 §5, RFC 8827 §6.5). Set with `SSL_CTX_set_cert_verify_callback`, it replaces OpenSSL's
/// `X509_verify_cert`: building and checking a chain to a trust anchor means nothing for such a certificate.
func verifyPeerCertificate(_ store: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let store,
          let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
          let endpoint = DTLSEndpoint.owner(of: OpaquePointer(sslPointer)),
          let certificate = X509_STORE_CTX_get0_cert(store)
    else { return 0 }
    if endpoint.acceptsPeerCertificate(certificate) { return 1 }
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
    return 0
}
