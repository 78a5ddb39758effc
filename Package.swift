// swift-tools-version:6.0
import PackageDescription

// MARK: - Signaling service (issue 5), owned by Signaling/. Declared before `package` (top-level
// globals of a manifest are initialised in order).
// Its server packages stay out of the engine targets so engine edits rebuild fast.
let signalingPackageDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
    .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
    .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
]

let signalingCommandDependencies: [Target.Dependency] = [
    "SignalingModel", "SignalingCore", "SignalingStore", "SignalingIdentity", "SignalingService",
    .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Metrics", package: "swift-metrics"),
    .product(name: "Prometheus", package: "swift-prometheus"),
]

let signalingTargets: [Target] = [
    // Plain Codable values: tenants, users, roles, devices, policies, sessions, audit records.
    .target(name: "SignalingModel", path: "Signaling/Sources/SignalingModel"),
    // Pure decisions: RBAC, conditional access, session codes, grants, audit chain, TURN credentials.
    .target(name: "SignalingCore", dependencies: [
        "SignalingModel", "TandemBase",
        .product(name: "Crypto", package: "swift-crypto"),
    ], path: "Signaling/Sources/SignalingCore"),
    // Tokens: JWT validation, OIDC discovery and JWKS, the built-in issuer, passwords, TOTP.
    .target(name: "SignalingIdentity", dependencies: [
        "SignalingModel", "SignalingCore", "TandemBase",
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
    ], path: "Signaling/Sources/SignalingIdentity"),
    // One Store interface; one SQL implementation over SQLite (embedded default) and PostgreSQL.
    .target(name: "SignalingStore", dependencies: [
        "SignalingModel", "SignalingCore",
        .product(name: "SQLKit", package: "sql-kit"),
        .product(name: "SQLiteKit", package: "sqlite-kit"),
        .product(name: "PostgresKit", package: "postgres-kit"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
    ], path: "Signaling/Sources/SignalingStore"),
    // The HTTP + WebSocket service.
    .target(name: "SignalingService", dependencies: [
        "SignalingModel", "SignalingCore", "SignalingIdentity", "SignalingStore", "TandemBase",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "JWTKit", package: "jwt-kit"),
    ], path: "Signaling/Sources/SignalingService"),
    .testTarget(name: "SignalingTests", dependencies: [
        "SignalingModel", "SignalingCore", "SignalingIdentity", "SignalingStore", "SignalingService", "TandemBase",
        .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SQLiteKit", package: "sqlite-kit"),
        .product(name: "PostgresKit", package: "postgres-kit"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
    ], path: "Signaling/Tests/SignalingTests"),
]

/// Engine modules are sans-IO protocol cores (design notes §2); only TandemRuntime and the
/// executables touch sockets, clocks and threads.
let package = Package(
    name: "Tandem",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tandem", targets: ["tandem"]),
        .executable(name: "tandem-bench", targets: ["tandem-bench"]),
        // Engine modules as libraries, for the fuzz package (Fuzz/) and for embedding.
        .library(name: "TandemBase", targets: ["TandemBase"]),
        .library(name: "STUN", targets: ["STUN"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "DTLS", targets: ["DTLS"]),
        .library(name: "SRTP", targets: ["SRTP"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "SCTP", targets: ["SCTP"]),
        .library(name: "DataChannel", targets: ["DataChannel"]),
        .library(name: "PeerConnection", targets: ["PeerConnection"]),
        .library(name: "Media", targets: ["Media"]),
        .library(name: "MediaTransport", targets: ["MediaTransport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ] + signalingPackageDependencies,
    targets: [
        // C libraries (one system-library target each) and the shims for what Swift cannot import.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .systemLibrary(name: "CSRTP", path: "Sources/CSRTP"),
        .target(name: "CTandemShims", dependencies: ["COpenSSL"], path: "Sources/CTandemShims",
                linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // Media (issue 4): libvpx, libopus, libyuv, zlib, and the shims for their macros and
        // variadic controls; the codec module and the sans-IO media transport (no libvpx).
        .systemLibrary(name: "CVPX", path: "Sources/CVPX"),
        .systemLibrary(name: "COpus", path: "Sources/COpus", pkgConfig: "opus"),
        .systemLibrary(name: "CYUV", path: "Sources/CYUV"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "CMediaShims", dependencies: ["CVPX", "COpus"], path: "Sources/CMediaShims"),
        .target(name: "Media", dependencies: ["CVPX", "COpus", "CYUV", "CZlib", "CMediaShims", "TandemBase"]),
        .target(name: "MediaTransport", dependencies: ["TandemBase", "RTP"]),

        // X11 (issue 4): Xlib with MIT-SHM, RandR and XTest, the shims for its macros, screen
        // capture, and the helper's viewer window.
        .systemLibrary(name: "CX11", path: "Sources/CX11"),
        .target(name: "CX11Shims", dependencies: ["CX11"], path: "Sources/CX11Shims"),
        .target(name: "ScreenCapture", dependencies: ["CX11", "CX11Shims", "Media"]),
        .target(name: "ScreenViewer", dependencies: ["CX11", "CX11Shims", "CYUV", "Media"]),

        // Protocol cores.
        .target(name: "TandemBase"),
        .target(name: "STUN", dependencies: ["TandemBase", "COpenSSL"]),
        .target(name: "ICE", dependencies: ["TandemBase", "STUN"]),
        .target(name: "DTLS", dependencies: ["TandemBase", "COpenSSL", "CTandemShims", "SRTP"]),
        .target(name: "SRTP", dependencies: ["TandemBase", "CSRTP"]),
        .target(name: "RTP", dependencies: ["TandemBase"]),
        .target(name: "SDP", dependencies: ["TandemBase"]),
        // SCTP association (RFC 9260, 8261, 3758, 6525); OpenSSL for the state cookie's HMAC.
        // Release builds skip the run-time exclusivity checks: the association is one class whose state
        // every packet mutates, and the checks cost about a tenth of the engine's CPU per packet
        // (`tandem-bench datachannel --engine-only`). One owner drives it and nothing calls back into it,
        // so overlapping accesses cannot arise at run time; the compile-time checks stay, and debug builds
        // (the tests) keep the run-time ones.
        .target(name: "SCTP", dependencies: ["TandemBase", "COpenSSL", "CTandemShims"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(name: "DataChannel", dependencies: ["TandemBase", "SCTP"]),
        .target(name: "PeerConnection", dependencies: ["TandemBase", "STUN", "ICE", "DTLS", "SRTP", "RTP", "SDP", "SCTP", "DataChannel", "MediaTransport"]),

        // An in-memory network on virtual time for tests and benchmarks of the sans-IO cores.
        .target(name: "NetworkSimulation", dependencies: ["TandemBase"]),

        // Runtime: sockets, timers and the async API around the sans-IO Peer.
        .target(name: "TandemRuntime", dependencies: [
            "TandemBase", "PeerConnection", "MediaTransport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "HTTPLite", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Capture → encode → send and receive → decode → show, off the network thread (design notes §2).
        .target(name: "MediaPipeline", dependencies: ["TandemRuntime", "Media", "MediaTransport", "TandemBase", "RTP",
                                                      "CVPX", "COpus", "CYUV", "CZlib", "CMediaShims",
                                                      .product(name: "NIOPosix", package: "swift-nio")]),
        // The WebRTC echo-test server and client (design notes §5).
        .target(name: "EchoPeer", dependencies: ["TandemRuntime", "HTTPLite", "SDP", "RTP", "MediaPipeline", "Media", "MediaTransport",
                                                 "ScreenCapture", "ScreenViewer", "CX11", "CX11Shims",
                                                 "CVPX", "COpus", "CYUV", "CZlib", "CMediaShims"]),

        // Command-line entry point.
        .executableTarget(name: "tandem", dependencies: [
            "EchoPeer", "PeerConnection", "DTLS", "TandemBase", "Media", "CVPX", "COpus", "CYUV", "CZlib", "CMediaShims", "CX11", "CX11Shims",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ] + signalingCommandDependencies),

        // Benchmarks against reference peers (BENCHMARKS.md).
        .executableTarget(name: "tandem-bench", dependencies: [
            "TandemRuntime", "PeerConnection", "DataChannel", "HTTPLite", "ICE", "DTLS", "SDP", "SRTP", "CSRTP", "TandemBase",
            "Media", "MediaPipeline", "CVPX", "COpus", "CYUV", "CZlib", "CMediaShims",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "EngineTests", dependencies: [
            "TandemBase", "STUN", "ICE", "DTLS", "SRTP", "RTP", "SDP", "SCTP", "DataChannel", "PeerConnection",
            "TandemRuntime", "HTTPLite", "EchoPeer", "NetworkSimulation",
            "Media", "MediaTransport", "MediaPipeline", "ScreenCapture", "ScreenViewer", "CX11", "CX11Shims",
        ], exclude: ["Fixtures"]),
    ] + signalingTargets,
    swiftLanguageModes: [.v6]
)
