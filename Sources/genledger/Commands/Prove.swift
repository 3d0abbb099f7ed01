import ArgumentParser
import LedgerLog

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print RFC 9162 inclusion and consistency proofs as JSON.",
        subcommands: [Inclusion.self, Consistency.self])

    struct Inclusion: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inclusion", abstract: "Prove event SEQ is in the tree of --size events.")

        @OptionGroup var ledger: LedgerOptions

        @Argument(help: "The event's seq.")
        var seq: UInt64

        @Option(help: "The tree size (default: the whole ledger).")
        var size: UInt64?

        func run() throws {
            try reportingErrors {
                let ledger = try ledger.open()
                let proof = try ledger.inclusionProof(seq: seq, treeSize: size)
                guard let event = try ledger.event(seq: seq) else { throw LedgerError(.damaged, "event is missing", seq: seq) }
                print(proof.json(origin: ledger.origin, event: event).canonical)
            }
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consistency",
            abstract: "Prove the tree of OLD events is a prefix of the tree of NEW events.")

        @OptionGroup var ledger: LedgerOptions

        @Argument(help: "The older tree size.")
        var old: UInt64

        @Argument(help: "The newer tree size.")
        var new: UInt64

        func run() throws {
            try reportingErrors {
                let ledger = try ledger.open()
                print(try ledger.consistencyProof(oldSize: old, newSize: new).json(origin: ledger.origin).canonical)
            }
        }
    }
}
