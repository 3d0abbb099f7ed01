import ArgumentParser
import Foundation
import Governance
import LedgerLog

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List events in seq order (or newest first).",
        discussion: """
            An unknown --type or a --stream the ledger never recorded is an error (exit 65) with the \
            closest names it knows; filters that match nothing say so on standard error.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "Only events after this seq.")
    var after: UInt64 = 0

    @Option(help: "At most this many events.")
    var limit: Int?

    @Option(help: "Only this stream (e.g. deliverable/D-118).")
    var stream: String?

    @Option(help: "Only this event type.")
    var type: String?

    @Flag(help: "Newest first: with --limit N, the last N events.")
    var newest = false

    @Flag(help: "Print each event as its canonical JSON line (the export form).")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let ledger = try ledger.open()
            if let type, EventType(rawValue: type) == nil {
                let near = Self.closest(to: type, among: EventType.allCases.map(\.rawValue))
                throw LedgerError(
                    .badInput, "unknown event type '\(type)'\(near.map { "; did you mean '\($0)'?" } ?? "") (docs/EVENTS.md lists them)",
                    field: "type")
            }
            if let stream, try !ledger.hasStream(stream) {
                let candidates = stream.contains("/") ? [] : try ledger.streams(endingWith: stream)
                throw LedgerError(
                    .badInput,
                    "no event was ever recorded on stream '\(stream)'"
                        + (candidates.isEmpty ? "" : "; did you mean \(candidates.map { "'\($0)'" }.joined(separator: " or "))?"),
                    field: "stream")
            }
            var out = Output()
            var printed = 0
            try ledger.forEachEvent(after: after, stream: stream, type: type, limit: limit, newestFirst: newest) { event in
                printed += 1
                if json {
                    out.line(bytes: event.canonicalLine)
                } else {
                    let payload = String(decoding: event.payloadBytes, as: UTF8.self)
                    out.line(
                        "\(event.seq)\t\(event.recordedAt)\t\(event.type)\t\(event.stream)@\(event.streamVersion)\t\(event.actor)\t\(payload)"
                    )
                }
                return true
            }
            out.flush()
            if printed == 0 {
                // Empty is a real answer here (a known type, a known stream): said, not silent.
                FileHandle.standardError.write(Data("no events match (after seq \(after)\(type.map { ", type \($0)" } ?? "")\(stream.map { ", stream \($0)" } ?? ""))\n".utf8))
            }
        }
    }

    /// The name nearest `text` by edit distance, if it is near enough to be a typo.
    static func closest(to text: String, among names: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var previous = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var current = [i + 1]
                for (j, y) in b.enumerated() {
                    current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
                }
                previous = current
            }
            return previous[b.count]
        }
        let scored = names.map { ($0, distance(Array(text), Array($0))) }.min { $0.1 < $1.1 }
        return scored.flatMap { $0.1 <= max(2, text.count / 4) ? $0.0 : nil }
    }
}
