import ArgumentParser
import Foundation
import LedgerLog
import Projections
import Reports

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Why an asset was produced the way it was, and what it takes to produce it again.",
        discussion: """
            Model, parameters, seed and its lock, template body and values, the prompt when \
            recorded, references and refinements; the asset's cost by kind; every attempt of its \
            deliverable, denied ones too; its lineage across refinements and image-to-video \
            chains. Every cited event comes with its inclusion proof against the latest signed \
            checkpoint. An unknown asset exits 65.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var report: ReportOptions
    @Argument(help: "An asset id, a deliverable id (its delivered asset) or a file's SHA-256.") var asset: String

    func run() throws {
        try reportingErrors { try report.emit(ledger) { try ExplainReport.build($0, asset: asset, asOf: $1) } }
    }
}
