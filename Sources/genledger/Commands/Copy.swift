import ArgumentParser
import Foundation
import LedgerLog

struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a ledger to another store (SQLite file ↔ PostgreSQL), byte for byte, and check the copy.",
        discussion: """
            Copies every event row exactly as recorded (seq, id, times, payload bytes, hashes), \
            the erasures, verifier keys, checkpoints and witnesses' cosignatures, into a new \
            ledger (a file that does not exist, or a PostgreSQL database without a ledger) or \
            into an earlier, interrupted copy, which it resumes. Events go in batches, one \
            transaction each. It ends by checking that both hold the same tree (size and root) \
            and that the copy verifies; exit 2 when not. The gate's index and the projections \
            are rebuilt from the log by the destination at first use; service tokens are not \
            copied (create them again with `genledger token add`). The signing key stays a file.
            """)

    @Option(help: "The ledger to copy: a SQLite file or postgres://user@host:port/db.")
    var from: String

    @Option(help: "Where to copy it: a SQLite file that does not exist yet, or a PostgreSQL database.")
    var to: String

    @Option(help: "Events per transaction (an interrupted copy keeps every whole batch).")
    var batch = 2_000

    func validate() throws {
        guard batch >= 1, batch <= 100_000 else { throw ValidationError("--batch is 1 to 100000, not \(batch)") }
    }

    func run() throws {
        try reportingErrors {
            let source = try Ledger(opening: from)
            let destination = try LedgerCopy.destination(at: to, for: source)
            var copy = LedgerCopy(from: source, to: destination)
            copy.batch = batch
            let started = Date()
            let summary = try copy.run()
            let seconds = Date().timeIntervalSince(started)
            if summary.resumedAt > 0 { print("resumed after seq \(summary.resumedAt), already in \(destination.path)") }
            print("copied \(summary.eventsCopied) events, \(summary.keysCopied) verifier keys and \(summary.checkpointsCopied) checkpoints to \(destination.path) in \(String(format: "%.1f", seconds)) s")
            print("both hold \(summary.size) events with root \(summary.root.base64); the copy verifies")
        }
    }
}
