import ArgumentParser

/// The signaling service's subcommands (issue 5), registered in the root command.
let signalingCommands: [any ParsableCommand.Type] = [ServeCommand.self, AuditCommand.self, AdminCommand.self, SignalingBenchCommand.self]
