import ArgumentParser

@main
struct Tandem: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "Tandem remote assistance: session engine, echo peer and (later) signaling service.",
        subcommands: []
    )
}
