import ArgumentParser
import LedgerLog

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print RFC 9162 inclusion and consistency proofs as JSON.",
        subcommands: [Inclusion.self, Consistency.self])

    struct Inclusion: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prove event SEQ is in the tree of --size events.")

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
                print(ProofJSON.inclusion(proof, origin: ledger.origin, event: event).canonical)
            }
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove the tree of OLD events is a prefix of the tree of NEW events.")

        @OptionGroup var ledger: LedgerOptions

        @Argument(help: "The older tree size.")
        var old: UInt64

        @Argument(help: "The newer tree size.")
        var new: UInt64

        func run() throws {
            try reportingErrors {
                let ledger = try ledger.open()
                print(
                    ProofJSON.consistency(try ledger.consistencyProof(oldSize: old, newSize: new), origin: ledger.origin)
                        .canonical)
            }
        }
    }
}

/// The proof documents of docs/FORMAT.md: the field names of the transparency-dev test vectors,
/// so any RFC 9162 verifier reading those reads these.
enum ProofJSON {
    static func inclusion(_ proof: InclusionProof, origin: String, event: RecordedEvent) -> JSONValue {
        [
            "origin": .string(origin),
            "seq": .number(Double(event.seq)),
            "eventHash": .string(event.hash.hex),
            "leafIdx": .number(Double(proof.leafIndex)),
            "treeSize": .number(Double(proof.treeSize)),
            "leafHash": .string(proof.leafHash.base64),
            "root": .string(proof.root.base64),
            "proof": .array(proof.path.map { .string($0.base64) }),
        ]
    }

    static func consistency(_ proof: ConsistencyProof, origin: String) -> JSONValue {
        [
            "origin": .string(origin),
            "size1": .number(Double(proof.size1)),
            "size2": .number(Double(proof.size2)),
            "root1": .string(proof.root1.base64),
            "root2": .string(proof.root2.base64),
            "proof": .array(proof.path.map { .string($0.base64) }),
        ]
    }
}
