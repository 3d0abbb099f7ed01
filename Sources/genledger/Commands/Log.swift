import ArgumentParser
import LedgerLog

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List events in seq order.")

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "Only events after this seq.")
    var after: UInt64 = 0

    @Option(help: "At most this many events.")
    var limit: Int?

    @Option(help: "Only this stream (e.g. deliverable/D-118).")
    var stream: String?

    @Option(help: "Only this event type.")
    var type: String?

    @Flag(help: "Print each event as its canonical JSON line (the export form).")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let ledger = try ledger.open()
            var out = Output()
            try ledger.forEachEvent(after: after, stream: stream, type: type, limit: limit) { event in
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
        }
    }
}
