import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

/// docs/EVENTS.md is the reference for the vocabulary: every example in it must append, and
/// every field its tables mark as required must be refused when missing or mistyped.
@Suite("docs/EVENTS.md: every example appends; every documented field is checked")
struct EventCatalogTests {
    struct Example {
        var type: String
        var event: ProposedEvent
        var requiredFields: [String]
    }

    /// Example lines in document order, each with the required fields of its section's table.
    static func examples() throws -> [Example] {
        let text = try String(contentsOfFile: RepositoryFiles.path("docs/EVENTS.md"), encoding: .utf8)
        let body = try #require(text.range(of: "## Event types")).upperBound
        var examples: [Example] = []
        var section = ""
        var required: [String] = []
        var inCode = false
        for line in text[body...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### `") {
                section = String(line.dropFirst(5).prefix { $0 != "`" })
                required = []
            } else if line.hasPrefix("| `") {
                let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                if cells.count >= 3, cells[2] == "yes", !cells[0].contains(" ") {
                    required.append(cells[0].trimmingCharacters(in: ["`"]))
                }
            } else if line.hasPrefix("```") {
                inCode.toggle()
            } else if inCode, line.hasPrefix("{") {
                let value = try JSONParser.parse(String(line))
                // An example's own id is kept (a signed override signs it), else a fresh one.
                let event = ProposedEvent(
                    id: try value["id"]?.stringValue.map { try #require(UUID(uuidString: $0)) } ?? UUID(), type: value["type"]!.stringValue!, stream: value["stream"]!.stringValue!,
                    payload: value["payload"]!,
                    occurredAt: try value["occurred_at"]?.stringValue.map { try Timestamp(rfc3339: $0) },
                    actor: value["actor"]?.stringValue)
                examples.append(Example(type: section, event: event, requiredFields: event.type == section ? required : []))
            }
        }
        return examples
    }

    @Test("every example appends, in order, and together they cover every event type", arguments: TestStore.allCases)
    func everyExampleAppends(store: TestStore) throws {
        let studio = try Studio(store: store)
        let examples = try Self.examples()
        for example in examples {
            if example.event.type == EventType.payloadErased.rawValue {
                // Written by `genledger erase` with its redaction; an append of it is refused.
                #expect(throws: GovernanceError.self) { try studio.governed.append(example.event) }
                continue
            }
            do {
                try studio.governed.append(example.event)
            } catch {
                Issue.record("example \(example.event.type) in section \(example.type) was refused: \(error)")
            }
        }
        #expect(Set(examples.map(\.event.type)) == Set(EventType.allCases.map(\.rawValue)))
        #expect(Set(examples.map(\.type)) == Set(EventType.allCases.map(\.rawValue)), "a section per type")
        #expect(try studio.ledger.verify().isValid)
    }

    @Test("each example is refused without each required field, or with any documented field mistyped", arguments: TestStore.allCases)
    func missingAndMistypedFields(store: TestStore) throws {
        let studio = try Studio(store: store)
        var checked = 0
        for example in try Self.examples() where example.event.type != EventType.payloadErased.rawValue {
            guard case .object(let payload) = example.event.payload else { continue }
            for field in example.requiredFields {
                var broken = example.event
                var members = payload
                guard members.removeValue(forKey: field) != nil else {
                    Issue.record("\(example.type): documented field '\(field)' is not in the example")
                    continue
                }
                broken.payload = .object(members)
                try expectRefused(studio, broken, field: "payload.\(field)", "missing")
                checked += 1
            }
            for (field, value) in payload {
                var broken = example.event
                var members = payload
                members[field] = Self.mistyped(value)
                broken.payload = .object(members)
                try expectRefused(studio, broken, field: "payload.\(field)", "mistyped")
                checked += 1
            }
            try studio.governed.append(example.event)
        }
        #expect(checked > 150)
    }

    private func expectRefused(_ studio: Studio, _ event: ProposedEvent, field: String, _ what: String) throws {
        do {
            _ = try studio.governed.judge(event)
            Issue.record("\(event.type) with \(field) \(what) was accepted")
        } catch let error as GovernanceError {
            #expect(error.code == .invalidEvent)
            #expect(error.field?.hasPrefix(field) == true, "\(event.type) with \(field) \(what): \(error)")
            #expect(error.eventType == event.type)
        }
    }

    /// A value of another JSON type than `value`.
    static func mistyped(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string: [1, 2]
        default: .string("x")
        }
    }
}
