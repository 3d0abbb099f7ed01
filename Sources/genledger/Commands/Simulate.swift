import ArgumentParser
import Foundation
import Governance
import Simulation
import LedgerLog
import Projections

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a realistic, simulated campaign history through the append path and the gate.",
        discussion: """
            Publishes the policies folder first (only what changed), then simulates campaigns and \
            deliverables on a simulated clock. The same --seed on a new ledger writes the same \
            content, event for event. docs/SIMULATOR.md documents what the history contains.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "Seed of the simulation.")
    var seed: UInt64 = 1

    @Option(help: "Number of deliverables.")
    var deliverables = 3000

    @Option(help: "Months of history.")
    var months = 6

    @Option(help: "First simulated day (YYYY-MM-DD).")
    var start = "2026-04-01"

    @Option(help: "The policies folder published before the history.")
    var policies = "policies"

    @Option(help: "Write each delivered asset's file here as ASSET.png (a small PNG; a video clip as an animated PNG), the bytes whose SHA-256 the ledger records.")
    var media: String?

    func validate() throws {
        guard deliverables > 0 else { throw ValidationError("--deliverables must be at least 1") }
        guard (1...120).contains(months) else { throw ValidationError("--months must be between 1 and 120") }
        guard CalendarDate(start) != nil else { throw ValidationError("--start must be a date, YYYY-MM-DD") }
    }

    func run() throws {
        try reportingErrors {
            let folder = try PolicyFolder(directory: policies)
            if let media {
                do { try FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true) } catch {
                    throw LedgerError(.badInput, "cannot create the media folder '\(media)': \(error.localizedDescription)", field: "media")
                }
            }
            let governed = GovernedLedger(try ledger.open())
            let simulator = Simulator(
                ledger: governed, policies: folder,
                options: SimulationOptions(
                    seed: seed, deliverables: deliverables, months: months, start: CalendarDate(start)!, mediaDirectory: media))
            let began = Date()
            let summary = try simulator.run { done in
                FileHandle.standardError.write(Data("simulated \(done) of \(deliverables) deliverables\n".utf8))
            }
            let seconds = Date().timeIntervalSince(began)
            try Projections(governed.ledger).catchUp()
            var out = Output()
            let events = summary.lastSeq - summary.firstSeq + 1
            out.line(
                "simulated seq \(summary.firstSeq)...\(summary.lastSeq): \(events) events in \(String(format: "%.1f", seconds)) s"
            )
            out.line(
                "  campaigns \(summary.campaigns), deliverables \(summary.deliverablesOpened) (delivered \(summary.delivered), abandoned \(summary.abandoned))"
            )
            out.line("  fallbacks \(summary.fallbacks), overrides \(summary.overrides), gate warnings \(summary.warnings)")
            out.line(
                "  denials: "
                    + (summary.denialsByRule.isEmpty
                        ? "none"
                        : summary.denialsByRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            )
            out.line("  spend \(Money(micros: summary.spendMicros, currency: .USD))")
            out.line("events by type:")
            for (type, count) in summary.eventsByType.sorted(by: { $0.key < $1.key }) {
                out.line("  \(type.padding(toLength: 26, withPad: " ", startingAt: 0)) \(count)")
            }
            out.line("mid-history changes:")
            for milestone in summary.milestones { out.line("  seq \(milestone.seq): \(milestone.what)") }
            out.flush()
        }
    }
}
