import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Write the evidence of how a delivered file was made, for those who receive the file.",
        discussion: """
            ASSET is an asset id, a deliverable id or a file's SHA-256, as explain takes it. The file's \
            SHA-256 must be the one the ledger recorded for the asset (else exit 65, nothing written). \
            --bundle writes an evidence bundle: the asset's lineage events in export form, each with its \
            inclusion proof against the latest signed checkpoint (with its witnesses' cosignatures); \
            `genledger verify-bundle FILE --key KEY` checks it offline (docs/FORMAT.md §12).
            """)

    @OptionGroup var ledger: LedgerOptions

    @Argument(help: "The asset: an asset id, a deliverable id or a file's SHA-256.")
    var asset: String

    @Option(help: "The delivered file, whose SHA-256 must be the asset's.")
    var file: String

    @Option(help: "Where to write the evidence bundle (JSON).")
    var bundle: String

    func run() throws {
        try reportingErrors {
            let opened = try ledger.open()
            let projections = Projections(opened)
            try projections.catchUp()
            let asOf = try opened.size()
            let (found, _) = try projections.findAsset(asset, asOf: asOf)
            let lineage = try projections.lineage(of: found, asOf: asOf)
            let recipe = try projections.recipe(of: found, lineage: lineage, asOf: asOf)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LedgerError(.badInput, "cannot read the file '\(file)'", field: "file")
            }
            let digest = SHA256.hash(Array(data)).hex
            guard digest == recipe.sha256 else {
                throw LedgerError(
                    .badInput,
                    "'\(file)' has SHA-256 \(digest), not the \(recipe.sha256) the ledger recorded for asset \(found): it is another file",
                    field: "file")
            }
            let document = try EvidenceBundle.make(
                ledger: opened, seqs: lineage.events.map(\.seq),
                subject: ["asset": .string(found), "sha256": .string(digest), "deliverable": .string(recipe.deliverable)])
            try Data((PrettyJSON.string(of: document)).utf8).write(to: URL(fileURLWithPath: bundle))
            print("wrote \(bundle): asset \(found) (sha256 \(digest)), \(lineage.events.count) events proven against the latest checkpoint")
        }
    }
}

struct VerifyBundle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Check an evidence bundle offline: signatures, every event's digest, hash and inclusion, and its subject.",
        discussion: "Exit 0 when it holds, 2 when it does not. docs/FORMAT.md §12.")

    @Argument(help: "The bundle file.")
    var file: String

    @Option(name: .customLong("key"), help: "A trusted verifier key of the log (or a file holding one). Repeatable.")
    var keys: [String] = []

    @Option(help: "The delivered file, whose SHA-256 must be the bundle's subject.")
    var asset: String?

    func validate() throws {
        if keys.isEmpty { throw ValidationError("--key is required: the log's verifier key the checkpoint must be signed with") }
    }

    func run() throws {
        try reportingErrors {
            let verified = try EvidenceBundle.verify(Array(try readTextFile(file, what: "bundle").utf8), keys: try keys.map(parseVerifierKey))
            guard let sha = verified.subject["sha256"]?.stringValue, let id = verified.subject["asset"]?.stringValue else {
                throw LedgerError(.verificationFailed, "the bundle names no asset and SHA-256 as its subject")
            }
            // The subject must be what the proven events say the asset is.
            let recorded = verified.events.contains { event in
                (event.type == EventType.generationCompleted.rawValue && event.payload["asset"]?.stringValue == id
                    && event.payload["asset_sha256"]?.stringValue == sha)
                    || (event.type == EventType.refinementApplied.rawValue && event.payload["output_asset"]?.stringValue == id
                        && event.payload["output_sha256"]?.stringValue == sha)
            }
            guard recorded else {
                throw LedgerError(.verificationFailed, "no proven event records asset \(id) with SHA-256 \(sha)")
            }
            if let asset {
                guard let data = FileManager.default.contents(atPath: asset) else {
                    throw LedgerError(.badInput, "cannot read the file '\(asset)'", field: "asset")
                }
                guard SHA256.hash(Array(data)).hex == sha else {
                    throw LedgerError(.verificationFailed, "'\(asset)' is not the file the bundle is evidence of (SHA-256 differs)")
                }
            }
            print(
                "OK: asset \(id) (sha256 \(sha)), \(verified.events.count) events proven in \(verified.origin)'s tree of \(verified.treeSize), signed by \(verified.verifiedBy.joined(separator: ", "))"
            )
        }
    }
}
