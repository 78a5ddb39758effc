import ArgumentParser

@main
struct Tandem: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "Tandem remote assistance: WebRTC session engine and echo peer.",
        subcommands: [EchoCommand.self, EchoClientCommand.self] + signalingCommands
    )
}
