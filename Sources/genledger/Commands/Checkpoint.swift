import ArgumentParser
import LedgerLog

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Issue, store and print a signed checkpoint of the current tree head.")

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var signing: SigningOptions

    @Flag(help: "Print the latest stored checkpoint instead of issuing one.")
    var latest = false

    func run() throws {
        try reportingErrors {
            let ledger = try ledger.open()
            if latest {
                guard let stored = try ledger.latestCheckpoint() else {
                    throw LedgerError(.badInput, "no checkpoint has been issued yet (run 'genledger checkpoint')")
                }
                print(stored.note, terminator: "")
                return
            }
            let stored = try ledger.issueCheckpoint(signers: try signing.signers(for: self.ledger))
            print(stored.note, terminator: "")
        }
    }
}
