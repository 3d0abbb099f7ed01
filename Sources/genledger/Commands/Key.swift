import ArgumentParser
import LedgerLog

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage checkpoint signing keys (rotation).",
        subcommands: [Add.self, List.self, Approver.self])

    struct Approver: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an approver's signing key (for `genledger override`) and print its verifier key.",
            discussion: """
                The key is not registered in the ledger: add the printed verifier key to the approver's \
                entry in governance.yaml (approvers: [{id: NAME, key: VERIFIER-KEY}]) and publish the \
                policy. Keep the key file with the approver; it is written with mode 0600.
                """)

        @Option(help: "The approver's id, as the policy lists it (e.g. approver:lena).")
        var name: String

        @Option(help: "Where to write the signing key (never overwritten).")
        var out: String

        func run() throws {
            try reportingErrors {
                let signer = try NoteSignerKey.generate(name: name)
                try KeyFile.create(signer, at: out)
                print("signing key: \(out) (mode 0600)")
                print("verifier key: \(signer.verifierKey)")
            }
        }
    }

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
