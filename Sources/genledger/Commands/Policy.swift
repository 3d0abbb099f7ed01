import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check or publish the policies folder (models.yaml, governance.yaml, routing/*.yaml).",
        subcommands: [Check.self, Publish.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policies folder: every file, then tables against the catalog and policy.",
            discussion: "Prints each error as FILE:LINE: field 'PATH': reason, and exits 65 when there is any.")

        @Argument(help: "The folder (default: policies).")
        var directory = "policies"

        @OptionGroup var yaml: YAMLOptions

        func run() throws {
            try reportingErrors {
                let folder = try PolicyFolder(directory: directory, limits: yaml.limits)
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
                out.flush()
            }
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append model.*, policy.published and routing.table_published events for what changed.",
            discussion: """
                Only documents whose digest differs from the version in force are published, in one
                atomic batch; a changed document must raise its version. Publishing an unchanged
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
                let governed = GovernedLedger(try ledger.open())
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
