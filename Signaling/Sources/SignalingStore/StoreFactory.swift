import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit

/// Opens the store a command line names: the SQLite file in a data directory (the embedded default) or a
/// `postgres://` / `postgresql://` URL. The schema is migrated before the store is returned.
public enum StoreFactory {
    public static let databaseFileName = "tandem.sqlite"

    public static func open(dataDirectory: String, logger: Logger) async throws -> SQLStore {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try await openSQLite(path: (dataDirectory as NSString).appendingPathComponent(databaseFileName),
                                    logger: logger)
    }

    public static func open(url: String, logger: Logger) async throws -> SQLStore {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let configuration = try SQLPostgresConfiguration(url: url)
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.coreConfiguration,
                id: 1, logger: logger)
            let store = SQLStore(database: connection.sql(queryLogLevel: nil), close: { try await connection.close() })
            do { try await store.migrate() } catch {
                try? await connection.close()
                throw error
            }
            return store
        }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            return try await openSQLite(path: path, logger: logger)
        }
        throw StoreError.unsupportedDatabaseURL(url)
    }

    static func openSQLite(path: String, logger: Logger) async throws -> SQLStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        // WAL keeps readers and the single writer out of each other's way; a busy timeout rides out brief locks.
        // synchronous=NORMAL in WAL mode survives a crash of the service (committed records are in the WAL);
        // only a power loss may drop the last commits, the usual trade-off for an embedded server database.
        _ = try await connection.query("PRAGMA journal_mode=WAL")
        _ = try await connection.query("PRAGMA synchronous=NORMAL")
        _ = try await connection.query("PRAGMA busy_timeout=5000")
        let store = SQLStore(database: connection.sql(), close: { try await connection.close() })
        do { try await store.migrate() } catch {
            try? await connection.close()
            throw error
        }
        return store
    }
}
