import ArgumentParser
import Foundation

/// Runs Interop/bench_video_aiortc.py: the same screen-video call between two aiortc peers.
enum AiortcVideo {
    struct Figures: Decodable {
        var median: Double
        var p90: Double?
        var p99: Double?
        var max: Double
        var min: Double?
    }

    /// The script's last JSON line.
    struct Result: Decodable {
        var peer: String
        var glassToGlass: Figures
        var fps: Double
        var firstPicture: Figures
        var staticKbps: Double
        var staticWireKbps: Double

        enum CodingKeys: String, CodingKey {
            case peer, fps
            case glassToGlass = "glass_to_glass_ms"
            case firstPicture = "first_picture_ms"
            case staticKbps = "static_kbps"
            case staticWireKbps = "static_wire_kbps"
        }
    }

    static func measure(arguments: [String], python: String?) throws -> Result {
        let roots = PackageRoot.candidates
        guard let script = roots.map({ $0 + "/Interop/bench_video_aiortc.py" }).first(where: FileManager.default.fileExists(atPath:)) else {
            throw ValidationError("Interop/bench_video_aiortc.py not found under \(roots.joined(separator: " or "))")
        }
        let interpreter = python ?? roots.map { $0 + "/.venv/bin/python" }.first(where: FileManager.default.isExecutableFile(atPath:))
        guard let interpreter else {
            throw ValidationError("no .venv/bin/python under \(roots.joined(separator: " or ")); run scripts/setup or pass --aiortc-python")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [script] + arguments
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
