import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// One history in both stores: `genledger copy` SQLite → PostgreSQL → SQLite keeps every byte,
/// and every command of the README's walkthroughs answers the same on either copy.
@Suite struct StoreParityTests {
    /// A simulated studio history in a SQLite file, with a signed checkpoint.
    static func simulatedHistory(in directory: TemporaryDirectory, deliverables: Int) throws -> String {
        let ledger = directory.path("studio.db")
        let env = ["GENLEDGER_LEDGER": ledger]
        #expect(try GenLedgerProcess.run(["init", "--origin", "parity.example/log"], environment: env, in: directory).status == 0)
        let simulated = try GenLedgerProcess.run(
            ["simulate", "--seed", "42", "--deliverables", String(deliverables), "--months", "6", "--policies", RepositoryFiles.path("policies")],
            environment: env, in: directory)
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(try GenLedgerProcess.run(["checkpoint"], environment: env, in: directory).status == 0)
        return ledger
    }

    @Test("copy SQLite → PostgreSQL → SQLite: identical export bytes, equal roots, and every walkthrough command answers the same")
    func roundTripAndParity() throws {
        let directory = TemporaryDirectory("genledger-parity")
        let sqlite = try Self.simulatedHistory(in: directory, deliverables: 80)
        let postgres = try SharedPostgres.newDatabase()
        let back = directory.path("back.db")
        func genledger(_ arguments: [String], ledger: String? = nil) throws -> GenLedgerProcess.Result {
            try GenLedgerProcess.run(
                arguments, environment: ledger.map { ["GENLEDGER_LEDGER": $0, "GENLEDGER_KEY_FILE": sqlite + ".key"] } ?? [:],
                in: directory)
        }
        let there = try genledger(["copy", "--from", sqlite, "--to", postgres])
        #expect(there.status == 0, "\(there.stderr)")
        #expect(there.stdout.contains("the copy verifies"))
        let home = try genledger(["copy", "--from", postgres, "--to", back])
        #expect(home.status == 0, "\(home.stderr)")

        var exports: [[UInt8]] = []
        var roots: [String] = []
        for (index, ledger) in [sqlite, postgres, back].enumerated() {
            let out = directory.path("export-\(index).jsonl")
            #expect(try genledger(["export", "--out", out], ledger: ledger).status == 0)
            exports.append(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
            exports.append(Array(try Data(contentsOf: URL(fileURLWithPath: out + ".checkpoint"))))
            let verified = try genledger(["verify"], ledger: ledger)
            #expect(verified.status == 0, "\(verified.stderr)")
            // "OK: N events, root R, …"
            roots.append(String(verified.stdout.split(separator: "\n").first?.split(separator: ",").dropFirst().first ?? ""))
        }
        #expect(exports[0] == exports[2] && exports[0] == exports[4], "the three exports are byte-identical")
        #expect(exports[1] == exports[3] && exports[1] == exports[5], "and so are their checkpoints")
        #expect(Set(roots).count == 1 && !roots[0].isEmpty, "\(roots)")

        // The walkthroughs' questions, asked of the file and of the database.
        let delivered = try genledger(["log", "--type", "deliverable.delivered", "--limit", "1", "--json"], ledger: sqlite).stdout
        let asset = try #require(JSONParser.parse(String(delivered.split(separator: "\n")[0]))["payload"]?["asset"]?.stringValue)
        let questions: [[String]] = [
            ["report", "quarterly", "--quarter", "2026-Q2", "--format", "json"],
            ["report", "quarterly", "--quarter", "2026-Q3", "--format", "json"],
            ["report", "compliance", "--from", "2026-04-01", "--to", "2026-09-30", "--format", "json"],
            ["report", "costs", "--from", "2026-04-01", "--to", "2026-09-30", "--format", "json"],
            ["routing", "current", "--format", "json"], ["routing", "history", "--format", "json"],
            ["routing", "current", "--on", "2026-06-15", "--format", "json"],
            ["routing", "diff", "1", "2", "--table", "video", "--format", "json"],
            ["explain", asset, "--format", "json"],
            ["replay", "--compare-published", "video@1", "--from", "2026-08-01", "--format", "json"],
            ["log", "--type", "policy.denied", "--limit", "5", "--json"],
            ["log", "--stream", "deliverable/D-000003", "--json"],
            ["prove", "inclusion", "4"], ["prove", "consistency", "10", "20"],
            ["search", "D-000003"], ["report", "quarterly", "--quarter", "2025-Q1"],
        ]
        for question in questions {
            let file = try genledger(question, ledger: sqlite)
            let database = try genledger(question, ledger: postgres)
            #expect(file.status == database.status, "\(question): \(file.status) vs \(database.status) \(database.stderr)")
            #expect(file.stdout == database.stdout, "\(question) answers differently")
            #expect(file.stderr == database.stderr, "\(question) fails differently")
            #expect(!file.stdout.isEmpty || !file.stderr.isEmpty, "\(question) said nothing")
        }
        // rebuild --check agrees, but for the time it took.
        let checks = try [sqlite, postgres].map { ledger in
            try genledger(["rebuild", "--check"], ledger: ledger).stdout.split(separator: "\n").filter { !$0.hasPrefix("checked at") }
        }
        #expect(checks[0] == checks[1] && !checks[0].isEmpty)
    }

    @Test("a copy killed midway resumes where it stopped, and refuses a destination holding another history")
    func interruptedCopyResumes() throws {
        let directory = TemporaryDirectory("genledger-copy")
        let sqlite = try Self.simulatedHistory(in: directory, deliverables: 30)
        let total = try Ledger(opening: sqlite).size()
        let postgres = try SharedPostgres.newDatabase()
        // One event per transaction, so the copy is stopped between two of them.
        let running = try GenLedgerProcess.start(["copy", "--from", sqlite, "--to", postgres, "--batch", "1"], in: directory)
        var copied: UInt64 = 0
        let deadline = Date().addingTimeInterval(60)
        while copied < 50 && running.process.isRunning && Date() < deadline {
            copied = (try? Ledger(opening: postgres).size()) ?? 0
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        let kept = try Ledger(opening: postgres).size()
        #expect(kept > 0 && kept < total, "killed midway: \(kept) of \(total)")

        let resumed = try GenLedgerProcess.run(["copy", "--from", sqlite, "--to", postgres], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed after seq \(kept)"), "\(resumed.stdout)")
        let copy = try Ledger(opening: postgres)
        #expect(try copy.size() == total)
        #expect(try copy.rootHash() == (try Ledger(opening: sqlite).rootHash()))
        #expect(try copy.verify().isValid)

        // Another history is not a copy of this one: refused, nothing written.
        let other = directory.path("other.db")
        #expect(try GenLedgerProcess.run(["init", "--ledger", other, "--origin", "parity.example/log"], in: directory).status == 0)
        try Ledger(opening: other).append(LedgerFixtures.events(Int(total) + 5))
        let refused = try GenLedgerProcess.run(["copy", "--from", other, "--to", postgres], in: directory)
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("is not an earlier copy"), "\(refused.stderr)")
        #expect(try copy.size() == total)
    }
}
