import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Append: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append events from JSON Lines, all or none, through validation and the policy gate.",
        discussion: """
            Each line: {"type", "stream", "payload", "id"?, "occurred_at"?, "actor"?, "expected_version"?}. \
            Every event must fit the vocabulary (docs/EVENTS.md); generation and regeneration \
            requests, deliveries and overrides are judged by the governance policy in force. A \
            denial appends only a policy.denied record and exits 4. \
            The whole input is one atomic batch. A repeated "id" with the same content returns the \
            original seq; with other content it is a conflict (exit 3). \
            With --each, every line is its own transaction, acknowledged (printed) as soon as it is \
            durable: for a pipeline streaming events one by one. A bad line then stops the stream; \
            the lines before it stay appended.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "Read events from this file instead of standard input.")
    var file: String?

    @Option(help: "The actor recorded when a line names none (default: $GENLEDGER_ACTOR, else cli:$USER).")
    var actor: String?

    @Option(help: "The occurred_at recorded when a line names none (RFC 3339 or YYYY-MM-DD; default: now).")
    var occurredAt: String?

    @Flag(help: "Print one JSON object per event.")
    var json = false

    @Flag(help: "Commit and acknowledge each line on its own, as it arrives, instead of one batch.")
    var each = false

    func run() throws {
        try reportingErrors {
            let defaultActor = resolvedActor(actor)
            let defaultOccurredAt = try occurredAt.map { try parseOccurredAt($0) }
            let reader = try file.map { try JSONLinesReader(path: $0) } ?? JSONLinesReader(standardInputWithMaxLineBytes: 2 << 20)
            var events: [ProposedEvent] = []
            var lines: [Int] = []
            var out = Output()
            let ledger = GovernedLedger(try ledger.open(), loading: .asNeeded)
            while let line = try readLine(reader) {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do {
                    var event = try ProposedEvent(line: line)
                    if event.actor == nil { event.actor = defaultActor }
                    if event.occurredAt == nil { event.occurredAt = defaultOccurredAt }
                    if each {
                        print(try ledger.append(event), to: &out)
                        out.flush()
                    } else {
                        events.append(event)
                        lines.append(reader.lineNumber)
                    }
                } catch let error as LedgerError {
                    throw error.at(line: reader.lineNumber)
                } catch let error as GovernanceError {
                    throw error.atLine(reader.lineNumber)
                }
            }
            // The read models follow the log right after the write (reports also catch up first).
            if each {
                catchUpAfterWrite(ledger.ledger)
                return
            }
            guard !events.isEmpty else { throw LedgerError(.badInput, "no events in the input") }
            let results: [GovernedAppend]
            do { results = try ledger.append(events) } catch let error as LedgerError {
                throw error.index.map { error.at(line: lines[$0]) } ?? error
            } catch let error as GovernanceError {
                throw error.index.map { error.atLine(lines[$0]) } ?? error
            }
            for result in results { print(result, to: &out) }
            out.flush()
            catchUpAfterWrite(ledger.ledger)
        }
    }

    /// Brings the read models up to the log after a write that is already committed: a failure
    /// there does not undo what was recorded, so the command still succeeds, and says it.
    private func catchUpAfterWrite(_ ledger: Ledger) {
        do { try Projections(ledger).catchUp() } catch {
            printWarning(
                "the events are recorded, but the read models did not catch up (\(error)); reports catch up before they answer, and `genledger rebuild --check` checks them")
        }
    }

    private func print(_ governed: GovernedAppend, to out: inout Output) {
        let result = governed.appended
        if json {
            out.line(governed.json.canonical)
        } else {
            var line = "seq \(result.seq) hash \(result.hash.hex)\(result.isDuplicate ? " (already recorded)" : "")"
            if let judgement = governed.judgement { line += " — \(judgement.summary)" }
            out.line(line)
        }
    }

    private func readLine(_ reader: JSONLinesReader) throws -> [UInt8]? {
        try reader.next()
    }
}
