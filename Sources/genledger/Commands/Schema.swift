import ArgumentParser
import Governance
import LedgerLog

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the events `append` takes, or check events against the vocabulary.",
        discussion: """
            The schema (JSON Schema draft 2020-12) is generated from the validator itself: every field each \
            event type's reader asks for, its type, range, closed set and when it is required. \
            docs/events.schema.json is this output; the service serves it at GET /v1/schema. \
            With --validate, reads JSON Lines (a file or standard input) and checks each line as `append` \
            would before it looks at the ledger (the envelope, the type, every payload field, the stream); \
            prints one JSON object per line ({"line", "valid", "type"?, "field"?, "message"?}) and exits 65 \
            when a line is invalid. Needs no ledger: references to models, deliverables and so on, and the \
            gate, are checked when the event is appended.
            """)

    @Flag(help: "Check events (JSON Lines) instead of printing the schema.")
    var validate = false

    @Argument(help: "With --validate: the JSON Lines file (default: standard input).")
    var file: String?

    func run() throws {
        guard validate else {
            if file != nil { throw ValidationError("a file is read only with --validate") }
            print(PrettyJSON.string(of: EventSchema.document), terminator: "")
            return
        }
        var invalid = 0
        try reportingErrors {
            let reader = try file.map { try JSONLinesReader(path: $0) } ?? JSONLinesReader(standardInputWithMaxLineBytes: 2 << 20)
            var out = Output()
            while let line = try reader.next() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                var verdict: [String: JSONValue] = ["line": .number(Double(reader.lineNumber)), "valid": true]
                do {
                    let event = try ProposedEvent(line: line)
                    verdict["type"] = .string(event.type)
                    _ = try DomainEvent.decode(type: event.type, stream: event.stream, payload: event.payload)
                } catch let error as LedgerError {
                    verdict["valid"] = false
                    verdict["message"] = .string(error.message)
                    if let field = error.field { verdict["field"] = .string(field) }
                } catch let error as GovernanceError {
                    verdict["valid"] = false
                    verdict["message"] = .string(error.message)
                    if let field = error.field { verdict["field"] = .string(field) }
                }
                if verdict["valid"] == false { invalid += 1 }
                out.line(CanonicalJSON.string(of: .object(verdict)))
            }
            out.flush()
        }
        if invalid > 0 {
            printError("\(invalid) invalid event\(invalid == 1 ? "" : "s")")
            throw ExitCode(Exit.badInput)
        }
    }
}
