import ArgumentParser
import Logging
import SignalingStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Signaling service audit log.",
        subcommands: [AuditVerifyCommand.self]
    )
}

/// Walks the hash chain; exits 0 when intact and 1 on the first sign of tampering.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the audit log's hash chain; exit non-zero if any record was edited, removed or reordered."
    )

    @OptionGroup var store: StoreOptions

    mutating func run() async throws {
        var logger = Logger(label: "tandem.audit")
        logger.logLevel = .warning
        let opened = try await store.open(logger: logger)
        let report = try await AuditVerification.verify(opened)
        try await opened.close()
        if let problem = report.problem {
            print("audit chain BROKEN after \(report.checked) good records: \(problem)")
            throw ExitCode(1)
        }
        print("audit chain intact: \(report.checked) records")
    }
}
