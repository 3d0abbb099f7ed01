import ArgumentParser
import Foundation
import LedgerLog

struct VerifyProof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check an inclusion or consistency proof (as printed by 'prove'), with no ledger.",
        discussion: """
            Reads the proof JSON from FILE (or - for standard input). With --checkpoint and --key the \
            proof's root, size and origin must also be those of that signed checkpoint; the leaf must \
            be the event of --event-hash, else the document's own eventHash, and its seq the leaf \
            index + 1. Exit 0 when the proof holds, 2 when it does not.
            """)

    @Argument(help: "The proof file, or - for standard input.")
    var file: String

    @Option(help: "A signed checkpoint the proof must lead to.")
    var checkpoint: String?

    @Option(name: .customLong("key"), help: "A trusted verifier key for --checkpoint. Repeatable.")
    var keys: [String] = []

    @Option(help: "The event hash (hex) the inclusion proof must be for.")
    var eventHash: String?

    func validate() throws {
        if checkpoint != nil && keys.isEmpty { throw ValidationError("--checkpoint needs at least one --key") }
    }

    func run() throws {
        try reportingErrors {
            let bytes = Array(try readTextFile(file, what: "proof").utf8)
            let proof = try ProofDocument(parsing: bytes)
            let claims = try ProofDocument.claims(parsing: bytes)
            let anchor = try checkpoint.map { path -> Checkpoint in
                let signed = try SignedCheckpoint(parsing: try readTextFile(path, what: "checkpoint"))
                _ = try signed.verify(with: try keys.map(parseVerifierKey))
                return signed.checkpoint
            }
            // The document's own claims are held to the proof, not trusted.
            if let anchor, let origin = claims.origin, origin != anchor.origin {
                throw LedgerError(
                    .verificationFailed, "the proof is for log '\(origin)', the checkpoint for '\(anchor.origin)'")
            }
            do {
                switch proof {
                case .inclusion(let index, let size, let leaf, let root, _):
                    if let seq = claims.seq, seq != index + 1 {
                        throw LedgerError(
                            .verificationFailed, "the proof says seq \(seq) but proves leaf \(index), which is seq \(index + 1)")
                    }
                    if let eventHash, let claimed = claims.eventHash, eventHash.lowercased() != claimed.lowercased() {
                        throw LedgerError(
                            .verificationFailed, "the proof is for event \(claimed), not \(eventHash)")
                    }
                    if let eventHash = eventHash ?? claims.eventHash {
                        guard let digest = SHA256Digest(hex: eventHash) else {
                            throw LedgerError(.badInput, "not 64 hex digits", field: "event-hash")
                        }
                        guard MerkleHashing().leafHash(of: digest).bytes == leaf else {
                            throw LedgerError(.verificationFailed, "the proof's leaf is not the event with hash \(eventHash)")
                        }
                    }
                    try Self.check(anchor, size: size, root: root)
                    try proof.verify()
                    print("inclusion proof verifies: leaf \(index) (seq \(index + 1)) is in the tree of \(size) events")
                case .consistency(let size1, let size2, _, let root2, _):
                    try Self.check(anchor, size: size2, root: root2)
                    try proof.verify()
                    print("consistency proof verifies: the tree of \(size1) events is a prefix of the tree of \(size2)")
                }
            } catch let failure as MerkleProofVerifier.Failure {
                throw LedgerError(.verificationFailed, "proof does not verify: \(failure.reason)")
            }
        }
    }

    private static func check(_ anchor: Checkpoint?, size: UInt64, root: [UInt8]) throws {
        guard let anchor else { return }
        guard anchor.size == size, anchor.root.bytes == root else {
            throw LedgerError(
                .verificationFailed,
                "the proof is for tree size \(size), not the checkpoint's tree (size \(anchor.size), its root)")
        }
    }
}
