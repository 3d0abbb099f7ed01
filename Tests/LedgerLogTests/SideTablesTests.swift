import Foundation
@testable import LedgerLog
import LedgerTestSupport
import Testing

@Suite("Side tables: SQL read models beside the log, fed straight from its rows")
struct SideTablesTests {
    @Test("a feed runs once per event of its types, with the envelope and payload bound, gapless", arguments: TestStore.allCases)
    func feedsByType(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(9))  // seqs 1, 4, 7 are generation.requested
        let rows = try ledger.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE costs (seq INTEGER, type TEXT, at TEXT, amount REAL, currency TEXT)")
            let sql = tables.dialect
            let feed = try tables.feed(
                types: ["cost.recorded"],
                "INSERT INTO costs SELECT \(sql.typed(":seq", as: "INTEGER")), \(sql.typed(":type", as: "TEXT")), \(sql.typed(":occurred_at", as: "TEXT")), \(sql.typed(sql.member("cost.amount", of: ":payload"), as: "REAL")), \(sql.member("cost.currency", of: ":payload"))"
            )
            #expect(try tables.run([feed], after: 2, through: 6) == 6)
            return try tables.rows("SELECT seq, type, at, amount, currency FROM costs ORDER BY seq")
        }
        let events = try ledger.events()
        #expect(rows.map { $0[0].int } == [3, 5, 6])
        #expect(rows.allSatisfy { $0[1].string == "cost.recorded" && $0[3].double == 1.25 && $0[4].string == "EUR" })
        #expect(rows.map { $0[2].string } == [3, 5, 6].map { events[$0 - 1].occurredAt })
    }

    @Test("a statement with another parameter is refused; a failing one names the seq and type", arguments: TestStore.allCases)
    func feedErrors(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(3))
        let committed = Result {
            try ledger.withSideTables(write: true) { tables in
                try feedErrors(tables)
            }
        }
        // PostgreSQL aborts a transaction at its first failing statement: its COMMIT then rolls
        // back, and that is an error, never a silent success. SQLite goes on after one.
        switch store {
        case .sqlite: #expect(throws: Never.self) { try committed.get() }
        case .postgres:
            #expect { try committed.get() } throws: { "\($0)".contains("rolled the transaction back") }
        }
    }

    private func feedErrors(_ tables: SideTables) throws {
        try tables.execute("CREATE TABLE needs (seq INTEGER NOT NULL, missing TEXT NOT NULL)")
        #expect {
            try tables.feed(types: ["cost.recorded"], "INSERT INTO needs VALUES (:seq, :deliverable)")
        } throws: { error in
            "\(error)".contains(":deliverable") || "\(error)".contains(":payload")
        }
        let feed = try tables.feed(
            types: ["cost.recorded"], "INSERT INTO needs VALUES (:seq, \(tables.dialect.member("nowhere", of: ":payload")))")
        #expect {
            try tables.run([feed], after: 0)
        } throws: { error in
            let error = error as? LedgerError
            return error?.seq == 2 && error?.message.contains("cost.recorded") == true
                && error?.message.contains("NOT NULL") == true
        }
    }

    /// A statement that keeps the first row per value (an insert ignoring a duplicate of a unique
    /// column) runs once per value within a run: a trigger counts the inserts it attempts.
    @Test("a keep-the-first feed runs once per value in a run, again in the next, and for every event without the member", arguments: [false, true])
    func oncePerValue(readAhead: Bool) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        ledger.readAheadMinimum = readAhead ? 0 : .max
        try ledger.append(LedgerFixtures.events(9))  // costs at seqs 2, 3, 5, 6, 8, 9, all in EUR
        try ledger.append(ProposedEvent(type: "cost.recorded", stream: "deliverable/D-9", payload: ["note": "no currency"]))
        try ledger.append(ProposedEvent(type: "cost.recorded", stream: "deliverable/D-9", payload: ["cost": ["currency": "USD"]]))
        try ledger.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE currencies (seq INTEGER NOT NULL, currency TEXT NOT NULL UNIQUE)")
            try tables.execute("CREATE TABLE attempts (seq INTEGER)")
            try tables.execute("CREATE TRIGGER counted BEFORE INSERT ON currencies BEGIN INSERT INTO attempts VALUES (NEW.seq); END")
            let sql = "INSERT OR IGNORE INTO currencies VALUES (:seq, \(tables.dialect.payloadField("cost.currency")))"
            func attempts(once: String?) throws -> [Int64?] {
                try tables.execute("DELETE FROM currencies")
                try tables.execute("DELETE FROM attempts")
                let feed = try tables.feed(types: ["cost.recorded"], once: once, sql)
                #expect(try tables.run([feed], after: 0) == 11)
                #expect(try tables.rows("SELECT seq, currency FROM currencies ORDER BY seq").map { [$0[0].int.map(String.init), $0[1].string] } == [["2", "EUR"], ["11", "USD"]])
                let first = try tables.rows("SELECT seq FROM attempts ORDER BY rowid").map { $0[0].int }
                // The same feed run again over emptied tables adds the rows again.
                try tables.execute("DELETE FROM currencies")
                try tables.execute("DELETE FROM attempts")
                #expect(try tables.run([feed], after: 0) == 11)
                #expect(try tables.rows("SELECT seq FROM currencies ORDER BY seq").map { $0[0].int } == [2, 11])
                #expect(try tables.rows("SELECT seq FROM attempts ORDER BY rowid").map { $0[0].int } == first)
                return first
            }
            #expect(try attempts(once: nil) == [2, 3, 5, 6, 8, 9, 10, 11])
            #expect(try attempts(once: "cost.currency") == [2, 10, 11])
            #expect {
                try tables.feed(types: ["cost.recorded"], once: "cost.amount", sql)
            } throws: { "\($0)".contains("cost.amount") }
        }
    }

    @Test("a keep-the-first feed over many values, empty text among them, runs once for each", arguments: [false, true])
    func oncePerValueOfMany(readAhead: Bool) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        ledger.readAheadMinimum = readAhead ? 0 : .max
        // 40 currencies ("" among them), each twice: past the values compared in place.
        let currencies = [""] + (1..<40).map { "C\($0)" }
        try ledger.append((currencies + currencies).map { ProposedEvent(type: "cost.recorded", stream: "deliverable/D-1", payload: ["cost": ["currency": .string($0)]]) })
        try ledger.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE currencies (seq INTEGER NOT NULL, currency TEXT NOT NULL UNIQUE)")
            try tables.execute("CREATE TABLE attempts (seq INTEGER)")
            try tables.execute("CREATE TRIGGER counted BEFORE INSERT ON currencies BEGIN INSERT INTO attempts VALUES (NEW.seq); END")
            let feed = try tables.feed(
                types: ["cost.recorded"], once: "cost.currency",
                "INSERT OR IGNORE INTO currencies VALUES (:seq, \(tables.dialect.payloadField("cost.currency")))")
            #expect(try tables.run([feed], after: 0) == 80)
            #expect(try tables.rows("SELECT seq FROM attempts ORDER BY rowid").map { $0[0].int } == (1...40).map { Int64($0) })
            #expect(try tables.rows("SELECT currency FROM currencies ORDER BY seq").map { $0[0].string } == currencies)
        }
    }

    @Test("a gap in the log stops the feed and names the missing seq", arguments: TestStore.allCases)
    func gap(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(5))
        try Attacker(path: ledger.path).execute("DELETE FROM events WHERE seq = 3")
        let reopened = try Ledger(opening: ledger.path)
        try reopened.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE seen (seq INTEGER)")
            let feed = try tables.feed(
                types: ["cost.recorded", "generation.requested"], "INSERT INTO seen VALUES (\(tables.dialect.typed(":seq", as: "INTEGER")))")
            #expect {
                try tables.run([feed], after: 0)
            } throws: { error in
                (error as? LedgerError)?.seq == 3 && (error as? LedgerError)?.code == .damaged
            }
        }
    }
}

@Suite("Freed pages: zeroed where erasure needs it, not everywhere")
struct FreedPagesTests {
    /// How many times the files of the ledger (the database, its WAL) hold `text`.
    static func occurrences(_ text: String, in directory: TemporaryDirectory) throws -> Int {
        var count = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path("")) where file.hasPrefix("ledger.db") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path(file)))
            var from = bytes.startIndex
            while let found = bytes.range(of: Data(text.utf8), in: from..<bytes.endIndex) {
                count += 1
                from = found.upperBound
            }
        }
        return count
    }

    static func fill(_ ledger: Ledger, _ table: String, with text: String) throws {
        try ledger.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE \(table) (seq INTEGER, note TEXT)")
            for i in 0..<2000 { try tables.run("INSERT INTO \(table) VALUES (?, ?)", [.integer(Int64(i)), .text("\(text) \(i)")]) }
        }
    }

    @Test("a table dropped outside a zeroing scope leaves its bytes; inside nested scopes, none")
    func zeroingScopes() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.db")
        do {
            let (ledger, _) = try LedgerFixtures.make(in: directory)
            try ledger.append(LedgerFixtures.events(3))
            try Self.fill(ledger, "kept_bytes", with: "plain-drop-4711")
            try Self.fill(ledger, "erased_bytes", with: "zeroed-drop-0815")
        }
        // Each connection here is the only one: closing it folds the WAL into the file and
        // removes it, so the bytes counted are the file's.
        // Plain drops only free pages, whatever the SQLite build's default: cheap, the bytes stay.
        try { try Ledger(opening: path).withSideTables(write: true) { try $0.execute("DROP TABLE kept_bytes") } }()
        #expect(try Self.occurrences("plain-drop-4711", in: directory) >= 2000)
        // An inner scope ending (erasure inside a command's own scope) does not end the outer one.
        try {
            let ledger = try Ledger(opening: path)
            try ledger.zeroingFreedPages {
                try ledger.zeroingFreedPages {}
                try ledger.withSideTables(write: true) { try $0.execute("DROP TABLE erased_bytes") }
            }
        }()
        #expect(try Self.occurrences("zeroed-drop-0815", in: directory) == 0)
        #expect(try Ledger(opening: path).verify().isValid)
    }
}
