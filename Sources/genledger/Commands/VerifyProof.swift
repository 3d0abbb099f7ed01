import ArgumentParser
import Foundation
import LedgerLog

struct VerifyProof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check an inclusion or consistency proof (as printed by 'prove'), with no ledger.",
        discussion: """
            Reads the proof JSON from FILE (or - for standard input). With --checkpoint and --key the
            proof's root and size must also be those of that signed checkpoint; with --event-hash the
            leaf must be that event. Exit 0 when the proof holds, 2 when it does not.
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
            let document: JSONValue
            do { document = try JSONParser.parse(try readTextFile(file, what: "proof")) } catch let failure as JSONParser.Failure
            {
                throw LedgerError(.badInput, "proof is not JSON: \(failure)")
            }
            let anchor = try checkpoint.map { path -> Checkpoint in
                let signed = try SignedCheckpoint(parsing: try readTextFile(path, what: "checkpoint"))
                _ = try signed.verify(with: try keys.map(parseVerifierKey))
                return signed.checkpoint
            }
            do {
                if document["leafIdx"] != nil {
                    let (index, size) = (try Self.integer(document, "leafIdx"), try Self.integer(document, "treeSize"))
                    let leaf = try Self.bytes(document, "leafHash")
                    let root = try Self.bytes(document, "root")
                    if let eventHash {
                        guard let digest = SHA256Digest(hex: eventHash) else {
                            throw LedgerError(.badInput, "not 64 hex digits", field: "event-hash")
                        }
                        guard MerkleHashing().leafHash(of: digest).bytes == leaf else {
                            throw LedgerError(.verificationFailed, "the proof's leaf is not the event with hash \(eventHash)")
                        }
                    }
                    try Self.check(anchor, size: size, root: root)
                    try MerkleProofVerifier.verifyInclusion(
                        leafIndex: index, treeSize: size, leafHash: leaf, proof: try Self.path(document), root: root)
                    print("inclusion proof verifies: leaf \(index) (seq \(index + 1)) is in the tree of \(size) events")
                } else if document["size1"] != nil {
                    let (size1, size2) = (try Self.integer(document, "size1"), try Self.integer(document, "size2"))
                    let root2 = try Self.bytes(document, "root2")
                    try Self.check(anchor, size: size2, root: root2)
                    try MerkleProofVerifier.verifyConsistency(
                        size1: size1, size2: size2, root1: try Self.bytes(document, "root1"), root2: root2,
                        proof: try Self.path(document))
                    print("consistency proof verifies: the tree of \(size1) events is a prefix of the tree of \(size2)")
                } else {
                    throw LedgerError(.badInput, "neither an inclusion proof (leafIdx…) nor a consistency proof (size1…)")
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

    private static func integer(_ document: JSONValue, _ field: String) throws -> UInt64 {
        guard let value = document[field]?.integerValue, value >= 0 else {
            throw LedgerError(.badInput, "missing or not a non-negative integer", field: field)
        }
        return UInt64(value)
    }

    private static func bytes(_ document: JSONValue, _ field: String) throws -> [UInt8] {
        guard let text = document[field]?.stringValue, let data = Data(base64Encoded: text) else {
            throw LedgerError(.badInput, "missing or not base64", field: field)
        }
        return Array(data)
    }

    private static func path(_ document: JSONValue) throws -> [[UInt8]] {
        if document["proof"] == .null { return [] }
        guard let items = document["proof"]?.arrayValue else {
            throw LedgerError(.badInput, "missing or not an array of base64 hashes", field: "proof")
        }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue, let data = Data(base64Encoded: text) else {
                throw LedgerError(.badInput, "not base64", field: "proof[\(index)]")
            }
            return Array(data)
        }
    }
}
