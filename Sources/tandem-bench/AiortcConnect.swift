import ArgumentParser
import Foundation

/// Runs Interop/bench_connect_aiortc.py, the same offer → connected measurement between two aiortc peers.
enum AiortcConnect {
    /// The script's one JSON line.
    struct Result: Decodable {
        var peer: String
        var iterations: Int
        var samplesMs: [Double]

        enum CodingKeys: String, CodingKey {
            case peer
            case iterations
            case samplesMs = "samples_ms"
        }
    }

    static func measure(iterations: Int, warmup: Int, python: String?) throws -> Result {
        let roots = PackageRoot.candidates
        guard let script = roots.map({ $0 + "/Interop/bench_connect_aiortc.py" }).first(where: FileManager.default.fileExists(atPath:)) else {
            throw ValidationError("Interop/bench_connect_aiortc.py not found under \(roots.joined(separator: " or "))")
        }
        let interpreter = python ?? roots.map { $0 + "/.venv/bin/python" }.first(where: FileManager.default.isExecutableFile(atPath:))
        guard let interpreter else {
            throw ValidationError("no .venv/bin/python under \(roots.joined(separator: " or ")); run scripts/setup or pass --aiortc-python")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [script, "--iterations", String(iterations), "--warmup", String(warmup)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(interpreter) \(script) exited with status \(process.terminationStatus)")
        }
        let lastLine = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return try JSONDecoder().decode(Result.self, from: Data(lastLine.utf8))
    }
}

/// Where the package lives: the working directory, and the checkout this binary was built from.
enum PackageRoot {
    static var candidates: [String] {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let working = FileManager.default.currentDirectoryPath
        return working == source ? [working] : [working, source]
    }
}
