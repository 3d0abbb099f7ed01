import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections
import Reports

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run history's routing requests under a candidate table and estimate the cost of the change.",
        discussion: """
            Every routing.decided request in the window is decided again with the candidate in \
            force (each model's status as it stood at that request); spend, regeneration \
            multiplier, failure rate and true cost per acceptable deliverable are estimated before \
            and after from the rates observed in the ledger as of each request (docs/REPLAY.md). \
            Nothing is written unless --record, which appends one replay.completed event.
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var report: ReportOptions

    @Option(help: "The candidate routing table (a YAML file as in policies/routing/).")
    var routing: String?

    @Option(help: "Replay under a published version instead: V, or TABLE@V.")
    var comparePublished: String?

    @Option(help: "The table --compare-published names, when several have that version.")
    var table: String?

    @Option(help: "First day of the window (YYYY-MM-DD, by the request's occurred_at).")
    var from: String?

    @Option(help: "Last day of the window (YYYY-MM-DD, inclusive).")
    var to: String?

    @Option(help: "The window as a calendar quarter, YYYY-Qn (instead of --from and --to).")
    var quarter: String?

    @Flag(help: "Append one replay.completed event with the candidate's digest and the summary.")
    var record = false

    @Option(help: "The actor recorded with --record (default: $GENLEDGER_ACTOR, else cli:$USER).")
    var actor: String?

    @Option(help: "When the what-if was weighed, with --record (RFC 3339 or YYYY-MM-DD; default: now).")
    var occurredAt: String?

    func validate() throws {
        guard (routing == nil) != (comparePublished == nil) else {
            throw ValidationError("give exactly one of --routing FILE and --compare-published V")
        }
        if let quarter {
            guard Quarter(quarter) != nil else { throw ValidationError("--quarter must look like 2026-Q3") }
            guard from == nil && to == nil else { throw ValidationError("--quarter replaces --from and --to: give one or the other") }
        }
    }

    func run() throws {
        try reportingErrors {
            func date(_ text: String?, _ field: String) throws -> CalendarDate? {
                guard let text else { return nil }
                guard let date = CalendarDate(text) else {
                    throw LedgerError(.badInput, "'\(text)' is not a date (YYYY-MM-DD)", field: field)
                }
                return date
            }
            var window = Replay.Window(from: try date(from, "from"), to: try date(to, "to"))
            if let chosen = quarter.flatMap(Quarter.init) { window = Replay.Window(from: chosen.days.first, to: chosen.days.last) }
            if let from = window.from, let to = window.to, to < from {
                throw LedgerError(.badInput, "the window ends (\(to)) before it starts (\(from))", field: "to")
            }
            var replay: Replay?
            try report.emit(ledger) { projections, asOf in
                let candidate: CandidateTable
                if let routing {
                    candidate = try CandidateTable(file: routing, knownModels: try projections.registeredModels(asOf: asOf))
                } else {
                    let text = comparePublished!
                    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
                    guard let version = Int64(parts.last!), parts.count <= 2 else {
                        throw LedgerError(.badInput, "'\(text)' is not a version (V or TABLE@V)", field: "compare-published")
                    }
                    candidate = try projections.publishedCandidate(
                        table: parts.count == 2 ? String(parts[0]) : table, version: version, asOf: asOf)
                }
                let result = try projections.replay(candidate, window: window, asOf: asOf)
                replay = result
                return try ReplayReport.build(projections, result)
            }
            guard record, let replay else { return }
            let actor =
                resolvedActor(actor)
            let governed = GovernedLedger(try ledger.open(), loading: .asNeeded)
            let appended = try governed.append(
                ProposedEvent(
                    type: EventType.replayCompleted.rawValue, stream: "routing/\(replay.table)",
                    payload: ReplayReport.summary(replay), occurredAt: try occurredAt.map { try parseOccurredAt($0) },
                    actor: actor))
            try Projections(governed.ledger).catchUp()
            // On standard error: the report on standard output stays what --format says.
            FileHandle.standardError.write(Data("recorded as replay.completed at seq \(appended.appended.seq)\n".utf8))
        }
    }
}
