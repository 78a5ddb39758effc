// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for every parser that reads network or user input (design notes §6.7).
/// Built with `swift build --package-path Fuzz --sanitize=fuzzer`; each executable takes the
/// usual libFuzzer flags, e.g. `.build/debug/FuzzSTUN -max_total_time=60 corpus/`.
let fuzzTargets: [(name: String, module: String)] = [
    ("FuzzAddress", "TandemBase"),
]

let package = Package(
    name: "TandemFuzz",
    dependencies: [.package(name: "Tandem", path: "..")],
    targets: fuzzTargets.map { target in
        .executableTarget(
            name: target.name,
            dependencies: [.product(name: target.module, package: "Tandem")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
