import Foundation
public import LedgerLog

/// What an import recorded.
public struct ImportSummary: Sendable, Equatable {
    /// Events read from the input.
    public var read = 0
    /// Events appended now (the rest were already recorded: a re-import).
    public var appended = 0
    public var duplicates = 0
    /// Appended events by the gate's outcome (judged types only).
    public var outcomes: [GateJudgement.Outcome: Int] = [:]
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?

    public init() {}
}

extension GovernedLedger {
    /// Events per savepoint-free slice of an import: bounds the memory an import holds while the
    /// whole of it stays one transaction.
    public static let importSlice = 2000

    /// Records an existing history (audit mode): every event keeps its `occurred_at` (required),
    /// is validated and judged against the policy, tables and catalog the history itself has put
    /// in force by then, and is never denied: a broken rule is recorded as a violation. The whole
    /// import is one transaction: a bad event (named by its line) leaves the ledger as it was.
    /// An event without an `id` is given one derived from its content (and how many identical
    /// events came before it), so importing the same history again appends nothing.
    ///
    /// `next` returns the next event and the line it came from, nil at the end; `progress` is
    /// told how many events were read after each slice.
    public func importHistory(
        _ next: () throws -> (event: ProposedEvent, line: Int)?, progress: (Int) -> Void = { _ in }
    ) throws -> ImportSummary {
        precondition(loading != .asNeeded, "an import judges event after event: it keeps what it loads (StateLoading.whole or .cached)")
        var summary = ImportSummary()
        var occurrences: [UUID: Int] = [:]
        let result: SessionResult = try session { session in
            var slice: [ProposedEvent] = []
            var lines: [Int] = []
            func flush() throws -> SessionResult? {
                guard !slice.isEmpty else { return nil }
                let decoded: [DomainEvent]
                do { decoded = try Self.decode(slice) } catch let error as GovernanceError {
                    throw error.index.map { error.atLine(lines[$0]) } ?? error
                }
                let outcome: SessionResult
                do { outcome = try appendInSession(session, slice, decoded, mode: .audit) } catch let error as LedgerError {
                    throw error.index.map { error.at(line: lines[$0]) } ?? error
                } catch let error as GovernanceError {
                    throw error.index.map { error.atLine(lines[$0]) } ?? error
                }
                if case .appended(let results) = outcome {
                    for result in results {
                        if result.appended.isDuplicate {
                            summary.duplicates += 1
                            continue
                        }
                        summary.appended += 1
                        summary.firstSeq = summary.firstSeq ?? result.appended.seq
                        summary.lastSeq = result.appended.seq
                        if let judgement = result.judgement { summary.outcomes[judgement.outcome, default: 0] += 1 }
                    }
                }
                slice.removeAll(keepingCapacity: true)
                lines.removeAll(keepingCapacity: true)
                progress(summary.read)
                return outcome
            }
            while let (proposed, line) = try next() {
                var event = proposed
                guard event.occurredAt != nil else {
                    throw GovernanceError(
                        .invalidEvent, "is required when importing history: when did this happen?", field: "occurred_at"
                    ).atLine(line)
                }
                if event.id == nil {
                    let key = "import " + Self.contentKey(event)
                    let content = Self.importID(key, at: event.occurredAt!)
                    let seen = occurrences[content, default: 0]
                    occurrences[content] = seen + 1
                    event.id = seen == 0 ? content : Self.importID("\(key) #\(seen)", at: event.occurredAt!)
                }
                slice.append(event)
                lines.append(line)
                summary.read += 1
                if slice.count == Self.importSlice, case .denied(let error) = try flush() { return .denied(error) }
            }
            _ = try flush()
            return .appended([])
        }
        if case .denied(let error) = result { throw error }  // audit mode denies nothing; kept for the type's sake
        return summary
    }

    /// An imported event's id: UUID version 8 whose first 48 bits are `occurred_at` in Unix
    /// milliseconds (as in RFC 9562's version 7) and whose other bits come from SHA-256 of the
    /// event's content. The same line always gets the same id (re-imports are idempotent), and a
    /// history in time order inserts its ids at the end of the id index instead of at random.
    static func importID(_ name: String, at time: Timestamp) -> UUID {
        let milliseconds = UInt64(max(0, time.microsecondsSinceEpoch / 1000)) & 0xFFFF_FFFF_FFFF
        var bytes = (0..<6).map { UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64($0))) }
        bytes += SHA256.hash(Array(name.utf8)).withUnsafeBytes { Array($0.prefix(10)) }
        return UUID(bytes: bytes, version: 8)
    }

    /// The canonical bytes of what an input line says, as text.
    static func contentKey(_ event: ProposedEvent) -> String {
        var object: [String: JSONValue] = [
            "type": .string(event.type), "stream": .string(event.stream), "payload": event.payload,
        ]
        if let occurredAt = event.occurredAt { object["occurred_at"] = .string(occurredAt.description) }
        if let actor = event.actor { object["actor"] = .string(actor) }
        return CanonicalJSON.string(of: .object(object))
    }
}
