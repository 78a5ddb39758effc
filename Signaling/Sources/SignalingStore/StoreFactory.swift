import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit

/// Opens the store a command line names: the SQLite file in a data directory (the embedded default) or a
/// `postgres://` / `postgresql://` URL. A writable store is migrated before it is returned; a read-only one (for
/// `tandem audit verify`) must already exist with the current schema and is never written to.
public enum StoreFactory {
    public static let databaseFileName = "tandem.sqlite"

    public enum Access: Sendable {
        case readWrite
        case readOnly
    }

    public static func open(dataDirectory: String, access: Access = .readWrite, logger: Logger) async throws -> SQLStore {
        let path = (dataDirectory as NSString).appendingPathComponent(databaseFileName)
        if access == .readWrite {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        }
        return try await openSQLite(path: path, access: access, logger: logger)
    }

    public static func open(url: String, access: Access = .readWrite, logger: Logger) async throws -> SQLStore {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await openPostgres(url: url, access: access, logger: logger)
        }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            return try await openSQLite(path: path, access: access, logger: logger)
        }
        throw StoreError.unsupportedDatabaseURL(url)
    }

    static func openPostgres(url: String, access: Access, logger: Logger) async throws -> SQLStore {
        let configuration = try SQLPostgresConfiguration(url: url)
        var connections: [PostgresConnection] = []
        func closeAll() async throws { for connection in connections { try await connection.close() } }
        do {
            // Two connections for a writable store: documents, and the audit chain's transactions (SQLStore).
            for id in 1...(access == .readWrite ? 2 : 1) {
                connections.append(try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.coreConfiguration,
                    id: id, logger: logger))
            }
            let databases = connections.map { $0.sql(queryLogLevel: nil) }
            let store = SQLStore(database: databases[0], auditDatabase: databases[databases.count - 1],
                                 close: { [connections] in for connection in connections { try await connection.close() } })
            switch access {
            case .readWrite:
                try await store.migrate()
            case .readOnly:
                // The server refuses any write in this session.
                try await databases[0].raw("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").run()
                try await store.requireCurrentSchema()
            }
            return store
        } catch {
            try? await closeAll()
            throw error
        }
    }

    static func openSQLite(path: String, access: Access, logger: Logger) async throws -> SQLStore {
        var connections: [SQLiteConnection] = []
        do {
            switch access {
            case .readWrite:
                // Two connections: documents, and the audit chain's transactions (SQLStore, which also takes
                // turns between their writes so that they never wait for each other inside SQLite).
                for _ in 0..<2 { connections.append(try await SQLiteConnection.open(storage: .file(path: path), logger: logger)) }
                // WAL keeps readers and the single writer out of each other's way; a busy timeout rides out brief
                // locks (another process's). synchronous=NORMAL in WAL mode survives a crash of
                // the service (committed records are in the WAL); only a power loss may drop the last commits, the
                // usual trade-off for an embedded server database.
                _ = try await connections[0].query("PRAGMA journal_mode=WAL")
                for connection in connections {
                    _ = try await connection.query("PRAGMA synchronous=NORMAL")
                    _ = try await connection.query("PRAGMA busy_timeout=5000")
                }
            case .readOnly:
                guard FileManager.default.fileExists(atPath: path) else { throw StoreError.databaseMissing(path) }
                // A URI filename with mode=ro (SQLite "URI Filenames" §3.1): SQLite itself refuses every write and
                // never creates the file.
                connections.append(try await SQLiteConnection.open(storage: .file(path: readOnlyURI(path)), logger: logger))
                _ = try await connections[0].query("PRAGMA busy_timeout=5000")
            }
            // No query logging: sql-kit would log every statement with its bound values at debug level, and those
            // include signing keys, TOTP secrets and password hashes (secrets never reach logs, design notes §4).
            let databases = connections.map { $0.sql(queryLogLevel: nil) }
            let store = SQLStore(database: databases[0], auditDatabase: databases[databases.count - 1],
                                 close: { [connections] in for connection in connections { try await connection.close() } })
            switch access {
            case .readWrite: try await store.migrate()
            case .readOnly: try await store.requireCurrentSchema()
            }
            return store
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
    }

    /// `file:` URI of a path (RFC 3986 percent-encoding of the characters a URI filename treats specially).
    static func readOnlyURI(_ path: String) -> String {
        let absolute = (path as NSString).isAbsolutePath ? path
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        var escaped = ""
        for character in absolute {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            default: escaped.append(character)
            }
        }
        return "file:\(escaped)?mode=ro"
    }
}
