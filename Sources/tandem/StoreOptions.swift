import ArgumentParser
import Logging
import SignalingStore

/// Where the signaling service keeps its data: `--data-dir DIR` (SQLite file inside) or `--database URL`.
struct StoreOptions: ParsableArguments {
    @Option(help: "Directory of the embedded SQLite database (tandem serve creates it if missing).")
    var dataDir: String?

    @Option(help: "Database URL instead of the data directory: postgres://user:pass@host:port/db or sqlite:PATH.")
    var database: String?

    func validate() throws {
        if dataDir == nil && database == nil { throw ValidationError("give --data-dir DIR or --database URL") }
    }

    func open(access: StoreFactory.Access = .readWrite, logger: Logger) async throws -> SQLStore {
        if let database { return try await StoreFactory.open(url: database, access: access, logger: logger) }
        return try await StoreFactory.open(dataDirectory: dataDir ?? ".", access: access, logger: logger)
    }
}
