import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop and replay every projection from the log, or check them against a replay.",
        discussion: """
            Without --check: drops every projection table and folds the whole log again. \
            With --check: replays the log into scratch tables and compares them with the \
            incrementally maintained projections, one SHA-256 digest per projection; exits 2 \
            and names the projection when one differs. Nothing is changed. \
            Either reads the log in one pass, and memory does not grow with the ledger: \
            SQLite's page cache is held to 64 MiB, indexes are sorted within it, and --check's \
            scratch tables live in temporary files (peak 170-200 MiB at 1 M and at 10 M \
            events, docs/BENCHMARKS.md). Time does grow: about 90 000 events a second on two \
            cores for a rebuild.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Flag(help: "Prove the incremental projections equal a fresh replay, without changing them.")
    var check = false

    func run() throws {
        try reportingErrors {
            let projections = Projections(try ledger.open())
            var out = Output()
            let started = Date()
            if check {
                let result = try projections.check()
                let seconds = Date().timeIntervalSince(started)
                for (incremental, replayed) in zip(result.incremental, result.replayed) {
                    let same = incremental == replayed
                    out.line(
                        "\(incremental.projection.padding(toLength: 11, withPad: " ", startingAt: 0)) \(incremental.rows) rows  \(incremental.digest)  \(same ? "= replay" : "≠ replay \(replayed.digest) (\(replayed.rows) rows)")"
                    )
                }
                // The gate's read model beside the log (one-shot calls use it), against a fresh build.
                var gate: [String] = []
                if try GateIndex.isPresent(projections.ledger) {
                    gate = try projections.ledger.withSideTables(write: true) { try GateIndex($0).check() }
                    out.line(gate.isEmpty ? "gate keys   = a fresh build from the log" : "gate keys   ≠ a fresh build from the log")
                    for mismatch in gate { out.line("  \(mismatch)") }
                }
                out.line("checked at seq \(result.position) in \(String(format: "%.2f", seconds)) s")
                out.flush()
                if !gate.isEmpty {
                    printError("the gate's read model differs from the log: run `genledger rebuild` to build it again")
                    throw ExitCode(Exit.verificationFailed)
                }
                if !result.mismatched.isEmpty {
                    printError("\(result.mismatched.count == 1 ? "a projection differs" : "projections differ") from a replay of the log: \(result.mismatched.joined(separator: ", "))")
                    throw ExitCode(Exit.verificationFailed)
                }
            } else {
                let count = try projections.rebuild()
                if try GateIndex.isPresent(projections.ledger) {
                    try projections.ledger.withSideTables(write: true) { try GateIndex($0).reset() }
                }
                let seconds = Date().timeIntervalSince(started)
                out.line(
                    "rebuilt every projection from \(count) events in \(String(format: "%.2f", seconds)) s (\(Int(Double(count) / max(seconds, 1e-6))) events/s)"
                )
                out.flush()
            }
        }
    }
}
