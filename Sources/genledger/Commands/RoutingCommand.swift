public import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections
public import Reports

/// What every report takes: the point in the log it answers for, the format and where to write it.
struct ReportOptions: ParsableArguments {
    @Option(help: "Answer as the ledger stood at this seq, or at the end of this date (YYYY-MM-DD) or instant.")
    var asOf: String?

    @Option(help: "md, json, csv or html.")
    var format: ReportFormat = .md

    @Flag(help: "Shorthand for --format json (the spelling log, route, gate and append use).")
    var json = false

    /// The format asked for, --json included.
    var chosenFormat: ReportFormat { json ? .json : format }

    func validate() throws {
        if json && format != .md && format != .json { throw ValidationError("--json and --format \(format.rawValue) disagree") }
        // Malformed is a usage error (64), as a malformed --month is; a well-formed seq past the
        // end of the log is bad input (65).
        if let asOf, UInt64(asOf) == nil, CalendarDate(asOf) == nil, (try? Timestamp(rfc3339: asOf)) == nil {
            throw ValidationError("--as-of must be a seq, a date (YYYY-MM-DD) or an RFC 3339 instant, not '\(asOf)'")
        }
        if format == .csv && out == nil {
            throw ValidationError("--format csv writes one file per table: name a directory with --out DIR")
        }
    }

    @Option(help: "Write the report to this file instead of standard output (with --format csv: a directory, one file per table).")
    var out: String?

    /// Catches the projections up, resolves --as-of, builds and writes the report.
    func emit(_ ledger: LedgerOptions, _ build: (Projections, UInt64) throws -> ReportDocument) throws {
        let projections = Projections(try ledger.open())
        try projections.catchUp()
        let asOf = try projections.resolve(asOf: self.asOf)
        let document = try build(projections, asOf)
        // Said where a person looks, whatever the format: the period holds nothing.
        if let empty = document.emptyPeriod { FileHandle.standardError.write(Data("genledger: \(empty)\n".utf8)) }
        if chosenFormat == .csv, let out {
            try Self.writeCSV(document, to: out)
            return
        }
        let text = document.rendered(as: chosenFormat)
        if let out {
            do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                throw LedgerError(.storage, "cannot write \(out): \(error.localizedDescription)")
            }
        } else {
            var output = Output()
            output.line(text.hasSuffix("\n") ? String(text.dropLast()) : text)
            output.flush()
        }
    }
}

extension ReportOptions {
    /// One CSV file per table into `directory` (created if missing), replacing the report's
    /// earlier files there; the file names go to standard error.
    static func writeCSV(_ document: ReportDocument, to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in document.csvFiles() {
                try file.text.write(toFile: directory + "/" + file.name, atomically: true, encoding: .utf8)
            }
        } catch {
            throw LedgerError(.storage, "cannot write CSV files into \(directory): \(error.localizedDescription)")
        }
        let names = document.csvFiles().map(\.name)
        FileHandle.standardError.write(Data("wrote \(counted(names.count, "file")) into \(directory): \(names.joined(separator: ", "))\n".utf8))
    }
}

extension ReportFormat: ExpressibleByArgument {}

struct RoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing", abstract: "The routing tables in force, their history, and what changed between versions.",
        subcommands: [Current.self, History.self, Diff.self])

    struct Current: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "current",
            abstract: "The tables in force, which models are degraded or retired, and which fallbacks are therefore live.",
            discussion: """
                --on DATE answers which version governed that day (occurred time, right for a table \
                whose publication was imported later); --as-of answers what the ledger knew then.
                """)
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Option(help: "The day whose routing to show, YYYY-MM-DD (occurred time).") var on: String?

        func validate() throws {
            if let on, CalendarDate(on) == nil { throw ValidationError("--on must be a date, YYYY-MM-DD") }
        }

        func run() throws {
            try reportingErrors {
                try report.emit(ledger) { try RoutingReports.current($0, asOf: $1, on: on.flatMap { CalendarDate($0) }) }
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "Every version of every routing table: who published it, when and why.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        func run() throws { try reportingErrors { try report.emit(ledger) { try RoutingReports.history($0, asOf: $1) } } }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diff", abstract: "What changed between two versions of a table, rule by rule.")
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var report: ReportOptions
        @Argument(help: "The older version (a number, or vN).") var from: String
        @Argument(help: "The newer version.") var to: String
        @Option(help: "The table (default: video).") var table = "video"

        func run() throws {
            try reportingErrors {
                func number(_ text: String) throws -> Int64 {
                    guard let value = Int64(text.hasPrefix("v") ? String(text.dropFirst()) : text) else {
                        throw LedgerError(.badInput, "'\(text)' is not a version number")
                    }
                    return value
                }
                let (old, new) = (try number(from), try number(to))
                try report.emit(ledger) { try RoutingReports.diff($0, table: table, from: old, to: new, asOf: $1) }
            }
        }
    }
}
