import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerLog

/// Since SQLite schema 5 (PostgreSQL 2) a stream's events are found from its row in
/// `stream_heads` along each event's `stream_prev`, not through an index on (stream, version).
/// What must hold: reads by stream answer exactly what a filter over the whole log answers, the
/// heads and pointers are what the events say, and ledgers written before open, migrate and go on.
@Suite("Stream heads: reading a stream from its head, and ledgers written before them")
struct StreamHeadsTests {
    /// Seven streams of different lengths, written interleaved over several batches.
    static func history(_ ledger: Ledger) throws {
        for batch in 0..<6 {
            let events = (0..<(5 + batch * 3)).map { i in
                ProposedEvent(
                    type: i % 4 == 0 ? "generation.requested" : "cost.recorded",
                    stream: "deliverable/D-\((i * (batch + 1)) % 7)",
                    payload: ["batch": .number(Double(batch)), "i": .number(Double(i))])
            }
            try ledger.append(events)
        }
        try ledger.append(ProposedEvent(type: "deliverable.opened", stream: "campaign/C-1", payload: [:]))
    }

    @Test("every read by stream (after, through, type, limit, newest first) equals the same filter over the whole log", arguments: TestStore.allCases)
    func readsByStream(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try Self.history(ledger)
        let all = try ledger.events()
        let size = UInt64(all.count)
        let streams = Set(all.map(\.stream)).sorted() + ["deliverable/none"]
        var compared = 0
        for stream in streams {
            for after: UInt64 in [0, 5, size / 2, size] {
                for through: UInt64? in [nil, size / 3, size - 1] {
                    for type: String? in [nil, "cost.recorded"] {
                        for limit: Int? in [nil, 1, 3] {
                            for newestFirst in [false, true] {
                                var expected = all.filter { (event: RecordedEvent) -> Bool in
                                    event.stream == stream && event.seq > after && (through.map { event.seq <= $0 } ?? true)
                                        && (type.map { event.type == $0 } ?? true)
                                }
                                if newestFirst { expected.reverse() }
                                if let limit { expected = Array(expected.prefix(limit)) }
                                var read: [UInt64] = []
                                try ledger.forEachEvent(
                                    after: after, through: through, stream: stream, type: type, limit: limit, newestFirst: newestFirst
                                ) {
                                    read.append($0.seq)
                                    return true
                                }
                                #expect(read == expected.map { $0.seq }, "\(stream) after \(after) through \(String(describing: through))")
                                compared += expected.count
                            }
                        }
                    }
                }
            }
            #expect(try ledger.hasStream(stream) == all.contains { $0.stream == stream })
        }
        #expect(compared > 500)
        #expect(try ledger.streams(endingWith: "D-3") == ["deliverable/D-3"])
        try Self.expectHeadsAndPointers(of: ledger, store: store)
    }

    @Test("a savepoint rolled back takes its heads with it; the next append continues the stream where it stood", arguments: TestStore.allCases)
    func savepointRollback(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(10))
        struct Refused: Error {}
        try ledger.withAppendSession { session in
            #expect(throws: Refused.self) {
                try session.savepoint {
                    try session.append(LedgerFixtures.events(7))
                    throw Refused()
                }
            }
            try session.append(LedgerFixtures.events(3))
        }
        let d0 = try ledger.events(stream: "deliverable/D-0")
        #expect(d0.map(\.streamVersion) == [1, 2, 3])
        #expect(d0.map(\.seq) == [1, 6, 11])
        try Self.expectHeadsAndPointers(of: ledger, store: store)
        #expect(try ledger.verify().isValid)
    }

    @Test("heads only move forward and pointers never change, inside the database too", arguments: TestStore.allCases)
    func triggers(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(12))
        let execute: (String) throws -> Void
        switch store {
        case .sqlite: execute = try SQLClient(path: ledger.path).execute
        case .postgres: execute = try PostgresClient(url: ledger.path).execute
        }
        for sql in [
            "UPDATE stream_heads SET version = 1, seq = 1 WHERE stream = 'deliverable/D-0'",
            "UPDATE stream_heads SET stream = 'deliverable/D-9' WHERE stream = 'deliverable/D-0'",
            "DELETE FROM stream_heads", "UPDATE events SET stream_prev = NULL WHERE seq = 6",
            "UPDATE events SET stream_prev = 2 WHERE seq = 6",
        ] {
            #expect(throws: (any Error).self, "\(sql)") { try execute(sql) }
        }
        if store == .postgres {
            #expect(throws: (any Error).self) { try execute("TRUNCATE stream_heads") }
        }
        try Self.expectHeadsAndPointers(of: ledger, store: store)
    }

    @Test("a copy refuses a source whose stream skips a version, naming the seq")
    func copyChecksVersions() throws {
        let directory = TemporaryDirectory()
        let (source, _) = try LedgerFixtures.make(in: directory, name: "source.db")
        try source.append(LedgerFixtures.events(6))
        var events = try source.events()
        // Recorded as another ledger would send it: version 3 where 2 belongs, chain and hash made to fit.
        events[5].streamVersion = 3
        events[5].hash = SHA256().hash(EnvelopeEncoding.hashedBytes(of: events[5]))
        let (destination, _) = try LedgerFixtures.make(in: directory, name: "destination.db")
        #expect {
            try destination.appendRecorded(events, erasures: [])
        } throws: { error in
            let error = error as? LedgerError
            return error?.seq == 6 && error?.message.contains("version 3 of stream 'deliverable/D-0', whose last version was 1") == true
        }
        #expect(try destination.size() == 0)
    }

    @Test("a SQLite ledger written at schema 4 opens at schema 5, verifies with its key, reads each stream as before and goes on")
    func upgradeSQLite() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("schema4.db")
        try FileManager.default.copyItem(atPath: RepositoryFiles.path("Tests/Fixtures/schema-4/ledger.db"), toPath: path)
        let before = try SQLClient(path: path)
        #expect(try before.strings("PRAGMA user_version") == ["4"])
        let streamsBefore = try Self.streamSeqs(before)
        #expect(streamsBefore.count == 36)

        let ledger = try Ledger(opening: path)
        let after = try SQLClient(path: path)
        #expect(try after.strings("PRAGMA user_version") == ["\(Schema.currentVersion)"])
        // One index left on events: the id's. The (stream, stream_version) index is gone.
        #expect(try after.strings("SELECT name FROM pragma_index_list('events')") == ["sqlite_autoindex_events_1"])
        try Self.expectUpgraded(ledger, streamsBefore: streamsBefore, store: .sqlite)
    }

    @Test("a PostgreSQL ledger at schema 1 (the same history, row for row) opens at schema 2, verifies, reads each stream as before and goes on")
    func upgradePostgres() throws {
        let directory = TemporaryDirectory()
        let fixture = directory.path("schema4.db")
        try FileManager.default.copyItem(atPath: RepositoryFiles.path("Tests/Fixtures/schema-4/ledger.db"), toPath: fixture)
        let old = try SQLClient(path: fixture)
        let streamsBefore = try Self.streamSeqs(old)

        let url = try SharedPostgres.newDatabase()
        let database = try PostgresClient(url: url)
        try database.execute(PostgresStore.migrations[0] + "; UPDATE genledger_schema SET version = 1;")
        // Each table's rows as PostgreSQL literals, written by SQLite itself.
        func rows(_ columns: String, from table: String) throws -> String {
            try old.strings("SELECT '(' || \(columns) || ')' FROM \(table) ORDER BY rowid").joined(separator: ",")
        }
        func bytes(_ column: String) -> String {
            "CASE WHEN \(column) IS NULL THEN 'NULL' ELSE 'decode(''' || hex(\(column)) || ''', ''hex'')' END"
        }
        let eventRows = try rows(
            ["seq", "quote(id)", "quote(type)", "quote(stream)", "stream_version", "quote(occurred_at)", "quote(recorded_at)",
             "quote(actor)", bytes("payload"), bytes("payload_digest"), bytes("prev_hash"), bytes("hash")].joined(separator: " || ',' || "),
            from: "events")
        try database.execute(
            """
            INSERT INTO ledger_meta VALUES \(try rows("quote(key) || ',' || quote(value)", from: "ledger_meta"));
            INSERT INTO events VALUES \(eventRows);
            INSERT INTO merkle_nodes VALUES \(try rows("id || ',' || \(bytes("hash"))", from: "merkle_nodes"));
            INSERT INTO checkpoints OVERRIDING SYSTEM VALUE VALUES
                \(try rows("id || ',' || tree_size || ',' || \(bytes("root")) || ',' || quote(note) || ',' || quote(issued_at)", from: "checkpoints"));
            INSERT INTO verifier_keys(key, added_at) VALUES \(try rows("quote(key) || ',' || quote(added_at)", from: "verifier_keys"));
            INSERT INTO erasures VALUES \(try rows("seq || ',' || erased_by", from: "erasures"));
            """)
        #expect(try database.strings("SELECT count(*) FROM events") == ["142"])
        // A deployment's writer role with the grants docs/DEPLOY.md gave at schema 1.
        try database.execute(
            """
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'genledger_writer') THEN CREATE ROLE genledger_writer LOGIN; END IF; END $$;
            GRANT USAGE ON SCHEMA public TO genledger_writer;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO genledger_writer;
            REVOKE UPDATE, DELETE, TRUNCATE ON events, merkle_nodes, checkpoints, verifier_keys, cosignatures,
                erasures, ledger_meta, genledger_schema FROM genledger_writer;
            GRANT UPDATE (payload) ON events TO genledger_writer;
            """)

        // The owner (here the superuser) opens it first and migrates; then the writer appends.
        _ = try Ledger(opening: url)
        let ledger = try Ledger(opening: url.replacingOccurrences(of: "postgres@", with: "genledger_writer@"))
        #expect(try database.strings("SELECT version FROM genledger_schema") == ["\(PostgresStore.currentVersion)"])
        #expect(
            try database.strings("SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'u'")
                == ["events_id_key"])
        try Self.expectUpgraded(ledger, streamsBefore: streamsBefore, store: .postgres)
    }

    // MARK: Helpers

    /// Each stream's seqs, in seq order, read with plain SQL from a ledger of either schema.
    static func streamSeqs(_ client: SQLClient) throws -> [String: [UInt64]] {
        var streams: [String: [UInt64]] = [:]
        for line in try client.strings("SELECT stream || char(9) || seq FROM events ORDER BY seq") {
            let parts = line.split(separator: "\t")
            streams[String(parts[0]), default: []].append(UInt64(parts[1])!)
        }
        return streams
    }

    static func expectUpgraded(_ ledger: Ledger, streamsBefore: [String: [UInt64]], store: TestStore) throws {
        let key = try NoteVerifierKey(
            parsing: try String(contentsOfFile: RepositoryFiles.path("Tests/Fixtures/schema-4/verifier-key.txt"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines))
        let report = try ledger.verify(suppliedKeys: [key])
        #expect(report.isValid, "\(report.problems)")
        #expect(report.checkpointsChecked == 2)
        for (stream, seqs) in streamsBefore {
            #expect(try ledger.events(stream: stream).map(\.seq) == seqs, "\(stream)")
        }
        try expectHeadsAndPointers(of: ledger, store: store)
        // The erased payload is still the redacted one, and appends continue each stream.
        #expect(try ledger.erasedPayloadDigests().keys.sorted() == [141])
        let appended = try ledger.append([
            ProposedEvent(type: "cost.recorded", stream: "deliverable/D-000001", payload: ["amount": 1]),
            ProposedEvent(type: "cost.recorded", stream: "deliverable/D-000001", payload: ["amount": 2], expectedVersion: 29),
            ProposedEvent(type: "deliverable.opened", stream: "deliverable/D-000099", payload: [:]),
        ])
        #expect(appended.map(\.seq) == [143, 144, 145])
        #expect(appended.map(\.streamVersion) == [29, 30, 1])
        #expect(try ledger.events(stream: "deliverable/D-000001").map(\.seq) == streamsBefore["deliverable/D-000001"]! + [143, 144])
        #expect(throws: LedgerError.self) {
            try ledger.append(ProposedEvent(type: "cost.recorded", stream: "deliverable/D-000001", payload: [:], expectedVersion: 29))
        }
        try expectHeadsAndPointers(of: ledger, store: store)
        #expect(try ledger.verify(suppliedKeys: [key]).isValid)
    }

    /// Every head is its stream's last event, and every event points at its stream's previous one.
    static func expectHeadsAndPointers(of ledger: Ledger, store: TestStore) throws {
        let strings: (String) throws -> [String]
        switch store {
        case .sqlite: strings = try SQLClient(path: ledger.path).strings
        case .postgres: strings = try PostgresClient(url: ledger.path).strings
        }
        var last: [String: RecordedEvent] = [:]
        var expectedPointers: [String] = []
        for event in try ledger.events() {
            expectedPointers.append("\(event.seq):\(last[event.stream].map { "\($0.seq)" } ?? "-")")
            if let previous = last[event.stream] { #expect(event.streamVersion == previous.streamVersion + 1) }
            last[event.stream] = event
        }
        let heads = try strings("SELECT stream || ' ' || version || ' ' || seq FROM stream_heads").sorted()
        #expect(heads == last.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.streamVersion) \($0.value.seq)" })
        #expect(try strings("SELECT seq || ':' || COALESCE(CAST(stream_prev AS TEXT), '-') FROM events ORDER BY seq") == expectedPointers)
    }
}
