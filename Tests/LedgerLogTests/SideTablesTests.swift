import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

@Suite("Side tables: SQL read models beside the log, fed straight from its rows")
struct SideTablesTests {
    @Test("a feed runs once per event of its types, with the envelope and payload bound, gapless")
    func feedsByType() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(9))  // seqs 1, 4, 7 are generation.requested
        let rows = try ledger.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE costs (seq INTEGER, type TEXT, at TEXT, amount REAL, currency TEXT)")
            let feed = try tables.feed(
                types: ["cost.recorded"],
                "INSERT INTO costs SELECT :seq, :type, :occurred_at, :payload ->> '$.cost.amount', :payload ->> '$.cost.currency'"
            )
            #expect(try tables.run([feed], after: 2, through: 6) == 6)
            return try tables.rows("SELECT * FROM costs ORDER BY seq")
        }
        let events = try ledger.events()
        #expect(rows.map { $0[0].int } == [3, 5, 6])
        #expect(rows.allSatisfy { $0[1].string == "cost.recorded" && $0[3].double == 1.25 && $0[4].string == "EUR" })
        #expect(rows.map { $0[2].string } == [3, 5, 6].map { events[$0 - 1].occurredAt })
    }

    @Test("a statement with another parameter is refused; a failing one names the seq and type")
    func feedErrors() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(3))
        try ledger.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE needs (seq INTEGER NOT NULL, missing TEXT NOT NULL)")
            #expect {
                try tables.feed(types: ["cost.recorded"], "INSERT INTO needs VALUES (:seq, :deliverable)")
            } throws: { error in
                "\(error)".contains(":deliverable") || "\(error)".contains(":payload")
            }
            let feed = try tables.feed(types: ["cost.recorded"], "INSERT INTO needs VALUES (:seq, :payload ->> '$.nowhere')")
            #expect {
                try tables.run([feed], after: 0)
            } throws: { error in
                let error = error as? LedgerError
                return error?.seq == 2 && error?.message.contains("cost.recorded") == true
                    && error?.message.contains("NOT NULL") == true
            }
        }
    }

    @Test("a gap in the log stops the feed and names the missing seq")
    func gap() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(5))
        try Attacker(path: directory.path("ledger.db")).execute("DELETE FROM events WHERE seq = 3")
        let reopened = try Ledger(opening: directory.path("ledger.db"))
        try reopened.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE seen (seq INTEGER)")
            let feed = try tables.feed(types: ["cost.recorded", "generation.requested"], "INSERT INTO seen VALUES (:seq)")
            #expect {
                try tables.run([feed], after: 0)
            } throws: { error in
                (error as? LedgerError)?.seq == 3 && (error as? LedgerError)?.code == .damaged
            }
        }
    }
}
