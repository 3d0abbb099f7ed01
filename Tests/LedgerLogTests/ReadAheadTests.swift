import Foundation
@testable import LedgerLog
import LedgerTestSupport
import Testing

/// Long runs of feeds read the events on another thread (`SideTables+ReadAhead.swift`): the rows
/// they add, the last seq they report and the errors they name are those of reading in line.
@Suite("Read-ahead: feeds over events read by another thread, as if read in line")
struct ReadAheadTests {
    /// A ledger of `count` events: generation requests and costs, one payload erased, one event
    /// of a type no feed takes.
    static func ledger(_ count: Int, in directory: TemporaryDirectory) throws -> Ledger {
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(count - 1))
        try ledger.append(ProposedEvent(type: "note.left", stream: "notes/n", payload: ["text": "\"quoted\" \\ ✓"]))
        _ = try ledger.erase(seq: 5, fields: ["note"], reason: "test", by: "test", actor: "test")
        return ledger
    }

    /// Every envelope column and every kind of payload parameter, into `table`.
    static func feeds(_ tables: SideTables, into table: String) throws -> [SideTables.EventFeed] {
        try tables.execute(
            "CREATE TABLE \(table) (seq INTEGER, type TEXT, occurred_at TEXT, recorded_at TEXT, payload TEXT, attempt, note, cost TEXT, has_cost INTEGER, currency TEXT)"
        )
        let sql = tables.dialect
        return [
            try tables.feed(
                types: ["generation.requested", "cost.recorded", "payload.erased"],
                "INSERT INTO \(table) VALUES (:seq, :type, :occurred_at, :recorded_at, :payload, \(sql.payloadField("attempt")), \(sql.payloadField("note")), \(sql.payloadJSON("cost")), \(sql.payloadHas("cost")), \(sql.payloadField("cost.currency")))"
            ),
            try tables.feed(
                types: ["cost.recorded"], requiring: "\"currency\"",
                "INSERT INTO \(table) (seq, type, currency) VALUES (:seq, 'again', \(sql.payloadField("cost.currency")))"),
        ]
    }

    @Test("the same rows and last seq as reading in line, in batches of every size, over a part or all of the log")
    func sameRows() throws {
        let directory = TemporaryDirectory()
        let ledger = try Self.ledger(3_000, in: directory)
        let size = try ledger.size()
        for (batch, after, through) in [(1, 0, nil), (7, 0, nil), (1_024, 0, nil), (64, 100, 2_500), (5, 2_998, nil)] as [(Int, UInt64, UInt64?)] {
            ledger.readAheadBatch = batch
            try ledger.withSideTables(write: true) { tables in
                ledger.readAheadMinimum = .max
                let inLine = try tables.run(try Self.feeds(tables, into: "in_line"), after: after, through: through)
                ledger.readAheadMinimum = 0
                let ahead = try tables.run(try Self.feeds(tables, into: "ahead"), after: after, through: through)
                #expect(inLine == (through ?? size) && ahead == inLine)
                let columns = "seq, type, occurred_at, recorded_at, payload, attempt, note, cost, has_cost, currency"
                let expected = try tables.rows("SELECT \(columns) FROM in_line ORDER BY rowid")
                #expect(expected.count > 0 || after >= 2_998)
                #expect(try tables.rows("SELECT \(columns) FROM ahead ORDER BY rowid") == expected, "batch \(batch), after \(after)")
                // The erased field is absent from what remains.
                #expect(try tables.rows("SELECT count(*) FROM in_line WHERE seq = 5 AND type != 'again' AND note IS NULL").first?[0].int == (after < 5 ? 1 : 0))
                try tables.execute("DROP TABLE in_line")
                try tables.execute("DROP TABLE ahead")
            }
        }
    }

    @Test("a failing insert stops the reader and names its event; a gap and a damaged payload are named as in line")
    func errors() throws {
        let directory = TemporaryDirectory()
        let ledger = try Self.ledger(5_000, in: directory)
        ledger.readAheadBatch = 16
        func failures(_ ledger: Ledger, _ sql: (SideTables) -> String) throws -> [String] {
            try [UInt64.max, 0].map { minimum in
                ledger.readAheadMinimum = minimum
                return try ledger.withSideTables(write: true) { tables in
                    try tables.execute("CREATE TABLE IF NOT EXISTS needs (seq INTEGER NOT NULL, attempt INTEGER NOT NULL)")
                    let feed = try tables.feed(types: ["generation.requested", "cost.recorded"], sql(tables))
                    do {
                        _ = try tables.run([feed], after: 0)
                        return "no error"
                    } catch let error as LedgerError {
                        return "\(error.code) \(error.seq.map(String.init) ?? "-") \(error.message)"
                    }
                }
            }
        }
        // Attempt 4 123 is refused: the insert fails at its seq with the reader well ahead.
        let refused = try failures(ledger) { tables in
            let attempt = tables.dialect.payloadField("attempt")
            return "INSERT INTO needs VALUES (:seq, CASE WHEN \(attempt) = 4123 THEN NULL ELSE \(attempt) END)"
        }
        #expect(refused[0] == refused[1] && refused[0].contains(" 4124 ") && refused[0].contains("NOT NULL"), "\(refused)")

        let attacker = try Attacker(path: ledger.path)
        try attacker.execute("UPDATE events SET payload = CAST('{\"attempt\":' AS BLOB) WHERE seq = 3100")
        let damaged = try failures(try Ledger(opening: ledger.path)) { "INSERT INTO needs VALUES (:seq, \($0.dialect.payloadField("attempt")))" }
        #expect(damaged[0] == damaged[1] && damaged[0].hasPrefix("damaged 3100 ") && damaged[0].contains("not JSON"), "\(damaged)")

        try attacker.execute("DELETE FROM events WHERE seq = 2200")
        let gap = try failures(try Ledger(opening: ledger.path)) { "INSERT INTO needs VALUES (:seq, \($0.dialect.payloadField("attempt")))" }
        #expect(gap[0] == gap[1] && gap[0].hasPrefix("damaged 2200 ") && gap[0].contains("gap"), "\(gap)")
    }
}
