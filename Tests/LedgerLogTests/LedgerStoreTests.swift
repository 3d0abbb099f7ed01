import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerLog

@Suite("The ledger store: append, idempotency, concurrency control, opening")
struct LedgerStoreTests {
    @Test("appends get gapless seqs, per-stream versions and a chain from the genesis value", arguments: TestStore.allCases)
    func appendsChain(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        let results = try ledger.append(LedgerFixtures.events(12))
        #expect(results.map(\.seq) == Array(1...12))
        #expect(results.filter { !$0.isDuplicate }.count == 12)
        let events = try ledger.events()
        #expect(events.first?.previousHash == EnvelopeEncoding.genesis)
        for (earlier, later) in zip(events, events.dropFirst()) { #expect(later.previousHash == earlier.hash) }
        // Five streams round-robin: stream D-0 holds events 1, 6, 11 at versions 1, 2, 3.
        #expect(events.filter { $0.stream == "deliverable/D-0" }.map(\.streamVersion) == [1, 2, 3])
        let sha = SHA256()
        for event in events {
            #expect(sha.hash(event.payloadBytes) == event.payloadDigest)
            #expect(sha.hash(EnvelopeEncoding.hashedBytes(of: event)) == event.hash)
        }
        #expect(try ledger.verify().isValid)
    }

    @Test("verify says which keys it trusted and why; given a trust root, a key the file registers beyond it is not trusted", arguments: TestStore.allCases)
    func trustedKeys(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, signer) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(4))
        _ = try ledger.issueCheckpoint(signers: [signer])
        // Trusting the file: said, with a warning.
        let fileTrust = try ledger.verify()
        #expect(fileTrust.isValid && fileTrust.trustedKeys.map(\.source) == [.ledgerFile])
        #expect(fileTrust.warnings.contains { $0.contains("whoever can write the file could add a key") })
        // An attacker's key added to the file, and a checkpoint signed with it alone.
        let mallory = try NoteSignerKey.generate(name: signer.name)
        try ledger.addVerifierKey(mallory.verifierKey)
        try ledger.append(LedgerFixtures.events(2))
        _ = try ledger.issueCheckpoint(signers: [mallory])
        #expect(try ledger.verify().isValid, "trusting the file, the attacker's key passes: the hole a trust root closes")
        let rooted = try ledger.verify(suppliedKeys: [signer.verifierKey])
        #expect(!rooted.isValid && rooted.firstProblem?.kind == .badSignature, "\(rooted.problems)")
        #expect(rooted.trustedKeys == [.init(key: signer.verifierKey.description, source: .supplied)])
        #expect(rooted.warnings.contains { $0.contains("not trusted") && $0.contains(mallory.verifierKey.description) })
    }

    @Test("ids the ledger gives are RFC 9562 version 7: the recording millisecond first, so they sort by time", arguments: TestStore.allCases)
    func givenIDsAreTimeOrdered(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        var ids: [String] = []
        for _ in 0..<3 {
            let appended = try ledger.append(LedgerFixtures.events(40).map { event in
                var given = event
                given.id = nil
                return given
            })
            ids += try appended.map { try #require(try ledger.event(seq: $0.seq)).id }
            usleep(2_000)
        }
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        for id in ids {
            let hex = id.replacingOccurrences(of: "-", with: "")
            #expect(Array(hex)[12] == "7" && "89ab".contains(Array(hex)[16]), "\(id) is version 7, RFC 9562 variant")
            let milliseconds = UInt64(hex.prefix(12), radix: 16)!
            #expect(milliseconds >= before && milliseconds <= after)
        }
        // Batches recorded in later milliseconds sort after earlier ones.
        let stamps = ids.map { $0.prefix(13) }
        #expect(stamps == stamps.sorted() && Set(stamps).count >= 3)
    }

    @Test("the ledger file and its -wal and -shm are owner-only (0600, less the umask), like the key")
    func fileModes() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(3))
        let mask = umask(0)
        umask(mask)
        let expected = 0o600 & ~Int(mask)
        for suffix in ["", "-wal", "-shm"] {
            let path = ledger.path + suffix
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = try #require(attributes[.posixPermissions] as? Int)
            #expect(mode == expected, "\(path) has mode \(String(mode, radix: 8))")
        }
        #expect(throws: LedgerError.self) { try Ledger.create(at: ledger.path, origin: "studio.example/again") }
    }

    @Test("the same id and content again returns the original; other content is a conflict", arguments: TestStore.allCases)
    func idempotency(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        let id = UUID()
        var event = ProposedEvent(id: id, type: "seed.locked", stream: "deliverable/D-1", payload: ["seed": 42])
        let first = try ledger.append(event)
        try ledger.append(LedgerFixtures.events(2))
        let again = try ledger.append(event)
        #expect(again.isDuplicate && again.seq == first.seq && again.hash == first.hash)
        #expect(try ledger.size() == 3)
        event.payload = ["seed": 43]
        #expect {
            try ledger.append(event)
        } throws: { error in
            (error as? LedgerError)?.code == .conflict && (error as? LedgerError)?.seq == first.seq
        }
        #expect(try ledger.size() == 3)
    }

    @Test("an expected stream version that does not hold is a conflict, and the batch writes nothing", arguments: TestStore.allCases)
    func optimisticConcurrency(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(ProposedEvent(type: "deliverable.opened", stream: "deliverable/D-9", payload: [:], expectedVersion: 0))
        let batch = [
            ProposedEvent(type: "seed.locked", stream: "deliverable/D-9", payload: ["seed": 1], expectedVersion: 1),
            ProposedEvent(type: "seed.locked", stream: "deliverable/D-9", payload: ["seed": 2], expectedVersion: 1),
        ]
        #expect {
            try ledger.append(batch)
        } throws: { error in
            let error = error as? LedgerError
            return error?.code == .conflict && error?.index == 1 && error?.field == "expected_version"
        }
        #expect(try ledger.size() == 1)
        #expect(try ledger.verify().isValid)
        // The ledger goes on appending correctly after a rolled-back batch.
        try ledger.append(ProposedEvent(type: "seed.locked", stream: "deliverable/D-9", payload: ["seed": 1], expectedVersion: 1))
        #expect(try ledger.verify().isValid)
    }

    @Test("a batch with one bad event writes nothing and names the event and field", arguments: TestStore.allCases)
    func atomicBatch(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        var batch = LedgerFixtures.events(4)
        batch[2].payload = .array([1])
        #expect {
            try ledger.append(batch)
        } throws: { error in
            let error = error as? LedgerError
            return error?.code == .badInput && error?.index == 2 && error?.field == "payload"
        }
        batch[2].payload = ["blob": .string(String(repeating: "x", count: EnvelopeEncoding.maxPayloadBytes))]
        #expect(throws: LedgerError.self) { try ledger.append(batch) }
        batch[2].payload = [:]
        batch[2].type = ""
        #expect(throws: LedgerError.self) { try ledger.append(batch) }
        #expect(try ledger.size() == 0)
    }

    @Test("a batch large enough to be prepared on every core: the lowest bad index is named; a good one is stored in order")
    func parallelPreparation() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        let count = Ledger.parallelPreparationMinimum * 4 + 3
        var batch = LedgerFixtures.events(count)
        batch[count - 2].type = ""
        batch[count / 2 + 1].payload = .array([1])
        batch[count / 2 - 1].stream = "line\nbreak"
        #expect {
            try ledger.append(batch)
        } throws: { error in
            let error = error as? LedgerError
            return error?.index == count / 2 - 1 && error?.field == "stream"
        }
        #expect(try ledger.size() == 0)

        let good = LedgerFixtures.events(count)
        let appended = try ledger.append(good)
        #expect(appended.map(\.seq) == Array(1...UInt64(count)))
        let stored = try ledger.events()
        #expect(stored.map(\.payloadBytes) == good.map { CanonicalJSON.bytes(of: $0.payload) })
        #expect(stored.map(\.stream) == good.map(\.stream))
        #expect(Set(stored.map(\.id)).count == count)
        #expect(try ledger.verify().isValid)
    }

    @Test("two ledgers on one file interleave appends without forking the chain", arguments: TestStore.allCases)
    func twoConnections(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (first, _) = try LedgerFixtures.make(in: directory, store: store)
        let second = try Ledger(opening: first.path)
        for round in 0..<10 {
            try (round % 2 == 0 ? first : second).append(LedgerFixtures.events(3 + round % 4))
        }
        #expect(try first.verify().isValid)
        #expect(try second.rootHash() == first.rootHash())
    }

    @Test("refuses a missing file, a non-ledger, a damaged file and a newer schema, each with its own code")
    func openingErrors() throws {
        let directory = TemporaryDirectory()
        #expect(throws: LedgerError.self) { _ = try Ledger(opening: directory.path("absent.db")) }

        let text = directory.path("notes.txt")
        try "hello, not a database at all; hello, not a database at all; padding padding padding".write(
            toFile: text, atomically: true, encoding: .utf8)
        #expect {
            _ = try Ledger(opening: text)
        } throws: { ($0 as? LedgerError)?.code == .notALedger }

        let (ledger, _) = try LedgerFixtures.make(in: directory, name: "newer.db")
        try ledger.append(LedgerFixtures.events(2))
        let path = ledger.path
        try Attacker(path: path).execute("PRAGMA user_version=99")
        #expect {
            _ = try Ledger(opening: path)
        } throws: { error in
            (error as? LedgerError)?.code == .schemaTooNew && "\(error)".contains("99")
        }

        let (damagedLedger, _) = try LedgerFixtures.make(in: directory, name: "damaged.db")
        try damagedLedger.append(LedgerFixtures.events(300))
        let damagedPath = damagedLedger.path
        try Attacker(path: damagedPath).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damagedPath))
        for offset in stride(from: 4096, to: bytes.count, by: 4096) { bytes[offset] = 0xFF; bytes[offset + 1] = 0x7F }
        try bytes.write(to: URL(fileURLWithPath: damagedPath))
        #expect {
            let reopened = try Ledger(opening: damagedPath)
            _ = try reopened.verify()
        } throws: { error in
            [.damaged, .notALedger].contains((error as? LedgerError)?.code)
        }
    }

    @Test("refuses to create over an existing file", arguments: TestStore.allCases)
    func noOverwrite(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        #expect {
            _ = try Ledger.create(at: ledger.path, origin: "x.example/log")
        } throws: { ($0 as? LedgerError)?.code == .alreadyExists }
    }

    @Test("durability is FULL by default, relaxed only when asked, and reported by verify", arguments: TestStore.allCases)
    func durability(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (strict, signer) = try LedgerFixtures.make(in: directory, store: store)
        #expect(strict.durability == .full)
        #expect(try strict.verify(suppliedKeys: [signer.verifierKey]).warnings.isEmpty)
        #expect(!(try strict.verify().warnings.contains { $0.contains("synchronous") }))
        let relaxed = try Ledger.create(
            at: try store.location(in: directory, name: "relaxed.db"), origin: "relaxed.example/log", durability: .normal)
        let report = try relaxed.verify()
        #expect(report.durability == .normal)
        let relaxedSetting = store == .sqlite ? "synchronous=NORMAL" : "synchronous_commit=on"
        #expect(report.warnings.contains { $0.contains("durability is relaxed") && $0.contains(relaxedSetting) }, "\(report.warnings)")
    }

    @Test("the log tables refuse UPDATE and DELETE inside the database", arguments: TestStore.allCases)
    func appendOnlyTriggers(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, signer) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(2))
        try ledger.issueCheckpoint(signers: [signer])
        let path = ledger.path
        // A plain connection, triggers intact, as any SQL client would open it (the superuser
        // even, for PostgreSQL: only dropping the triggers gets past them).
        let execute: (String) throws -> Void
        switch store {
        case .sqlite: execute = try SQLClient(path: path).execute
        case .postgres: execute = try PostgresClient(url: path).execute
        }
        for sql in [
            "UPDATE events SET actor = 'mallory' WHERE seq = 1", "DELETE FROM events WHERE seq = 2",
            "DELETE FROM merkle_nodes", "UPDATE checkpoints SET note = ''", "DELETE FROM verifier_keys",
            "UPDATE ledger_meta SET value = 'other' WHERE key = 'origin'",
            "UPDATE ledger_meta SET value = 'OFF' WHERE key = 'durability'", "DELETE FROM ledger_meta",
        ] {
            #expect(throws: (any Error).self, "\(sql)") { try execute(sql) }
        }
        if store == .postgres {
            for table in ["events", "merkle_nodes", "checkpoints", "verifier_keys", "ledger_meta"] {
                #expect(throws: (any Error).self, "TRUNCATE \(table)") { try execute("TRUNCATE \(table) CASCADE") }
            }
        }
        #expect(try ledger.verify().isValid)
    }
}
