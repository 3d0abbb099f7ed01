import ArgumentParser
import Foundation
import LedgerLog

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the log as JSON Lines plus the signed checkpoint that covers it.",
        discussion: """
            Writes FILE (one canonical event per line) and FILE.checkpoint. When the latest checkpoint \
            does not cover the whole log, issues one first (with the signing key); without the key, \
            exports up to the latest checkpoint. Verify with:
              genledger verify --export FILE --checkpoint FILE.checkpoint --key VERIFIER-KEY
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var signing: SigningOptions

    @Option(help: "The export file to write.")
    var out: String

    @Option(help: "Where to write the checkpoint (default: OUT.checkpoint).")
    var checkpointOut: String?

    func run() throws {
        try reportingErrors {
            let ledger = try ledger.open()
            let size = try ledger.size()
            var checkpoint = try ledger.latestCheckpoint()
            if checkpoint?.treeSize != size {
                let keyPaths = signing.paths(for: self.ledger)
                if keyPaths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
                    checkpoint = try ledger.issueCheckpoint(signers: try signing.signers(for: self.ledger))
                } else if checkpoint == nil {
                    throw LedgerError(
                        .keyUnavailable,
                        "no checkpoint to export against and no signing key at \(keyPaths.joined(separator: ", "))")
                } else {
                    printError("no signing key; exporting up to the latest checkpoint (size \(checkpoint!.treeSize) of \(size))")
                }
            }
            let covered = checkpoint!
            let summary = try ledger.exportEvents(through: covered.treeSize, to: out)
            let checkpointPath = checkpointOut ?? out + ".checkpoint"
            guard FileManager.default.createFile(atPath: checkpointPath, contents: Data(covered.note.utf8)) else {
                throw LedgerError(.storage, "cannot write '\(checkpointPath)'")
            }
            print("exported \(summary.eventCount) events (\(summary.bytes) bytes) to \(out)")
            print("checkpoint: \(checkpointPath) (size \(covered.treeSize), root \(covered.root.base64))")
            for key in try ledger.verifierKeys() { print("verifier key: \(key)") }
        }
    }
}
