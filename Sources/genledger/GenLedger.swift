import ArgumentParser

@main
struct GenLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genledger",
        abstract: "The tamper-evident audit and governance ledger for AI image and video pipelines.",
        discussion: """
            Exit codes: 0 success; 1 other failure; 2 verification failed; 3 conflict; 4 policy denial; \
            64 bad command line; 65 bad input; 66 no usable ledger or key; 73 refusing to overwrite.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Append.self, Import.self, Copy.self, Log.self, Verify.self, CheckpointCommand.self, Prove.self, VerifyProof.self,
            Export.self, Publish.self, VerifyTiles.self, Key.self, Policy.self, GateCommand.self, Override.self, Route.self, Simulate.self, Rebuild.self, RoutingCommand.self,
            ReplayCommand.self,
            ReportCommand.self, Explain.self, Serve.self, Token.self, Schema.self, Witness.self, Erase.self, ProvenanceCommand.self, VerifyBundle.self,
        ]
    )
}
