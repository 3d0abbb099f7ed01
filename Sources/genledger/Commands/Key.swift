import ArgumentParser
import LedgerLog

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage checkpoint signing keys (rotation).",
        subcommands: [Add.self, Retire.self, Revoke.self, List.self, Approver.self])

    struct Approver: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approver",
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
            commandName: "add",
            abstract: "Create a new signing key, record it in the log signed by a key already trusted, print it.",
            discussion: """
                Appends log.key_added, signed by --key-file (default: the ledger's key), so that an \
                auditor holding only the trust root `genledger init` printed trusts the new key by \
                following the chain. Sign with old and new keys together during a rotation \
                (genledger checkpoint --key-file OLD --key-file NEW), then `genledger key retire OLD`.
                """)

        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var signing: SigningOptions

        @Option(help: "Where to write the new signing key (never overwritten).")
        var out: String

        @Option(help: "The key name (default: the ledger's origin).")
        var name: String?

        func run() throws {
            try reportingErrors {
                let opened = try ledger.open()
                let registered = try opened.verifierKeys()
                let signer = try NoteSignerKey.generate(name: name ?? opened.origin)
                if registered.isEmpty {
                    // A ledger with no key yet (created by a library, say): this one is its trust root.
                    try KeyFile.create(signer, at: out)
                    try opened.addVerifierKey(signer.verifierKey)
                    print("signing key: \(out) (mode 0600)")
                    print("verifier key: \(signer.verifierKey)")
                    print("trust root: \(signer.verifierKey) (the ledger had no key; give it to your auditors)")
                    return
                }
                let vouching = try signing.signers(for: ledger)
                guard let voucher = vouching.first else { throw LedgerError(.keyUnavailable, "no signing key to vouch for the new one") }
                try KeyFile.create(signer, at: out)
                try opened.addVerifierKey(signer.verifierKey)
                let recorded = try opened.append(
                    try KeyChain.event(origin: opened.origin, action: .add, key: signer.verifierKey, signer: voucher))
                print("signing key: \(out) (mode 0600)")
                print("verifier key: \(signer.verifierKey)")
                print("recorded: log.key_added at seq \(recorded.seq), signed by \(voucher.verifierKey)")
            }
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire",
            abstract: "Record that a key signs no checkpoint of a larger tree than the log's size now.",
            discussion: "Appends log.key_retired, signed by --key-file (a trusted key; the retiring key itself may sign).")

        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var signing: SigningOptions

        @Argument(help: "The verifier key to retire.")
        var key: String

        func run() throws {
            try reportingErrors { try record(.retire, key: key, ledger: ledger, signing: signing) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Record that a key is compromised: no checkpoint it signed is trusted, before or after.",
            discussion: "Appends log.key_revoked, signed by --key-file (another trusted key).")

        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var signing: SigningOptions

        @Argument(help: "The verifier key to revoke.")
        var key: String

        func run() throws {
            try reportingErrors { try record(.revoke, key: key, ledger: ledger, signing: signing) }
        }
    }

    static func record(_ action: KeyChain.Action, key text: String, ledger: LedgerOptions, signing: SigningOptions) throws {
        let opened = try ledger.open()
        let key = try parseVerifierKey(text)
        guard let signer = try signing.signers(for: ledger).first else {
            throw LedgerError(.keyUnavailable, "no signing key to sign the statement")
        }
        let recorded = try opened.append(try KeyChain.event(origin: opened.origin, action: action, key: key, signer: signer))
        print("recorded: \(action.eventType) of \(key) at seq \(recorded.seq), signed by \(signer.verifierKey)")
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Print the registered verifier keys, oldest first.")

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            try reportingErrors {
                for key in try ledger.open().verifierKeys() { print(key) }
            }
        }
    }
}
