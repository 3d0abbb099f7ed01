import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerLog

/// A batch of `Ledger.pipelinedPreparationMinimum` events or more is prepared on another thread,
/// a run at a time, while the runs before it are written. What must hold: the same rows, hashes
/// and root as a batch prepared whole; an invalid event reported by its index ahead of any
/// conflict, as when the whole batch was prepared first; and nothing written when anything fails.
@Suite("Pipelined append: large batches prepared while they are written")
struct PipelinedAppendTests {
    static let count = Ledger.pipelinedPreparationMinimum + 3 * Ledger.preparedRun + 7

    /// Events with ids, times and actors given, so two ledgers written alike hold the same bytes.
    static func batch(_ count: Int = count, streams: Int = 37) -> [ProposedEvent] {
        (0..<count).map { i in
            ProposedEvent(
                id: UUID(uuidString: String(format: "01900000-0000-7000-8000-%012x", i))!,
                type: i % 5 == 0 ? "generation.requested" : "cost.recorded",
                stream: "deliverable/D-\(i % streams)",
                payload: ["i": .number(Double(i)), "note": .string("event \(i) \u{e9}"), "nested": ["b": 1, "a": [true, nil]]],
                occurredAt: Timestamp(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(i) * 1_000),
                actor: "pipeline:render-\(i % 3)")
        }
    }

    static func ledger(_ directory: TemporaryDirectory, _ name: String, _ store: TestStore) throws -> Ledger {
        let ledger = try LedgerFixtures.make(in: directory, name: name, store: store).ledger
        ledger.clock = { Timestamp(microsecondsSinceEpoch: 1_790_000_000_000_000) }
        return ledger
    }

    @Test("one pipelined batch stores what small batches prepared whole store, byte for byte", arguments: TestStore.allCases)
    func sameAsPreparedWhole(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let pipelined = try Self.ledger(directory, "pipelined.db", store)
        let whole = try Self.ledger(directory, "whole.db", store)
        let events = Self.batch()
        // A first event, so the batch continues a chain and a tree that are already there.
        let opened = ProposedEvent(
            id: UUID(uuidString: "01900000-0000-7000-8000-ffffffffffff")!, type: "campaign.opened", stream: "campaign/C-1", payload: [:])
        for ledger in [pipelined, whole] { try ledger.append(opened) }

        let appended = try pipelined.append(events)
        var expected: [AppendedEvent] = []
        try whole.withAppendSession { session in
            for start in stride(from: 0, to: events.count, by: 1_000) {
                expected += try whole.appendInTransaction(whole.prepare(Array(events[start..<min(start + 1_000, events.count)])))
            }
            _ = session
        }
        let firstDifference = Array(zip(appended, expected)).firstIndex { $0 != $1 }
        #expect(appended.count == expected.count && firstDifference == nil, "first differs at \(String(describing: firstDifference))")
        #expect(appended.map(\.seq) == Array(2...UInt64(events.count + 1)))
        let (stored, storedWhole) = (try pipelined.events(), try whole.events())
        let firstStoredDifference = Array(zip(stored, storedWhole)).firstIndex { $0 != $1 }
        #expect(
            stored.count == storedWhole.count && firstStoredDifference == nil,
            "first differs at \(String(describing: firstStoredDifference.map { (stored[$0], storedWhole[$0]) }))")
        #expect(try pipelined.rootHash() == whole.rootHash())
        // Streams' heads and pointers as the in-line write leaves them.
        for stream in ["deliverable/D-0", "deliverable/D-36", "campaign/C-1"] {
            var read: [UInt64] = []
            try pipelined.forEachEvent(after: 0, stream: stream, newestFirst: true) { read.append($0.seq); return true }
            var expectedRead: [UInt64] = []
            try whole.forEachEvent(after: 0, stream: stream, newestFirst: true) { expectedRead.append($0.seq); return true }
            #expect(read == expectedRead && !read.isEmpty, "\(stream)")
        }
        let report = try pipelined.verify()
        #expect(report.isValid, "\(report)")
    }

    @Test("a retried batch is all duplicates, and a repeated id inside a batch points at its first", arguments: TestStore.allCases)
    func retries(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let ledger = try Self.ledger(directory, "retries.db", store)
        var events = Self.batch()
        // The same event again in a later run of the batch.
        events.append(events[10])
        let first = try ledger.append(events)
        #expect(first.last == AppendedEvent(seq: first[10].seq, id: first[10].id, streamVersion: first[10].streamVersion, hash: first[10].hash, isDuplicate: true))
        #expect(try ledger.size() == UInt64(events.count - 1))
        let again = try ledger.append(events)
        #expect(again.allSatisfy { $0.isDuplicate })
        #expect(again.map(\.seq) == first.map(\.seq))
        #expect(try ledger.size() == UInt64(events.count - 1))
    }

    @Test("failures name the event's index and write nothing; an invalid event is reported ahead of a conflict", arguments: TestStore.allCases)
    func failures(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let ledger = try Self.ledger(directory, "failures.db", store)
        try ledger.append(ProposedEvent(type: "campaign.opened", stream: "deliverable/D-3", payload: [:]))
        let root = try ledger.rootHash()
        let last = Self.count - 2  // in the last run

        func failure(_ events: [ProposedEvent]) -> LedgerError? {
            do {
                _ = try ledger.append(events)
                return nil
            } catch { return error as? LedgerError }
        }
        func unchanged() throws {
            #expect(try ledger.size() == 1)
            #expect(try ledger.rootHash() == root)
        }

        // An invalid event in a late run.
        var invalid = Self.batch()
        invalid[last].type = "bad\ttype"
        let badInput = failure(invalid)
        #expect(badInput?.code == .badInput && badInput?.index == last && badInput?.field == "type", "\(String(describing: badInput))")
        try unchanged()

        // A conflict in the first run alone.
        var conflicting = Self.batch()
        conflicting[3].expectedVersion = 7  // D-3 is at version 1
        let conflict = failure(conflicting)
        #expect(conflict?.code == .conflict && conflict?.index == 3 && conflict?.field == "expected_version", "\(String(describing: conflict))")
        try unchanged()

        // Both: the invalid event wins, as it did when every event was prepared before writing.
        conflicting[last].payload = .array([])
        let both = failure(conflicting)
        #expect(both?.code == .badInput && both?.index == last && both?.field == "payload", "\(String(describing: both))")
        try unchanged()

        // The same id with other content, in two runs of one batch.
        var reused = Self.batch()
        reused[last].id = reused[5].id
        let duplicate = failure(reused)
        #expect(duplicate?.code == .conflict && duplicate?.index == last && duplicate?.field == "id", "\(String(describing: duplicate))")
        try unchanged()

        // After all of that the ledger takes the batch whole.
        #expect(try ledger.append(Self.batch()).count == Self.count)
        #expect(try ledger.verify().isValid)
    }

    @Test("a session's large append is pipelined too, and undone with its transaction", arguments: TestStore.allCases)
    func session(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let ledger = try Self.ledger(directory, "session.db", store)
        struct Undo: Error {}
        #expect(throws: Undo.self) {
            try ledger.withAppendSession { session in
                #expect(try session.append(Self.batch()).count == Self.count)
                #expect(try session.size() == UInt64(Self.count))
                throw Undo()
            }
        }
        #expect(try ledger.size() == 0)
        let appended = try ledger.withAppendSession { try $0.append(Self.batch()) }
        #expect(appended.count == Self.count && appended.last?.seq == UInt64(Self.count))
        #expect(try ledger.verify().isValid)
    }
}
