// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for every parser that reads network or user input (design notes §6.7).
/// Built with `swift build --package-path Fuzz --sanitize=fuzzer` (or `scripts/fuzz build`); each
/// executable takes the usual libFuzzer flags, e.g. `.build/debug/FuzzRTP -max_total_time=60 corpus/`.
/// Adding a target: one line here, one file `Sources/<name>/<name>.swift`, seeds in `Corpus/<name>/`.
let fuzzTargets: [(name: String, module: String)] = [
    ("FuzzAddress", "TandemBase"),
    ("FuzzRTP", "RTP"),
    ("FuzzRTCP", "RTP"),
    ("FuzzVP8", "RTP"),
    ("FuzzIVF", "RTP"),
    ("FuzzDatagram", "RTP"),
    ("FuzzSDP", "SDP"),
    ("FuzzSDPMessage", "SDP"),
    ("FuzzSTUN", "STUN"),
    ("FuzzICECandidate", "ICE"),
    ("FuzzDTLS", "DTLS"),
    ("FuzzDCEP", "DataChannel"),
    ("FuzzSCTPPacket", "SCTP"),
    ("FuzzTransportFeedback", "MediaTransport"),
    ("FuzzJitterBuffer", "MediaTransport"),
    ("FuzzWAV", "Media"),
]

/// SwiftPM names a path dependency after its directory, so a checkout directory called "fuzz"
/// would clash with this package; `scripts/fuzz` then points here through a symlink.
let tandemPath = Context.environment["TANDEM_PACKAGE_PATH"] ?? ".."

let package = Package(
    name: "TandemFuzz",
    dependencies: [.package(name: "Tandem", path: tandemPath)],
    targets: fuzzTargets.map { target in
        .executableTarget(
            name: target.name,
            dependencies: [.product(name: target.module, package: "Tandem")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
