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
        print("direct = libsrtp in place on one buffer; in place = SRTPSession.protectRTP(&buffer) on a reused buffer;")
        print("new array = SRTPSession.protectRTP(_:) returning a fresh array per packet. Packets/s:")
        print("profile                 operation   direct libsrtp    in place  in place/direct   new array  new array/direct")
        for profile in [SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80] {
            let bench = SRTPRates(profile: profile, packets: packets, size: size)
            try bench.checkSameOutput()
            for operation in SRTPRates.Operation.allCases {
                var direct: [Double] = [], inPlace: [Double] = [], newArray: [Double] = []
                for _ in 0..<repeats {
                    let rates = try bench.rates(operation)
                    direct.append(rates.direct)
                    inPlace.append(rates.inPlace)
                    newArray.append(rates.newArray)
                }
                let (d, i, n) = (Summary(direct).median, Summary(inPlace).median, Summary(newArray).median)
                print(profile.openSSLName.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + operation.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + " \(pad(format(d, decimals: 0), 15)) \(pad(format(i, decimals: 0), 11)) \(pad(format(i / d * 100, decimals: 1), 14)) %"
                      + " \(pad(format(n, decimals: 0), 11)) \(pad(format(n / d * 100, decimals: 1), 15)) %")
            }
        }
    }

    private func libsrtpVersion() -> String {
        guard let version = srtp_get_version_string() else { return "libsrtp2" }
        return String(cString: version)
    }
}

/// One profile's measurements. Every run uses fresh sessions and a fresh stream of sequence numbers 1…N,
/// and alternates between the subjects batch by batch so that all see the same machine.
struct SRTPRates {
    enum Operation: String, CaseIterable { case protect, unprotect }

    let profile: SRTPProtectionProfile
    let packets: Int
    let size: Int
    let keyingMaterial: [UInt8]
    /// Packets are prepared outside the clock and timed in batches of this many (about 80 KB, in cache).
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
        guard try session.protectRTP(plainPacket(sequence: 1)) == Array(buffer.prefix(Int(length))) else {
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

    func rates(_ operation: Operation) throws -> (direct: Double, inPlace: Double, newArray: Double) {
        let (direct, inPlace, newArray) = switch operation {
        case .protect: try protectAll()
        case .unprotect: try unprotectAll()
        }
        func rate(_ elapsed: Duration) -> Double { Double(packets) / (elapsed.milliseconds / 1_000) }
        return (rate(direct), rate(inPlace), rate(newArray))
    }

    /// Direct and in place each protect one reused buffer, rewriting only the header per packet;
    /// the new-array form protects fresh plaintext arrays prepared outside the clock.
    private func protectAll() throws -> (Duration, Duration, Duration) {
        let sender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        let inPlaceSession = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let newArraySession = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        var directBuffer = [UInt8](repeating: 0xAB, count: size + DirectLibSRTP.trailerRoom)
        var reused = plainPacket(sequence: 0)
        reused.reserveCapacity(size + SRTPSession.maximumTrailerLength)
        let clock = ContinuousClock()
        var (direct, inPlace, newArray) = (Duration.zero, Duration.zero, Duration.zero)
        var failure = srtp_err_status_ok
        var protectedBytes = 0
        var sequence = 1
        while sequence <= packets {
            let range = sequence..<min(sequence + batch, packets + 1)
            direct += clock.measure {
                directBuffer.withUnsafeMutableBytes { bytes in
                    for number in range {
                        DirectLibSRTP.writeHeader(bytes.baseAddress!, sequence: number)
                        var length = Int32(size)
                        let status = srtp_protect(sender.session, bytes.baseAddress, &length)
                        if status != srtp_err_status_ok { failure = status; return }
                    }
                }
            }
            guard failure == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "srtp_protect: \(failure)") }
            let started = clock.now
            for number in range {
                reused.removeLast(reused.count - size)
                reused.withUnsafeMutableBytes { DirectLibSRTP.writeHeader($0.baseAddress!, sequence: number) }
                try inPlaceSession.protectRTP(&reused)
                protectedBytes += reused.count
            }
            inPlace += clock.now - started
            let fresh = range.map { plainPacket(sequence: $0) }
            let freshStarted = clock.now
            for packet in fresh { protectedBytes += try newArraySession.protectRTP(packet).count }
            newArray += clock.now - freshStarted
            sequence = range.upperBound
        }
        guard protectedBytes > 0 else { throw DirectLibSRTP.Failure(description: "nothing protected") }
        return (direct, inPlace, newArray)
    }

    /// Packets protected beforehand (outside the clock): direct unprotects them in place in one contiguous
    /// buffer, in place unprotects each arriving array in place, new array returns a fresh plaintext array.
    private func unprotectAll() throws -> (Duration, Duration, Duration) {
        let directSender = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: false)
        let directReceiver = try DirectLibSRTP(profile: profile, keyAndSalt: clientKeyAndSalt, inbound: true)
        let sender = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let secondSender = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .client)
        let inPlaceReceiver = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .server)
        let newArrayReceiver = try SRTPSession(profile: profile, keyingMaterial: keyingMaterial, role: .server)
        let stride = size + DirectLibSRTP.trailerRoom
        var storage = [UInt8](repeating: 0xAB, count: stride * batch)
        var lengths = [Int32](repeating: 0, count: batch)
        let clock = ContinuousClock()
        var (direct, inPlace, newArray) = (Duration.zero, Duration.zero, Duration.zero)
        var failure = srtp_err_status_ok
        var plainBytes = 0
        var sequence = 1
        while sequence <= packets {
            let range = sequence..<min(sequence + batch, packets + 1)
            storage.withUnsafeMutableBytes { bytes in
                for (index, number) in range.enumerated() {
                    let packet = bytes.baseAddress! + index * stride
                    DirectLibSRTP.writeHeader(packet, sequence: number)
                    lengths[index] = Int32(size)
                    let status = srtp_protect(directSender.session, packet, &lengths[index])
                    if status != srtp_err_status_ok { failure = status; return }
                }
                direct += clock.measure {
                    lengths.withUnsafeMutableBufferPointer { lengths in
                        for index in 0..<range.count {
                            let status = srtp_unprotect(directReceiver.session, bytes.baseAddress! + index * stride, &lengths[index])
                            if status != srtp_err_status_ok { failure = status; return }
                        }
                    }
                }
            }
            guard failure == srtp_err_status_ok else { throw DirectLibSRTP.Failure(description: "libsrtp: \(failure)") }
            // Two sets with storage of their own (same bytes, from a second sender with the same keys):
            // unprotecting in place must not pay a copy-on-write for a shared buffer.
            var arriving = try range.map { try sender.protectRTP(plainPacket(sequence: $0)) }
            let copies = try range.map { try secondSender.protectRTP(plainPacket(sequence: $0)) }
            let started = clock.now
            for index in arriving.indices {
                try inPlaceReceiver.unprotectRTP(&arriving[index])
                plainBytes += arriving[index].count
            }
            inPlace += clock.now - started
            let freshStarted = clock.now
            for packet in copies { plainBytes += try newArrayReceiver.unprotectRTP(packet).count }
            newArray += clock.now - freshStarted
            sequence = range.upperBound
        }
        guard plainBytes > 0 else { throw DirectLibSRTP.Failure(description: "nothing unprotected") }
        return (direct, inPlace, newArray)
    }
}
