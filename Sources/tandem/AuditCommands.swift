import ArgumentParser
import Foundation
import Logging
import SignalingStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Signaling service audit log.",
        subcommands: [AuditVerifyCommand.self]
    )
}

/// Walks the hash chain on a read-only connection; exits 0 when intact, 1 on the first sign of tampering and 2 when
/// there is no Tandem database to check.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the audit log's hash chain; exit non-zero if any record was edited, removed or reordered.",
        discussion: """
            Opens the database read-only and never migrates it. Exit status: 0 intact, 1 tampered, \
            2 no Tandem database at --data-dir / --database (or an unreadable one).

            The chain proves that no record was edited, removed or reordered, but someone who can write \
            to the database could replace the whole chain with a new one. Keep the head that a run \
            prints (sequence and hash) somewhere else, and pass it later as --expect-head: the record \
            with that sequence must still carry that hash.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("A head printed by an earlier run, kept outside the database: the chain must still hold it.",
                               valueName: "SEQUENCE:HASH"),
            transform: { text in
                guard let known = AuditVerification.KnownRecord(text) else {
                    throw ValidationError("--expect-head takes SEQUENCE:HASH as printed by tandem audit verify")
                }
                return known
            })
    var expectHead: AuditVerification.KnownRecord?

    mutating func run() async throws {
        var logger = Logger(label: "tandem.audit")
        logger.logLevel = .warning
        let opened: SQLStore
        do {
            opened = try await store.open(access: .readOnly, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("tandem audit verify: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let report: AuditVerification.Report
        do {
            report = try await AuditVerification.verify(opened, expecting: expectHead)
        } catch {
            try? await opened.close()
            FileHandle.standardError.write(Data("tandem audit verify: could not read the audit log: \(error)\n".utf8))
            throw ExitCode(2)
        }
        try await opened.close()
        if let problem = report.problem {
            print("audit chain BROKEN after \(report.checked) good records: \(problem)")
            throw ExitCode(1)
        }
        let head = report.head.map { ", head \($0.sequence):\($0.hash)" } ?? ""
        let known = expectHead.map { "; record \($0.sequence) matches the head kept outside the database" } ?? ""
        print("audit chain intact: \(report.checked) records\(head)\(known)")
    }
}
