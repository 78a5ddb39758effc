import NIOCore
import NIOPosix
import PeerConnection
import SDP
import TandemRuntime

/// Offer → connected with two runtime `PeerConnection`s over real UDP sockets on 127.0.0.1.
enum RuntimeConnect {
    /// Milliseconds since createOffer at which each step finished.
    struct Sample {
        var offerGathered: Double
        var answerGathered: Double
        var answerApplied: Double
        var offererConnected: Double
        var answererConnected: Double
        var total: Double { Swift.max(offererConnected, answererConnected) }
    }

    /// With `group` nil the peers use the runtime's default (`PeerConnection.networkThread`).
    static func measure(iterations: Int, warmup: Int, group: (any EventLoopGroup)? = nil) async throws -> [Sample] {
        var samples: [Sample] = []
        for index in 0..<(warmup + iterations) {
            let sample = try await connectOnce(group: group)
            if index >= warmup { samples.append(sample) }
        }
        return samples
    }

    private static func connectOnce(group: (any EventLoopGroup)?) async throws -> Sample {
        // Certificates and sockets exist before the clock starts.
        let group = group ?? PeerConnection.networkThread
        let offerer = try await PeerConnection.create(group: group)
        let answerer = try await PeerConnection.create(group: group)
        _ = try await offerer.addTransceiver(.video)
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double { (clock.now - start).milliseconds }

        // As an application with non-trickle signaling: the implicit description (W3C webrtc-pc §4.4.1.5),
        // then the complete description once gathering is done.
        try await offerer.setLocalDescription()
        let offer = try await offerer.gatheringComplete()
        let offerGathered = elapsed()
        try await answerer.setRemoteDescription(offer)
        try await answerer.setLocalDescription()
        let answer = try await answerer.gatheringComplete()
        let answerGathered = elapsed()
        // Wait for both sides concurrently so that each records its own moment.
        async let offererConnected: Double = { try await offerer.connected(); return elapsed() }()
        async let answererConnected: Double = { try await answerer.connected(); return elapsed() }()
        try await offerer.setRemoteDescription(answer)
        let answerApplied = elapsed()
        let sample = Sample(offerGathered: offerGathered, answerGathered: answerGathered, answerApplied: answerApplied,
                            offererConnected: try await offererConnected, answererConnected: try await answererConnected)
        await offerer.close()
        await answerer.close()
        return sample
    }

    static func printPhases(_ samples: [Sample]) {
        print("")
        print("tandem runtime, medians of each step (ms since createOffer):")
        let steps: [(String, (Sample) -> Double)] = [
            ("offer set and gathered", \.offerGathered),
            ("answer set and gathered", \.answerGathered),
            ("answer applied at offerer", \.answerApplied),
            ("answerer connected", \.answererConnected),
            ("offerer connected", \.offererConnected),
        ]
        for (name, value) in steps {
            print("  \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(pad(format(Summary(samples.map(value)).median), 7))")
        }
    }
}
