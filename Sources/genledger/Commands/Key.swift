import ArgumentParser
import LedgerLog

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage checkpoint signing keys (rotation).",
        subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new signing key, register its verifier key in the ledger, print it.",
            discussion:
                "Sign with old and new keys together during a rotation: genledger checkpoint --key-file OLD --key-file NEW")

        @OptionGroup var ledger: LedgerOptions

        @Option(help: "Where to write the new signing key (never overwritten).")
        var out: String

        @Option(help: "The key name (default: the ledger's origin).")
        var name: String?

        func run() throws {
            try reportingErrors {
                let ledger = try ledger.open()
                let signer = try NoteSignerKey.generate(name: name ?? ledger.origin)
                try KeyFile.create(signer, at: out)
                try ledger.addVerifierKey(signer.verifierKey)
                print("signing key: \(out) (mode 0600)")
                print("verifier key: \(signer.verifierKey)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the registered verifier keys, oldest first.")

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            try reportingErrors {
                for key in try ledger.open().verifierKeys() { print(key) }
            }
        }
    }
}
