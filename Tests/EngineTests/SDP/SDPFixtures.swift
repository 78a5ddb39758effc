import Foundation

/// Loads the captured descriptions in Tests/EngineTests/Fixtures/SDP (see Interop/tools/capture_sdp_*.py).
enum SDPFixtures {
    static let names = [
        "chromium-offer-video-data.sdp",
        "chromium-answer-video-data.sdp",
        "chromium-offer-audio-video.sdp",
        "aiortc-offer-video-data.sdp",
        "aiortc-answer-video-data.sdp",
    ]

    static func text(_ name: String) throws -> String {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/SDP")
        return try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }
}
