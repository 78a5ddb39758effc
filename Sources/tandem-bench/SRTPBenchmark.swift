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
        print("profile               operation   direct libsrtp  SRTPSession value  SRTPSession inout   value/direct  inout/direct  (packets/s)")
        for profile in [SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80] {
            let bench = SRTPRates(profile: profile, packets: packets, size: size)
            try bench.checkSameOutput()
            for operation in SRTPRates.Operation.allCases {
                var direct: [Double] = [], value: [Double] = [], inout_: [Double] = []
                for _ in 0..<repeats {
                    direct.append(try bench.rate(operation, .direct))
                    value.append(try bench.rate(operation, .sessionValue))
                    inout_.append(try bench.rate(operation, .sessionInout))
                }
                let (d, v, i) = (Summary(direct).median, Summary(value).median, Summary(inout_).median)
                print("\(profile.openSSLName.padding(toLength: 22, withPad: " ", startingAt: 0))\(operation.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(pad(format(d, decimals: 0), 15)) \(pad(format(v, decimals: 0), 18)) \(pad(format(i, decimals: 0), 18)) \(pad(format(v / d * 100, decimals: 1), 13)) % \(pad(format(i / d * 100, decimals: 1), 11)) %")
            }
        }
    }

    private func libsrtpVersion() -> String {
        guard let version = srtp_get_version_string() else { return "libsrtp2" }
        return String(cString: version)
    }
}

/// One profile's measurements. Every run uses fresh sessions and a fresh stream of sequence numbers 1…N.
struct SRTPRates {
    enum Operation: String, CaseIterable { case protect, unprotect }
    /// `sessionValue` is the form the Peer calls (`protectRTP(_:) -> [UInt8]`); `sessionInout` the in-place one.
    enum Subject { case direct, sessionValue, sessionInout }

    let profile: SRTPProtectionProfile
    let packets: Int
    let size: Int
    let keyingMaterial: [UInt8]
    /// Packets are prepared (outside the clock) and timed in batches of this many.
    let batch = 4096

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

    /// Packets per second for one run.
    func rate(_ operation: Operation, _ subject: Subject) throws -> Double {
        let elapsed: Duration = switch (operation, subject) {
        case (.protect, .direct): try directProtect()
        case (.unprotect, .direct): try directUnprotect()
        case (.protect, _): try sessionProtect(inPlace: subject == .sessionInout)
        case (.unprotect, _): try sessionUnprotect(inPlace: subject == .sessionInout)
        }
        return Double(packets) / (elapsed.milliseconds / 1_000)
    }

    /// srtp_protect in a tight loop over one buffer, rewriting only the header.
    private func directProtect() throws -> Duration {
        let sender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        var buffer = [UInt8](repeating: 0xAB, count: size + DirectLibSRTP.trailerRoom)
        let clock = ContinuousClock()
        var failure = srtp_err_status_ok
        let elapsed = clock.measure {
            buffer.withUnsafeMutableBytes { bytes in
                for sequence in 1...packets {
                    DirectLibSRTP.writeHeader(bytes.baseAddress!, sequence: sequence)
                    var length = Int32(size)
                    let status = srtp_protect(sender.session, bytes.baseAddress, &length)
                    if status != srtp_err_status_ok { failure = status; return }
                }
            }
        }
        guard failure == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "srtp_protect: \(failure)") }
        return elapsed
    }

    /// srtp_unprotect in a tight loop over packets protected beforehand (outside the clock), batch by batch.
    private func directUnprotect() throws -> Duration {
        let sender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        let receiver = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: true)
        let stride = size + DirectLibSRTP.trailerRoom
        var storage = [UInt8](repeating: 0xAB, count: stride * batch)
        var lengths = [Int32](repeating: 0, count: batch)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        var failure = srtp_err_status_ok
        var sequence = 1
        while sequence <= packets, failure == srtp_err_status_ok {
            let count = min(batch, packets - sequence + 1)
            storage.withUnsafeMutableBytes { bytes in
                for index in 0..<count {
                    let packet = bytes.baseAddress! + index * stride
                    DirectLibSRTP.writeHeader(packet, sequence: sequence + index)
                    lengths[index] = Int32(size)
                    let status = srtp_protect(sender.session, packet, &lengths[index])
                    if status != srtp_err_status_ok { failure = status; return }
                }
                elapsed += clock.measure {
                    lengths.withUnsafeMutableBufferPointer { lengths in
                        for index in 0..<count {
                            let status = srtp_unprotect(receiver.session, bytes.baseAddress! + index * stride, &lengths[index])
                            if status != srtp_err_status_ok { failure = status; return }
                        }
                    }
                }
            }
            sequence += count
        }
        guard failure == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "libsrtp: \(failure)") }
        return elapsed
    }

    /// `SRTPSession.protectRTP` on fresh plaintext arrays prepared outside the clock.
    private func sessionProtect(inPlace: Bool) throws -> Duration {
        let session = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        var protectedBytes = 0
        var sequence = 1
        while sequence <= packets {
            let count = min(batch, packets - sequence + 1)
            var batchPackets = (0..<count).map { plainPacket(sequence: sequence + $0) }
            let started = clock.now
            if inPlace {
                for index in 0..<count {
                    try session.protectRTP(&batchPackets[index])
                }
                elapsed += clock.now - started
                protectedBytes += batchPackets[count - 1].count
            } else {
                for packet in batchPackets {
                    protectedBytes += try session.protectRTP(packet).count
                }
                elapsed += clock.now - started
            }
            sequence += count
        }
        guard protectedBytes > 0 else { throw DirectLibSRTP.Failure(description: "nothing protected") }
        return elapsed
    }

    /// `SRTPSession.unprotectRTP` on packets protected beforehand, each in an array of its own exact size
    /// (as a datagram arrives from a socket).
    private func sessionUnprotect(inPlace: Bool) throws -> Duration {
        let sender = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let receiver = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .server)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        var plainBytes = 0
        var sequence = 1
        while sequence <= packets {
            let count = min(batch, packets - sequence + 1)
            var batchPackets = try (0..<count).map { Array(try sender.protectRTP(plainPacket(sequence: sequence + $0))) }
            let started = clock.now
            if inPlace {
                for index in 0..<count {
                    try receiver.unprotectRTP(&batchPackets[index])
                }
                elapsed += clock.now - started
                plainBytes += batchPackets[count - 1].count
            } else {
                for packet in batchPackets {
                    plainBytes += try receiver.unprotectRTP(packet).count
                }
                elapsed += clock.now - started
            }
            sequence += count
        }
        guard plainBytes > 0 else { throw DirectLibSRTP.Failure(description: "nothing unprotected") }
        return elapsed
    }
}
