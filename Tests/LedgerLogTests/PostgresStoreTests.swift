import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// What only a PostgreSQL ledger has to get right: which databases it accepts, the server's
/// durability settings, and many connections appending at once.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test("refuses a database without a ledger, a ledger twice, and a newer schema, each with its own code")
    func opening() throws {
        let empty = try SharedPostgres.newDatabase()
        #expect { _ = try Ledger(opening: empty) } throws: { ($0 as? LedgerError)?.code == .notALedger }
        let ledger = try Ledger.create(at: empty, origin: "pg.example/log")
        #expect(ledger.store == .postgres)
        #expect { _ = try Ledger.create(at: empty, origin: "pg.example/again") } throws: {
            ($0 as? LedgerError)?.code == .alreadyExists
        }
        try PostgresClient(url: empty).execute("UPDATE genledger_schema SET version = 99")
        #expect { _ = try Ledger(opening: empty) } throws: { error in
            (error as? LedgerError)?.code == .schemaTooNew && "\(error)".contains("99")
        }
    }

    @Test("a ledger that promises full durability refuses synchronous_commit=off; one created --durability normal accepts it")
    func synchronousCommit() throws {
        let strict = try SharedPostgres.newDatabase()
        let relaxed = try SharedPostgres.newDatabase()
        _ = try Ledger.create(at: strict, origin: "strict.example/log")
        _ = try Ledger.create(at: relaxed, origin: "relaxed.example/log", durability: .normal)
        for url in [strict, relaxed] {
            let name = String(url.split(separator: "/").last!)
            try PostgresClient(url: url).execute("ALTER DATABASE \(name) SET synchronous_commit = off")
        }
        #expect { _ = try Ledger(opening: strict) } throws: { error in
            (error as? LedgerError)?.code == .durability && "\(error)".contains("synchronous_commit=off")
        }
        let opened = try Ledger(opening: relaxed)
        try opened.append(LedgerFixtures.events(3))
        #expect(try opened.verify().isValid)
    }

    @Test("eight connections appending at once get gapless seqs and one chain")
    func concurrentWriters() async throws {
        let url = try SharedPostgres.newDatabase()
        _ = try Ledger.create(at: url, origin: "many.example/log")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    let ledger = try Ledger(opening: url)
                    for round in 0..<10 {
                        try ledger.append(LedgerFixtures.events(1 + (writer + round) % 3, streamPrefix: "w\(writer)/D-"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let ledger = try Ledger(opening: url)
        let report = try ledger.verify()
        #expect(report.isValid, "\(report.problems)")
        let seqs = try ledger.events().map(\.seq)
        #expect(seqs == Array(1...UInt64(seqs.count)))
        var expected = 0
        for writer in 0..<8 { for round in 0..<10 { expected += 1 + (writer + round) % 3 } }
        #expect(seqs.count == expected)
    }

    @Test("the writer role of docs/DEPLOY.md appends and checkpoints, and can neither rewrite the log nor get past its triggers")
    func writerRole() throws {
        // The ledger's owner here is the cluster's superuser, as a migration role would be.
        let (owner, signer) = try LedgerFixtures.make(in: TemporaryDirectory(), store: .postgres)
        let ledgerURL = owner.path
        let admin = try PostgresClient(url: ledgerURL)
        try admin.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'genledger_writer') THEN CREATE ROLE genledger_writer LOGIN; END IF; END $$")
        // A read model the owner created beside the log, before the grants.
        try owner.withSideTables(write: true) { try $0.execute("CREATE TABLE IF NOT EXISTS read_model(seq INTEGER NOT NULL)") }
        let deploy = try String(contentsOfFile: RepositoryFiles.path("docs/DEPLOY.md"), encoding: .utf8)
        let block = try #require(deploy.components(separatedBy: "```sql\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(block.contains("GRANT"))
        try admin.execute(block)

        let writerURL = ledgerURL.replacingOccurrences(of: "postgres@", with: "genledger_writer@")
        let writer = try Ledger(opening: writerURL)
        try writer.append(LedgerFixtures.events(5))
        try writer.issueCheckpoint(signers: [signer])
        try writer.withSideTables(write: true) { tables in
            try tables.execute("CREATE TABLE IF NOT EXISTS read_model(seq INTEGER NOT NULL)")  // there: no privilege needed
            try tables.run("INSERT INTO read_model VALUES (?)", [.integer(1)])
            try tables.run("DELETE FROM read_model")
        }
        #expect(try writer.verify().isValid)

        let client = try PostgresClient(url: writerURL)
        for sql in [
            "UPDATE events SET actor = 'mallory' WHERE seq = 1", "DELETE FROM events WHERE seq = 5", "TRUNCATE events",
            "DELETE FROM merkle_nodes", "UPDATE checkpoints SET note = ''", "DELETE FROM verifier_keys",
            "UPDATE ledger_meta SET value = 'NORMAL' WHERE key = 'durability'", "DROP TRIGGER events_no_update ON events",
            "ALTER TABLE events DISABLE TRIGGER ALL", "CREATE TABLE extra(x integer)", "UPDATE genledger_schema SET version = 0",
            "DELETE FROM stream_heads", "TRUNCATE stream_heads", "UPDATE stream_heads SET version = 1",
        ] {
            #expect(throws: (any Error).self, "\(sql)") { try client.execute(sql) }
        }
        // The one column it may write is still guarded by the trigger.
        #expect(throws: (any Error).self) { try client.execute("UPDATE events SET payload = NULL WHERE seq = 2") }
        #expect(try writer.verify().isValid)
        #expect(try writer.size() == 5)
    }
}
