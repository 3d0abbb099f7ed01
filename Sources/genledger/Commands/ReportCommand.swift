import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections
import Reports

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports computed from the projections, stamped with the tree they were computed at.",
        subcommands: [Quarterly.self, Costs.self, Compliance.self, Deliverable.self, Campaign.self])

    struct Quarterly: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quarterly",
            abstract:
                "The quarterly model review: volume, acceptance, regeneration multiplier, failures, fallbacks, latency, spend, true cost, changes, switching flags.",
            discussion: "docs/REPORTS.md defines every figure.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Option(help: "The quarter, YYYY-Qn (default: the quarter of the last event as of --as-of).") var quarter: String?

        func validate() throws {
            if let quarter, Quarter(quarter) == nil { throw ValidationError("--quarter must look like 2026-Q3") }
        }

        func run() throws {
            try reportingErrors {
                try report.emit(ledger) { projections, asOf in
                    let chosen = try quarter.flatMap(Quarter.init) ?? QuarterlyReport.quarter(of: asOf, in: projections)
                    return try QuarterlyReport.build(projections, quarter: chosen, asOf: asOf)
                }
            }
        }
    }

    struct Costs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "costs",
            abstract:
                "The monthly cost audit: true cost per acceptable deliverable by category, tier, model and campaign; draft vs delivery; regeneration share.",
            discussion: "docs/REPORTS.md defines every figure.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Option(help: "The month, YYYY-MM.") var month: String

        func validate() throws {
            guard CalendarDate(month + "-01") != nil else { throw ValidationError("--month must look like 2026-09") }
        }

        func run() throws {
            try reportingErrors { try report.emit(ledger) { try CostsReport.build($0, month: month, asOf: $1) } }
        }
    }

    struct Compliance: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compliance",
            abstract: "Each governance rule with pass and fail counts; every finding cites its seq and hash.",
            discussion: "docs/REPORTS.md defines every rule. Exits 0 even with findings: the report is the answer.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Option(help: "First day, YYYY-MM-DD.") var from: String
        @Option(help: "Last day, YYYY-MM-DD (inclusive).") var to: String
        @Option(help: "Only this campaign's deliverables.") var campaign: String?

        func validate() throws {
            guard let start = CalendarDate(from), let end = CalendarDate(to) else {
                throw ValidationError("--from and --to must be dates, YYYY-MM-DD")
            }
            guard !(end < start) else { throw ValidationError("--to must not be before --from") }
        }

        func run() throws {
            try reportingErrors {
                try report.emit(ledger) {
                    try ComplianceReport.build($0, from: CalendarDate(from)!, to: CalendarDate(to)!, campaign: campaign, asOf: $1)
                }
            }
        }
    }

    struct Deliverable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deliverable",
            abstract: "One deliverable's truth: attempts, every generation and its outcome, spend by cost kind against its budget, every violation and denial.",
            discussion: "An unknown deliverable exits 65.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Argument(help: "The deliverable id.") var deliverable: String

        func run() throws {
            try reportingErrors { try report.emit(ledger) { try DeliverableReport.build($0, deliverable: deliverable, asOf: $1) } }
        }
    }

    struct Campaign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "campaign",
            abstract: "A campaign's deliverables side by side: attempts, spend by cost kind, budget, violations, denials, deliveries.",
            discussion: "An unknown campaign exits 65.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Argument(help: "The campaign id.") var campaign: String

        func run() throws {
            try reportingErrors { try report.emit(ledger) { try DeliverableReport.buildCampaign($0, campaign: campaign, asOf: $1) } }
        }
    }
}
