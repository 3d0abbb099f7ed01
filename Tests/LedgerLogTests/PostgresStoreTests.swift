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
}
