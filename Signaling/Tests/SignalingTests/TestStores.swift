import Foundation
import Logging
import PostgresKit
import SQLiteKit
import SignalingStore
import Testing

/// The stores every store test runs against: SQLite always, PostgreSQL when `TANDEM_TEST_POSTGRES_URL` is set.
enum TestBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [TestBackend] {
        ProcessInfo.processInfo.environment["TANDEM_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }

    static var quietLogger: Logger {
        var logger = Logger(label: "tandem.test")
        logger.logLevel = .critical
        return logger
    }

    /// A fresh, empty store; for SQLite also the file's path (so tests can tamper with it or reopen it).
    func makeStore(logger: Logger = quietLogger) async throws -> (store: SQLStore, location: String) {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory.make()
            return (try await StoreFactory.open(dataDirectory: directory, logger: logger), directory)
        case .postgres:
            let url = ProcessInfo.processInfo.environment["TANDEM_TEST_POSTGRES_URL"] ?? ""
            try await Self.dropTables(url: url)
            return (try await StoreFactory.open(url: url, logger: logger), url)
        }
    }

    /// Opens the same database again (a restart).
    func reopen(_ location: String) async throws -> SQLStore {
        switch self {
        case .sqlite: try await StoreFactory.open(dataDirectory: location, logger: Self.quietLogger)
        case .postgres: try await StoreFactory.open(url: location, logger: Self.quietLogger)
        }
    }

    /// Opens the same database read-only, as `tandem audit verify` does.
    func reopenReadOnly(_ location: String) async throws -> SQLStore {
        switch self {
        case .sqlite: try await StoreFactory.open(dataDirectory: location, access: .readOnly, logger: Self.quietLogger)
        case .postgres: try await StoreFactory.open(url: location, access: .readOnly, logger: Self.quietLogger)
        }
    }

    /// Runs a statement behind the store's back, as an attacker with file or database access would.
    func tamper(_ location: String, _ statement: String) async throws {
        switch self {
        case .sqlite:
            let path = (location as NSString).appendingPathComponent(StoreFactory.databaseFileName)
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: Self.quietLogger)
            _ = try await connection.query(statement)
            try await connection.close()
        case .postgres:
            let connection = try await Self.connect(url: location)
            do {
                try await connection.sql().raw(SQLQueryString(statement)).run()
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
    }

    static func connect(url: String) async throws -> PostgresConnection {
        let configuration = try SQLPostgresConfiguration(url: url)
        return try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 9,
                                                    logger: quietLogger)
    }

    static func dropTables(url: String) async throws {
        let connection = try await connect(url: url)
        do {
            for table in ["schema_migrations", "documents", "sessions", "audit", "audit_anchor", "audit_head", "settings"] {
                try await connection.sql().raw(SQLQueryString("DROP TABLE IF EXISTS \(table)")).run()
            }
        } catch {
            try? await connection.close()  // PostgresNIO asserts that a connection is closed before it goes away
            throw error
        }
        try await connection.close()
    }
}

enum TemporaryDirectory {
    static func make() throws -> String {
        let path = NSTemporaryDirectory() + "tandem-signaling-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
