import ArgumentParser
import ContentCredentials
import Foundation
import Governance
import LedgerLog
import Reports

struct VerifyBundle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Check an evidence bundle offline: signatures, every event's digest, hash and inclusion, and its subject.",
        discussion: """
            FILE is a bundle, or a file carrying GenLedger's Content Credentials (a PNG or JPEG with \
            them embedded, or a .c2pa sidecar): its org.genledger.evidence assertion is checked, and \
            for an embedded file its bytes without the manifest must be the subject's. Exit 0 when it \
            holds, 2 when it does not. docs/FORMAT.md §12, docs/PROVENANCE.md.
            """)

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
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw LedgerError(.badInput, "cannot read bundle '\(file)'", field: "file")
            }
            var bundle = Array(contents)
            var carrier: [UInt8]?
            if bundle.first != UInt8(ascii: "{") {
                do {
                    let (store, asset) = try ContentCredentials.manifestStore(in: bundle)
                    bundle = try ContentCredentials.assertion(AssetCredentials.evidenceLabel, inStore: store)
                    carrier = asset
                } catch let error as ContentCredentialsError {
                    throw LedgerError(.badInput, "'\(file)': \(error.message)", field: "file")
                }
            }
            let verified = try EvidenceBundle.verify(bundle, keys: try keys.map(parseVerifierKey))
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
            if let carrier, SHA256.hash(carrier).hex != sha {
                throw LedgerError(.verificationFailed, "'\(file)' without its manifest is not the file the evidence is about (SHA-256 differs)")
            }
            if let asset {
                guard let data = FileManager.default.contents(atPath: asset) else {
                    throw LedgerError(.badInput, "cannot read the file '\(asset)'", field: "asset")
                }
                guard SHA256.hash(Array(data)).hex == sha else {
                    throw LedgerError(.verificationFailed, "'\(asset)' is not the file the bundle is evidence of (SHA-256 differs)")
                }
            }
            let withheld = verified.withheld.isEmpty ? "" : " (\(verified.withheld.count) with payloads withheld)"
            print(
                "OK: asset \(id) (sha256 \(sha)), \(verified.events.count) events\(withheld) proven in \(verified.origin)'s tree of \(verified.treeSize), signed by \(verified.verifiedBy.joined(separator: ", "))"
            )
        }
    }
}
