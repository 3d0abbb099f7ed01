import ArgumentParser
import Foundation
import LedgerLog
import Projections
import Reports

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Why an asset was produced the way it was: its lineage across refinements and image-to-video chains.",
        discussion:
            "Every cited event comes with its inclusion proof against the latest signed checkpoint. Formats: md, json (also --json), html (draws the lineage); not csv."
    )
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var report: ReportOptions
    @Argument(help: "The asset id.") var asset: String

    func validate() throws {
        if report.chosenFormat == .csv { throw ValidationError("explain is written as md, json or html, not csv") }
    }

    func run() throws {
        try reportingErrors { try report.emit(ledger) { try ExplainReport.build($0, asset: asset, asOf: $1) } }
    }
}
