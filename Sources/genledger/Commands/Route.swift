import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Decide which model serves a request, and record the decision.",
        discussion: """
            The request is a JSON object: {"category", "stage", "modality", "deliverable"?, \
            "campaign"?, "duration_seconds"?, "characters"?, "after_failure"?: {"model", \
            "failure_mode"}}. With "deliverable", missing category, stage, modality and duration \
            come from the deliverable as opened. Appends routing.decided (table and version, rule, \
            every candidate and why) unless --dry-run.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "The request (default: standard input).")
    var request: String?

    @Flag(help: "Decide without appending.")
    var dryRun = false

    @Option(help: "The actor recorded (default: $GENLEDGER_ACTOR, else cli:$USER).")
    var actor: String?

    @Flag(help: "Print the decision as JSON.")
    var json = false

    @Option(help: "When the decision was made (RFC 3339 or YYYY-MM-DD; default: now).")
    var occurredAt: String?

    func run() throws {
        try reportingErrors {
            let text =
                try request.map { try readTextFile($0, what: "request") }
                ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let value: JSONValue
            do { value = try JSONParser.parse(text) } catch let failure as JSONParser.Failure {
                throw LedgerError(.badInput, "the request is not JSON: \(failure)")
            }
            let governed = GovernedLedger(try ledger.open(), loading: .asNeeded)
            try governed.refresh(deliverables: [value["deliverable"]?.stringValue].compactMap { $0 })
            let routeRequest = try RouteRequest(completing: value, from: governed.state)
            let actor =
                resolvedActor(actor)
            let (decision, appended) = try governed.route(
                routeRequest, dryRun: dryRun, occurredAt: try occurredAt.map { try parseOccurredAt($0) }, actor: actor)
            if appended != nil { try Projections(governed.ledger).catchUp() }
            var out = Output()
            if json {
                var object = decision.payload.objectValue ?? [:]
                if let appended { object["seq"] = .number(Double(appended.appended.seq)) }
                out.line(JSONValue.object(object).canonical)
            } else {
                out.line(
                    "\(decision.model) (\(decision.modelVersion)) — table '\(decision.table)' v\(decision.tableVersion), rule '\(decision.rule)', tier \(decision.tier.rawValue)"
                )
                if let from = decision.fallbackFrom { out.line("fallback from \(from.model) (\(from.failureMode.rawValue))") }
                for candidate in decision.candidates {
                    out.line(
                        "  \(candidate.chosen ? "*" : " ") \(candidate.model.padding(toLength: 22, withPad: " ", startingAt: 0)) \(candidate.role.padding(toLength: 24, withPad: " ", startingAt: 0)) \(candidate.reason)"
                    )
                }
                out.line(
                    appended.map { "recorded as routing.decided at seq \($0.appended.seq), decision \(decision.decision)" }
                        ?? "dry run: nothing appended")
            }
            out.flush()
        }
    }
}
