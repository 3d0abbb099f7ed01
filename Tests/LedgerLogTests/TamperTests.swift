import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// A ledger changed directly, bypassing the triggers as an attacker with write access to the
/// file (libsqlite3) or superuser access to the database (libpq, triggers dropped) would. Each
/// change must be found, at the right seq, as the right kind, in either store.
@Suite("Tamper matrix")
struct TamperTests {
    struct Scenario {
        let directory = TemporaryDirectory("genledger-tamper")
        let ledger: Ledger
        let signer: NoteSignerKey
        let kept: SignedCheckpoint
        let path: String

        init(events: Int = 20, store: TestStore) throws {
            (ledger, signer) = try LedgerFixtures.make(in: directory, store: store)
            try ledger.append(LedgerFixtures.events(events))
            let stored = try ledger.issueCheckpoint(signers: [signer])
            kept = try SignedCheckpoint(parsing: stored.note)
            path = ledger.path
            #expect(try ledger.verify().isValid)
        }

        func attack(_ sql: String...) throws {
            let attacker = try Attacker(path: path)
            for statement in sql { try attacker.execute(statement) }
        }

        /// Verifies through a fresh connection, as `genledger verify` would.
        func verify(supplied: [SignedCheckpoint] = []) throws -> VerificationReport {
            try Ledger(opening: path).verify(supplied: supplied, suppliedKeys: supplied.isEmpty ? [] : [signer.verifierKey])
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func expectFirst(
        _ report: VerificationReport, _ kind: VerificationProblem.Kind, seq: UInt64?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!report.isValid, sourceLocation: sourceLocation)
        #expect(report.firstProblem?.kind == kind, "\(report.problems)", sourceLocation: sourceLocation)
        #expect(report.firstProblem?.seq == seq, "\(report.problems)", sourceLocation: sourceLocation)
    }

    @Test("an edited payload is found at its seq", arguments: TestStore.allCases)
    func editedPayload(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack("UPDATE events SET payload = CAST('{\"attempt\":99}' AS BLOB) WHERE seq = 7")
        Self.expectFirst(try s.verify(), .edited, seq: 7)
    }

    @Test("an edited envelope field is found at its seq", arguments: TestStore.allCases)
    func editedEnvelope(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack("UPDATE events SET actor = 'mallory' WHERE seq = 11")
        Self.expectFirst(try s.verify(), .edited, seq: 11)
    }

    @Test("a deleted row is found at its seq", arguments: TestStore.allCases)
    func deletedRow(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack("DELETE FROM events WHERE seq = 7")
        Self.expectFirst(try s.verify(), .deleted, seq: 7)
    }

    /// A forged event for seq `seq`, chained to the event before it and hashing consistently.
    static func forgedEvent(after before: RecordedEvent, seq: UInt64) -> RecordedEvent {
        var forged = before
        forged.seq = seq
        forged.id = UUID().uuidString.lowercased()
        forged.stream = "deliverable/forged"
        forged.streamVersion = 1
        forged.payloadBytes = Array(#"{"approved":true}"#.utf8)
        forged.payloadDigest = SHA256.hash(forged.payloadBytes)
        forged.previousHash = before.hash
        forged.hash = SHA256.hash(EnvelopeEncoding.hashedBytes(of: forged))
        return forged
    }

    static func insert(_ forged: RecordedEvent) -> String {
        """
        INSERT INTO events VALUES (\(forged.seq), '\(forged.id)', '\(forged.type)', '\(forged.stream)', 1, '\(forged.occurredAt)',
          '\(forged.recordedAt)', '\(forged.actor)', X'\(hex(forged.payloadBytes))', X'\(forged.payloadDigest.hex)',
          X'\(forged.previousHash.hex)', X'\(forged.hash.hex)', NULL)
        """
    }

    @Test("a payload set to NULL: verify names the seq, and export refuses instead of writing invalid JSON", arguments: TestStore.allCases)
    func nullPayload(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack("UPDATE events SET payload = NULL WHERE seq = 5")
        Self.expectFirst(try s.verify(), .edited, seq: 5)
        let out = s.directory.path("export.jsonl")
        #expect(throws: LedgerError.self) { try Ledger(opening: s.path).exportEvents(through: 20, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))
    }

    @Test("an inserted row is found at its own seq, odd or even (not at the Merkle node before it)", arguments: TestStore.allCases, [7, 8, 12] as [UInt64])
    func insertedAtAnySeq(store: TestStore, seq: UInt64) throws {
        let s = try Scenario(store: store)
        let forged = Self.forgedEvent(after: try #require(try s.ledger.event(seq: seq - 1)), seq: seq)
        try s.attack(
            "UPDATE events SET seq = seq + 1000000 WHERE seq >= \(seq)",
            "UPDATE events SET seq = seq - 999999 WHERE seq >= 1000000", Self.insert(forged))
        Self.expectFirst(try s.verify(), .inserted, seq: seq)
    }

    @Test("a replaced row that hashes and links consistently is named at its own seq, not the next", arguments: TestStore.allCases, [7, 8, 12] as [UInt64])
    func replacedRow(store: TestStore, seq: UInt64) throws {
        let s = try Scenario(store: store)
        let forged = Self.forgedEvent(after: try #require(try s.ledger.event(seq: seq - 1)), seq: seq)
        try s.attack("DELETE FROM events WHERE seq = \(seq)", Self.insert(forged))
        Self.expectFirst(try s.verify(), .chainBroken, seq: seq)
    }

    @Test("an inserted row, with later rows renumbered and its own hash and link made valid, is found at its seq", arguments: TestStore.allCases)
    func insertedRow(store: TestStore) throws {
        let s = try Scenario(store: store)
        let before = try #require(try s.ledger.event(seq: 6))
        var forged = before
        forged.seq = 7
        forged.id = UUID().uuidString.lowercased()
        forged.stream = "deliverable/forged"
        forged.streamVersion = 1
        forged.payloadBytes = Array(#"{"approved":true}"#.utf8)
        forged.payloadDigest = SHA256.hash(forged.payloadBytes)
        forged.previousHash = before.hash
        forged.hash = SHA256.hash(EnvelopeEncoding.hashedBytes(of: forged))
        try s.attack(
            "UPDATE events SET seq = seq + 1000000 WHERE seq >= 7",
            "UPDATE events SET seq = seq - 999999 WHERE seq >= 1000000",
            """
            INSERT INTO events VALUES (7, '\(forged.id)', '\(forged.type)', '\(forged.stream)', 1, '\(forged.occurredAt)',
              '\(forged.recordedAt)', '\(forged.actor)', X'\(Self.hex(forged.payloadBytes))', X'\(forged.payloadDigest.hex)',
              X'\(forged.previousHash.hex)', X'\(forged.hash.hex)', NULL)
            """)
        Self.expectFirst(try s.verify(), .inserted, seq: 7)
    }

    @Test("two swapped rows are found as reordered at the first of them", arguments: TestStore.allCases)
    func swappedRows(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack(
            "UPDATE events SET seq = 1000 WHERE seq = 9",
            "UPDATE events SET seq = 9 WHERE seq = 10",
            "UPDATE events SET seq = 10 WHERE seq = 1000")
        Self.expectFirst(try s.verify(), .reordered, seq: 9)
    }

    @Test("a dropped tail is found from the stored tree and checkpoint", arguments: TestStore.allCases)
    func droppedTail(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack("DELETE FROM events WHERE seq > 15")
        Self.expectFirst(try s.verify(), .tailRemoved, seq: 16)
    }

    @Test("a dropped tail whose tree and checkpoints were also removed is found against a checkpoint kept elsewhere", arguments: TestStore.allCases)
    func droppedTailEverywhere(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.attack(
            "DELETE FROM events WHERE seq > 15", "DELETE FROM checkpoints",
            "DELETE FROM merkle_nodes WHERE (id >> 6) >= 15")
        #expect(try s.verify().isValid, "without outside evidence the shortened log is self-consistent")
        Self.expectFirst(try s.verify(supplied: [s.kept]), .tailRemoved, seq: 16)
    }

    @Test("a replaced checkpoint signature is found", arguments: TestStore.allCases)
    func replacedSignature(store: TestStore) throws {
        let s = try Scenario(store: store)
        let stored = try #require(try s.ledger.latestCheckpoint())
        var note = try SignedNote(parsing: stored.note)
        note.signatures[0].signature[5] ^= 0x40
        try s.attack("UPDATE checkpoints SET note = '\(note.serialized)' WHERE id = \(stored.number)")
        Self.expectFirst(try s.verify(), .badSignature, seq: nil)
    }

    @Test("a checkpoint re-signed by a key the ledger does not know is found", arguments: TestStore.allCases)
    func foreignSignature(store: TestStore) throws {
        let s = try Scenario(store: store)
        let stored = try #require(try s.ledger.latestCheckpoint())
        let mallory = try NoteSignerKey.generate(name: s.ledger.origin)
        let forged = try SignedCheckpoint.sign(try SignedCheckpoint(parsing: stored.note).checkpoint, with: [mallory])
        try s.attack("UPDATE checkpoints SET note = '\(forged.note.serialized)' WHERE id = \(stored.number)")
        Self.expectFirst(try s.verify(), .badSignature, seq: nil)
    }

    @Test("an edit with the whole chain recomputed is found by the stored Merkle tree", arguments: TestStore.allCases)
    func rewrittenChain(store: TestStore) throws {
        let s = try Scenario(store: store)
        var events = try s.ledger.events()
        var statements: [String] = []
        let sha = SHA256()
        for index in 6..<events.count {
            if index == 6 {
                events[index].payloadBytes = Array(#"{"attempt":1}"#.utf8)
                events[index].payloadDigest = sha.hash(events[index].payloadBytes)
            }
            events[index].previousHash = events[index - 1].hash
            events[index].hash = sha.hash(EnvelopeEncoding.hashedBytes(of: events[index]))
            statements.append(
                "UPDATE events SET payload = X'\(Self.hex(events[index].payloadBytes))', payload_digest = X'\(events[index].payloadDigest.hex)', prev_hash = X'\(events[index].previousHash.hex)', hash = X'\(events[index].hash.hex)' WHERE seq = \(events[index].seq)"
            )
        }
        let attacker = try Attacker(path: s.path)
        for statement in statements { try attacker.execute(statement) }
        Self.expectFirst(try s.verify(), .merkleMismatch, seq: 7)
    }

    @Test("in a log of several batches (verify's two-thread pass), a change deep in it is named at its seq; the untouched log verifies to its root", arguments: TestStore.allCases)
    func deepInALongLog(store: TestStore) throws {
        let events = 9_500  // many batches of rows (1 024 each)
        let untouched = try Scenario(events: events, store: store)
        let report = try untouched.verify(supplied: [untouched.kept])
        #expect(report.isValid && report.eventCount == UInt64(events) && report.checkpointsChecked == 2, "\(report.problems)")
        let root = try untouched.ledger.rootHash()
        #expect(report.root == root)

        let edited = try Scenario(events: events, store: store)
        try edited.attack("UPDATE events SET actor = 'mallory' WHERE seq = 9001")
        Self.expectFirst(try edited.verify(), .edited, seq: 9001)

        let node = try Scenario(events: events, store: store)
        // The level-1 node over seqs 9001…9002: its key is the completing leaf's index, then the level.
        try node.attack("UPDATE merkle_nodes SET hash = X'\(String(repeating: "00", count: 32))' WHERE id = \(9_001 << 6 | 1)")
        Self.expectFirst(try node.verify(), .merkleMismatch, seq: 9001)

        let tail = try Scenario(events: events, store: store)
        try tail.attack("DELETE FROM events WHERE seq > 8500")
        Self.expectFirst(try tail.verify(), .tailRemoved, seq: 8501)
    }

    @Test("the untouched ledger verifies, with every checkpoint and signature counted", arguments: TestStore.allCases)
    func untouched(store: TestStore) throws {
        let s = try Scenario(store: store)
        try s.ledger.append(LedgerFixtures.events(5, streamPrefix: "campaign/C-"))
        try s.ledger.issueCheckpoint(signers: [s.signer])
        let report = try s.verify(supplied: [s.kept])
        #expect(report.isValid, "\(report.problems)")
        #expect(report.eventCount == 25)
        #expect(report.checkpointsChecked == 3)
        #expect(report.signaturesVerified == 3)
    }
}
