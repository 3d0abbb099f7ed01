import ArgumentParser
import ContentCredentials
import Foundation
import Governance
import LedgerLog
import Projections
import Reports

struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Write how a delivered file was made for those who receive it: Content Credentials (C2PA), W3C PROV and evidence.",
        discussion: """
            ASSET is an asset id, a deliverable id or a file's SHA-256, as explain takes it. The file's \
            SHA-256 must be the one the ledger recorded for the asset (else exit 65, nothing written). \
            --c2pa writes a C2PA manifest store (sidecar) bound to the file's bytes; --embed writes the \
            file with it embedded (PNG and JPEG); both are signed with --cert and --key (PEM: the \
            certificate chain, signer first, and its private key; P-256, P-384 or Ed25519). --prov writes \
            W3C PROV-JSON; --bundle an evidence bundle, checked offline by `genledger verify-bundle`. \
            `genledger provenance --make-test-ca DIR` makes a test CA and signing certificate for demos \
            and tests. docs/PROVENANCE.md says what each document holds; docs/FORMAT.md §12 the bundle.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Argument(help: "The asset: an asset id, a deliverable id or a file's SHA-256.")
    var asset: String?

    @Option(help: "The delivered file, whose SHA-256 must be the asset's.")
    var file: String?

    @Option(help: "Where to write the evidence bundle (JSON).")
    var bundle: String?

    @Option(help: "Where to write the C2PA manifest store as a sidecar (.c2pa).")
    var c2pa: String?

    @Option(help: "Where to write the file with its C2PA manifest embedded (PNG or JPEG).")
    var embed: String?

    @Option(help: "Where to write the W3C PROV-JSON document.")
    var prov: String?

    @Option(help: "The signer's certificate chain (PEM, signer first), for --c2pa and --embed.")
    var cert: String?

    @Option(help: "The signer's private key (PEM), for --c2pa and --embed.")
    var key: String?

    @Option(name: .customLong("make-test-ca"), help: "Make a test CA and signing certificate in this (new or empty) folder, and stop.")
    var makeTestCA: String?

    func validate() throws {
        if makeTestCA != nil {
            guard asset == nil, file == nil, bundle == nil, c2pa == nil, embed == nil, prov == nil else {
                throw ValidationError("--make-test-ca makes a certificate authority and nothing else: give it alone")
            }
            return
        }
        guard asset != nil else { throw ValidationError("name the ASSET (an asset id, a deliverable id or a file's SHA-256)") }
        guard file != nil else { throw ValidationError("--file is required: the delivered file the documents are about") }
        guard bundle != nil || c2pa != nil || embed != nil || prov != nil else {
            throw ValidationError("say what to write: --c2pa, --embed, --prov and/or --bundle")
        }
        if c2pa != nil || embed != nil {
            guard cert != nil, key != nil else {
                throw ValidationError("--c2pa and --embed are signed: give --cert (PEM chain) and --key (PEM private key)")
            }
        }
    }

    func run() throws {
        try reportingErrors {
            if let makeTestCA {
                let files = try credentials { try TestCertificateAuthority.make(in: makeTestCA) }
                print("trust anchor (give it to validators): \(files.anchor)")
                print("signer: --cert \(files.chain) --key \(files.key)")
                print("a test CA for demos and tests, never for delivered work: its private key is \(files.caKey)")
                return
            }
            guard let asset, let file else { return }
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
            let bytes = Array(data)
            let digest = SHA256.hash(bytes).hex
            guard digest == recipe.sha256 else {
                throw LedgerError(
                    .badInput,
                    "'\(file)' has SHA-256 \(digest), not the \(recipe.sha256) the ledger recorded for asset \(found): it is another file",
                    field: "file")
            }
            let subject: JSONValue = ["asset": .string(found), "sha256": .string(digest), "deliverable": .string(recipe.deliverable)]
            let seqs = lineage.events.map(\.seq)
            // Everything is made in memory first: a failure leaves no file half-written.
            var outputs: [(path: String, bytes: [UInt8], what: String)] = []
            if let bundle {
                let document = try EvidenceBundle.make(ledger: opened, seqs: seqs, subject: subject)
                outputs.append((bundle, Array(PrettyJSON.string(of: document).utf8), "evidence bundle, \(seqs.count) events proven"))
            }
            let history = try AssetHistory.read(ledger: opened, lineage: lineage)
            if let prov {
                let document = AssetProvenanceDocument.build(history: history)
                outputs.append((prov, Array(PrettyJSON.string(of: document).utf8), "W3C PROV-JSON of \(lineage.assets.count) assets"))
            }
            if c2pa != nil || embed != nil, let cert, let key {
                let credential = try credentials { try SigningCredential(certificateFile: cert, keyFile: key) }
                let evidence = try EvidenceBundle.make(ledger: opened, seqs: seqs, subject: subject, disclose: AssetCredentials.discloses)
                let container = AssetContainer.detect(bytes)
                let manifest = try AssetCredentials.manifest(
                    history: history, title: (file as NSString).lastPathComponent,
                    format: container?.mediaType ?? "application/octet-stream", evidence: CanonicalJSON.bytes(of: evidence),
                    generatorVersion: GenLedger.configuration.version)
                if let c2pa {
                    let store = try credentials { try ContentCredentials.sidecar(manifest, asset: bytes, credential: credential) }
                    outputs.append((c2pa, store, "C2PA manifest store (sidecar), signed \(credential.algorithmName)"))
                }
                if let embed {
                    let embedded = try credentials { try ContentCredentials.embed(manifest, asset: bytes, credential: credential) }
                    outputs.append((embed, embedded, "\(container?.rawValue.uppercased() ?? "file") with its C2PA manifest embedded"))
                }
            }
            for output in outputs {
                do { try Data(output.bytes).write(to: URL(fileURLWithPath: output.path)) } catch {
                    throw LedgerError(.badInput, "cannot write '\(output.path)': \(error.localizedDescription)")
                }
            }
            print("asset \(found) (sha256 \(digest)), deliverable \(recipe.deliverable):")
            for output in outputs { print("  wrote \(output.path): \(output.what)") }
        }
    }

    /// Content Credentials errors are the user's input at fault (a key, a certificate, a format).
    private func credentials<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ContentCredentialsError {
            throw LedgerError(.badInput, error.message)
        }
    }
}
