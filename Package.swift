// swift-tools-version:6.0
import PackageDescription

/// Engine modules are sans-IO protocol cores (design notes §2); only TandemRuntime and the
/// executables touch sockets, clocks and threads.
let package = Package(
    name: "Tandem",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tandem", targets: ["tandem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries (one system-library target each) and the shims for what Swift cannot import.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .systemLibrary(name: "CSRTP", path: "Sources/CSRTP"),
        .target(name: "CTandemShims", dependencies: ["COpenSSL"], path: "Sources/CTandemShims",
                linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // Protocol cores.
        .target(name: "TandemBase"),
        .target(name: "STUN", dependencies: ["TandemBase", "COpenSSL"]),
        .target(name: "ICE", dependencies: ["TandemBase", "STUN"]),
        .target(name: "DTLS", dependencies: ["TandemBase", "COpenSSL", "CTandemShims", "SRTP"]),
        .target(name: "SRTP", dependencies: ["TandemBase", "CSRTP"]),
        .target(name: "RTP", dependencies: ["TandemBase"]),
        .target(name: "SDP", dependencies: ["TandemBase"]),
        .target(name: "PeerConnection", dependencies: ["TandemBase", "STUN", "ICE", "DTLS", "SRTP", "RTP", "SDP"]),

        // Command-line entry point.
        .executableTarget(name: "tandem", dependencies: [
            "PeerConnection",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "EngineTests", dependencies: [
            "TandemBase", "STUN", "ICE", "DTLS", "SRTP", "RTP", "SDP", "PeerConnection",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
