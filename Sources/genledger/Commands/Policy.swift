import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check or publish the policies folder (models.yaml, governance.yaml, routing/*.yaml).",
        subcommands: [Check.self, Publish.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a policies folder: every file, then tables against the catalog and policy.",
            discussion: """
                Prints every error as FILE:LINE: field 'PATH': reason (every wrong model, rule and \
                cap, not only the first of a file), and exits 65 when there is any. With --ledger (or \
                $GENLEDGER_LEDGER), also checks the folder against that ledger as publish would and \
                lists what publish would append, appending nothing.
                """)

        @Argument(help: "The folder (default: policies).")
        var directory = "policies"

        @OptionGroup var yaml: YAMLOptions

        @Option(help: "Also check against this ledger, as publish would (default: $GENLEDGER_LEDGER when set).")
        var ledger: String?

        func run() throws {
            try reportingErrors {
                let folder = try PolicyFolder(directory: directory, limits: yaml.limits)
                let against = ledger ?? ProcessInfo.processInfo.environment["GENLEDGER_LEDGER"]
                var plan: [ProposedEvent]?
                if let against {
                    let governed = GovernedLedger(try Ledger(opening: against), loading: .asNeeded)
                    plan = try governed.publicationPlan(folder, on: CalendarDate(Timestamp.now()))
                }
                var out = Output()
                out.line("\(directory): ok")
                out.line("  models.yaml      catalog '\(folder.catalog.name)', \(folder.catalog.models.count) models")
                out.line(
                    "  governance.yaml  policy '\(folder.governance.name)' v\(folder.governance.version), \(folder.governance.regenerationCaps.count) regeneration caps"
                )
                for (table, document) in folder.tables {
                    out.line(
                        "  \((document.file as NSString).lastPathComponent.padding(toLength: 16, withPad: " ", startingAt: 0)) routing table '\(table.name)' v\(table.version), \(table.rules.count) rules"
                    )
                }
                if let plan, let against {
                    if plan.isEmpty {
                        out.line("\(against): publish would append nothing (the ledger records every document)")
                    } else {
                        out.line("\(against): publish would append \(counted(plan.count, "event")):")
                        for event in plan { out.line("  \(event.type) \(event.stream)") }
                    }
                }
                out.flush()
            }
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Append model.*, policy.published and routing.table_published events for what changed.",
            discussion: """
                Only documents whose digest differs from the version in force are published, in one \
                atomic batch; a changed document must raise its version. Publishing an unchanged \
                folder appends nothing.
                """)

        @OptionGroup var ledger: LedgerOptions

        @Argument(help: "The folder (default: policies).")
        var directory = "policies"

        @Option(help: "The actor recorded (default: each document's author).")
        var actor: String?

        @OptionGroup var yaml: YAMLOptions

        @Option(help: "When the documents took effect (RFC 3339 or YYYY-MM-DD; default: now). Backfilled history starts here.")
        var occurredAt: String?

        func run() throws {
            try reportingErrors {
                let folder = try PolicyFolder(directory: directory, limits: yaml.limits)
                let governed = GovernedLedger(try ledger.open(), loading: .asNeeded)
                let results = try governed.publish(
                    folder, actor: actor, occurredAt: try occurredAt.map { try parseOccurredAt($0) })
                try Projections(governed.ledger).catchUp()
                var out = Output()
                if results.isEmpty {
                    out.line("nothing to publish: the ledger already records every document in \(directory)")
                }
                for result in results {
                    let event = try governed.ledger.event(seq: result.appended.seq)
                    out.line("seq \(result.appended.seq) \(event?.type ?? "?") \(event?.stream ?? "?")")
                }
                out.flush()
            }
        }
    }
}
