import ArgumentParser
import CSRTP
import SRTP
import TandemBase

/// `tandem-bench srtp`: SRTP protect and unprotect rates of `SRTPSession` against libsrtp2 called directly.
struct SRTPBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srtp",
        abstract: "SRTP protect/unprotect packets/s: SRTPSession versus libsrtp2 called directly (same keys, sizes, profile)."
    )

    @Option(help: "Packets per measurement.")
    var packets = 200_000

    @Option(help: "RTP packet size in bytes, header included.")
    var size = 1200

    @Option(help: "Measurements per figure; the median is reported.")
    var repeats = 5

    mutating func validate() throws {
        guard packets > 0, repeats > 0 else { throw ValidationError("--packets and --repeats must be positive") }
        guard size >= 12 else { throw ValidationError("--size must hold the 12-byte RTP header") }
    }

    mutating func run() throws {
        print("srtp: \(packets) packets of \(size) B, median of \(repeats) runs, \(libsrtpVersion())")
        print("SRTPSession is called as the Peer calls it: protectRTP(_:) / unprotectRTP(_:) returning a new array.")
        print("profile                 operation   direct libsrtp   SRTPSession  Swift/direct   gap ns/pkt  wrapper-only ns/pkt   fix shape  fix/direct")
        for profile in [SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80] {
            let bench = SRTPRates(profile: profile, packets: packets, size: size)
            try bench.checkSameOutput()
            for operation in SRTPRates.Operation.allCases {
                var direct: [Double] = [], session: [Double] = [], wrapper: [Double] = [], copying: [Double] = []
                for _ in 0..<repeats {
                    let rates = try bench.rates(operation)
                    direct.append(rates.direct)
                    session.append(rates.session)
                    copying.append(rates.copying)
                    wrapper.append(bench.wrapperOnlyNanoseconds())
                }
                let (d, v, c) = (Summary(direct).median, Summary(session).median, Summary(copying).median)
                let gap = 1e9 / v - 1e9 / d
                print("\(profile.openSSLName.padding(toLength: 24, withPad: " ", startingAt: 0))\(operation.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(pad(format(d, decimals: 0), 15)) \(pad(format(v, decimals: 0), 13)) \(pad(format(v / d * 100, decimals: 1), 12)) % \(pad(format(gap, decimals: 0), 12)) \(pad(format(Summary(wrapper).median, decimals: 0), 20)) \(pad(format(c, decimals: 0), 11)) \(pad(format(c / d * 100, decimals: 1), 9)) %")
            }
        }
        print("(gap = 1/Swift rate − 1/direct rate; wrapper-only = the array work SRTPSession does around libsrtp, without libsrtp;")
        print(" fix shape = libsrtp into one new exact-size array per packet, copy once, no append/removeLast)")
    }

    private func libsrtpVersion() -> String {
        guard let version = srtp_get_version_string() else { return "libsrtp2" }
        return String(cString: version)
    }
}

/// One profile's measurements. Every run uses fresh sessions and a fresh stream of sequence numbers 1…N.
struct SRTPRates {
    enum Operation: String, CaseIterable { case protect, unprotect }

    let profile: SRTPProtectionProfile
    let packets: Int
    let size: Int
    let keyingMaterial: [UInt8]
    /// Packets are prepared (outside the clock) and timed in batches of this many: small enough (about
    /// 80 KB) to stay in cache like the single hot buffer of the direct protect loop.
    let batch = 64

    init(profile: SRTPProtectionProfile, packets: Int, size: Int) {
        self.profile = profile
        self.packets = packets
        self.size = size
        var random = SeededGenerator(seed: 7)
        keyingMaterial = random.bytes(profile.keyingMaterialLength)
    }

    /// The client's send key ‖ salt (RFC 5764 §4.2 layout), which `SRTPSession(role: .client)` protects with.
    var clientKeyAndSalt: [UInt8] {
        let key = profile.masterKeyLength, salt = profile.masterSaltLength
        return Array(keyingMaterial[0..<key]) + Array(keyingMaterial[2 * key..<2 * key + salt])
    }

    /// Both subjects must do the same work: the same packet protects to the same bytes.
    func checkSameOutput() throws {
        let direct = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        var buffer = [UInt8](repeating: 0xAB, count: size + DirectLibSRTP.trailerRoom)
        var length = Int32(size)
        let status = buffer.withUnsafeMutableBytes { bytes in
            DirectLibSRTP.writeHeader(bytes.baseAddress!, sequence: 1)
            return srtp_protect(direct.session, bytes.baseAddress, &length)
        }
        guard status == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "srtp_protect: \(status)") }
        let session = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let viaSession = try session.protectRTP(plainPacket(sequence: 1))
        guard viaSession == Array(buffer.prefix(Int(length))) else {
            throw DirectLibSRTP.Failure(description: "\(profile): SRTPSession and direct libsrtp disagree on the protected packet")
        }
    }

    func plainPacket(sequence: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { bytes, count in
            bytes.initialize(repeating: 0xAB)
            DirectLibSRTP.writeHeader(bytes.baseAddress!, sequence: sequence)
            count = size
        }
    }

    /// Packets per second of libsrtp called directly and of `SRTPSession`, in one run that alternates
    /// between the two batch by batch, so that both see the same machine (other load, clock speed).
    ///
    /// `copying` is libsrtp called the way the proposed fix would call it: one new array of exactly
    /// packet + trailer room per packet, the packet copied in once, libsrtp in place, the count set to its
    /// result (`Array(unsafeUninitializedCapacity:)`), with no append of trailer zeros and no removeLast.
    func rates(_ operation: Operation) throws -> (direct: Double, session: Double, copying: Double) {
        let (direct, session, copying) = switch operation {
        case .protect: try protectBoth()
        case .unprotect: try unprotectBoth()
        }
        func rate(_ elapsed: Duration) -> Double { Double(packets) / (elapsed.milliseconds / 1_000) }
        return (rate(direct), rate(session), rate(copying))
    }

    /// libsrtp on a new exact-size array holding a copy of `packet` (the shape of the proposed fix).
    @inline(__always)
    private func transformCopy(_ packet: [UInt8], _ session: OpaquePointer,
                               _ transform: (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: packet.count + DirectLibSRTP.trailerRoom) { buffer, initialized in
            packet.withUnsafeBufferPointer { source in
                _ = buffer.initialize(fromContentsOf: source)
            }
            var length = Int32(packet.count)
            let status = transform(session, buffer.baseAddress, &length)
            initialized = status == srtp_err_status_ok ? Int(length) : 0
        }
    }

    /// Direct: srtp_protect in a tight loop over one buffer, rewriting only the header. Session:
    /// `SRTPSession.protectRTP(_:)` on fresh plaintext arrays prepared outside the clock.
    private func protectBoth() throws -> (Duration, Duration, Duration) {
        let sender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        let copyingSender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        var copying = Duration.zero
        let session = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        var buffer = [UInt8](repeating: 0xAB, count: size + DirectLibSRTP.trailerRoom)
        let clock = ContinuousClock()
        var (direct, viaSession) = (Duration.zero, Duration.zero)
        var failure = srtp_err_status_ok
        var protectedBytes = 0
        var sequence = 1
        while sequence <= packets {
            let count = min(batch, packets - sequence + 1)
            let first = sequence
            direct += clock.measure {
                buffer.withUnsafeMutableBytes { bytes in
                    for sequence in first..<first + count {
                        DirectLibSRTP.writeHeader(bytes.baseAddress!, sequence: sequence)
                        var length = Int32(size)
                        let status = srtp_protect(sender.session, bytes.baseAddress, &length)
                        if status != srtp_err_status_ok { failure = status; return }
                    }
                }
            }
            guard failure == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "srtp_protect: \(failure)") }
            let batchPackets = (0..<count).map { plainPacket(sequence: first + $0) }
            let started = clock.now
            for packet in batchPackets {
                protectedBytes += try session.protectRTP(packet).count
            }
            viaSession += clock.now - started
            let copyStarted = clock.now
            for packet in batchPackets {
                protectedBytes += transformCopy(packet, copyingSender.session, srtp_protect).count
            }
            copying += clock.now - copyStarted
            sequence += count
        }
        guard protectedBytes > 0 else { throw DirectLibSRTP.Failure(description: "nothing protected") }
        return (direct, viaSession, copying)
    }

    /// Both unprotect packets protected beforehand (outside the clock): direct in place in one contiguous
    /// buffer, the session from arrays of their exact size (as a datagram arrives from a socket).
    private func unprotectBoth() throws -> (Duration, Duration, Duration) {
        let copyingSender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        let copyingReceiver = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: true)
        var copying = Duration.zero
        let directSender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        let directReceiver = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: true)
        let sessionSender = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let sessionReceiver = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .server)
        let stride = size + DirectLibSRTP.trailerRoom
        var storage = [UInt8](repeating: 0xAB, count: stride * batch)
        var lengths = [Int32](repeating: 0, count: batch)
        let clock = ContinuousClock()
        var (direct, viaSession) = (Duration.zero, Duration.zero)
        var failure = srtp_err_status_ok
        var plainBytes = 0
        var sequence = 1
        while sequence <= packets {
            let count = min(batch, packets - sequence + 1)
            let first = sequence
            storage.withUnsafeMutableBytes { bytes in
                for index in 0..<count {
                    let packet = bytes.baseAddress! + index * stride
                    DirectLibSRTP.writeHeader(packet, sequence: first + index)
                    lengths[index] = Int32(size)
                    let status = srtp_protect(directSender.session, packet, &lengths[index])
                    if status != srtp_err_status_ok { failure = status; return }
                }
                direct += clock.measure {
                    lengths.withUnsafeMutableBufferPointer { lengths in
                        for index in 0..<count {
                            let status = srtp_unprotect(directReceiver.session, bytes.baseAddress! + index * stride, &lengths[index])
                            if status != srtp_err_status_ok { failure = status; return }
                        }
                    }
                }
            }
            guard failure == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "libsrtp: \(failure)") }
            let batchPackets = try (0..<count).map { Array(try sessionSender.protectRTP(plainPacket(sequence: first + $0))) }
            let started = clock.now
            for packet in batchPackets {
                plainBytes += try sessionReceiver.unprotectRTP(packet).count
            }
            viaSession += clock.now - started
            let copyPackets = (0..<count).map { transformCopy(plainPacket(sequence: first + $0), copyingSender.session, srtp_protect) }
            let copyStarted = clock.now
            for packet in copyPackets {
                plainBytes += transformCopy(packet, copyingReceiver.session, srtp_unprotect).count
            }
            copying += clock.now - copyStarted
            sequence += count
        }
        guard plainBytes > 0 else { throw DirectLibSRTP.Failure(description: "nothing unprotected") }
        return (direct, viaSession, copying)
    }

    /// Nanoseconds per packet of the array work `SRTPSession.protectRTP(_:)` does around libsrtp, mirrored
    /// step by step without the libsrtp call: copy on `var buffer = packet`, appending the trailer room
    /// (which reallocates), the header check, `removeLast`, and freeing the result.
    func wrapperOnlyNanoseconds() -> Double {
        let template = plainPacket(sequence: 1)
        let trailer = DirectLibSRTP.trailerRoom
        let resultLength = size + (profile == .aeadAES128GCM ? 16 : 10)  // tag: RFC 7714 §14.2, RFC 3711 §8.2
        let clock = ContinuousClock()
        var total = 0
        let elapsed = clock.measure {
            for _ in 0..<packets {
                var buffer = template
                guard buffer.count >= 12, buffer[0] >> 6 == 2 else { return }
                buffer.append(contentsOf: repeatElement(0, count: trailer))
                buffer.withUnsafeMutableBytes { opaqueTouch($0.baseAddress) }
                buffer.removeLast(buffer.count - resultLength)
                total += buffer.count
            }
        }
        precondition(total > 0)
        return elapsed.milliseconds * 1e6 / Double(packets)
    }
}

/// Keeps the optimizer from dropping the buffer work in `wrapperOnlyNanoseconds`.
@inline(never)
func opaqueTouch(_ pointer: UnsafeMutableRawPointer?) {
    pointer?.storeBytes(of: 1, toByteOffset: 1, as: UInt8.self)
}
