import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Record an existing history (JSON Lines) in audit mode: nothing is denied, every violation is recorded.",
        discussion: """
            Each line is in the append input form and must carry its occurred_at. Every event is \
            validated, and judged against the policy, tables and catalog that the ledger (and the \
            history before it in the file) has in force at that point; a broken rule is recorded \
            in the event's gate record (outcome violated, mode audit) and shows in the compliance \
            report, never refused. A line without an id gets one derived from its content, so \
            importing the same file again appends nothing. The whole import is one transaction:
            a bad line (named with its number and field) leaves the ledger as it was.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Argument(help: "The history, JSON Lines ('-' for standard input).")
    var file: String

    @Option(help: "The actor recorded when a line names none (default: $GENLEDGER_ACTOR, else the OS user).")
    var actor: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let reader = try file == "-" ? JSONLinesReader(standardInputWithMaxLineBytes: 2 << 20) : JSONLinesReader(path: file)
            let defaultActor = resolvedActor(actor)
            let governed = GovernedLedger(try ledger.open(), loading: .cached)
            let progress = ProgressLine(total: file == "-" ? nil : fileSize(file), unit: "events")
            let started = Date()
            let summary = try governed.importHistory(
                {
                    while true {
                        guard let line = try reader.next() else { return nil }
                        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                        do {
                            var event = try ProposedEvent(line: line)
                            if event.actor == nil { event.actor = defaultActor }
                            return (event, reader.lineNumber)
                        } catch let error as LedgerError {
                            throw error.at(line: reader.lineNumber)
                        }
                    }
                },
                progress: { read in progress.update(done: read, bytes: reader.bytesRead) })
            progress.finish()
            guard summary.read > 0 else { throw LedgerError(.badInput, "no events in \(file)") }
            try Projections(governed.ledger).catchUp()
            let seconds = max(Date().timeIntervalSince(started), 0.000_001)
            var out = Output()
            if json {
                var outcomes: [String: JSONValue] = [:]
                for (outcome, count) in summary.outcomes { outcomes[outcome.rawValue] = .number(Double(count)) }
                var object: [String: JSONValue] = [
                    "read": .number(Double(summary.read)), "appended": .number(Double(summary.appended)),
                    "duplicates": .number(Double(summary.duplicates)), "outcomes": .object(outcomes),
                ]
                if let first = summary.firstSeq, let last = summary.lastSeq {
                    object["first_seq"] = .number(Double(first))
                    object["last_seq"] = .number(Double(last))
                }
                out.line(JSONValue.object(object).canonical)
            } else {
                let range = summary.firstSeq.map { " (seq \($0)–\(summary.lastSeq!))" } ?? ""
                out.line(
                    "imported \(summary.appended) of \(summary.read) events\(range); \(summary.duplicates) already recorded; \(Int(Double(summary.read) / seconds)) events/s"
                )
                let judged = GateJudgement.Outcome.allCases.compactMap { outcome in
                    summary.outcomes[outcome].map { "\($0) \(outcome.rawValue)" }
                }
                if !judged.isEmpty { out.line("judged by the gate (audit mode): \(judged.joined(separator: ", "))") }
                if let violated = summary.outcomes[.violated], violated > 0 {
                    out.line("\(violated == 1 ? "1 event" : "\(violated) events") broke a rule: genledger report compliance lists every finding")
                }
            }
            out.flush()
        }
    }

    private func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }
}

/// A progress line on standard error, only when it is a terminal: rewritten in place, then ended.
final class ProgressLine {
    private let total: Int?
    private let unit: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var shown = false

    init(total: Int?, unit: String) {
        self.total = total
        self.unit = unit
    }

    /// `done` items; `bytes` of `total` read, for the bar.
    func update(done: Int, bytes: Int) {
        guard enabled else { return }
        let rate = Int(Double(done) / max(Date().timeIntervalSince(started), 0.001))
        var line = "\(done) \(unit) (\(rate)/s)"
        if let total, total > 0 {
            let fraction = min(1, Double(bytes) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line = "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(Int(fraction * 100))% " + line
        }
        FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
        shown = true
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
