/// Creating and opening a ledger in a PostgreSQL database: the same tables as the SQLite file,
/// with PostgreSQL's types (`bytea` for hashes and payloads, `bigint` for seqs), append-only
/// enforced by triggers, and migrations recorded in `genledger_schema` (docs/DEPLOY.md).
enum PostgresStore {
    /// The advisory lock every write transaction takes first ('GLGR').
    static let writeLockKey: Int64 = 0x474C_4752

    static let migrations: [String] = [
        // 1: the log, its Merkle nodes, checkpoints, verifier keys, cosignatures and erasures, as
        // in SQLite schema versions 1–4.
        """
        CREATE TABLE genledger_schema(version integer NOT NULL);
        INSERT INTO genledger_schema VALUES (0);
        CREATE TABLE ledger_meta(key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE events(
            seq bigint PRIMARY KEY,
            id text NOT NULL UNIQUE,
            type text NOT NULL,
            stream text NOT NULL,
            stream_version bigint NOT NULL,
            occurred_at text NOT NULL,
            recorded_at text NOT NULL,
            actor text NOT NULL,
            payload bytea,
            payload_digest bytea NOT NULL,
            prev_hash bytea NOT NULL,
            hash bytea NOT NULL,
            UNIQUE(stream, stream_version)
        );
        CREATE TABLE merkle_nodes(id bigint PRIMARY KEY, hash bytea NOT NULL);
        CREATE TABLE checkpoints(
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tree_size bigint NOT NULL,
            root bytea NOT NULL,
            note text NOT NULL,
            issued_at text NOT NULL
        );
        -- rowid: the order keys were added in, under the name SQLite gives it.
        CREATE TABLE verifier_keys(key text PRIMARY KEY, added_at text NOT NULL, rowid bigint GENERATED ALWAYS AS IDENTITY);
        CREATE TABLE cosignatures(
            checkpoint bigint NOT NULL REFERENCES checkpoints(id),
            witness text NOT NULL,
            line text NOT NULL,
            added_at text NOT NULL,
            PRIMARY KEY(checkpoint, witness)
        );
        CREATE TABLE erasures(seq bigint NOT NULL, erased_by bigint NOT NULL, PRIMARY KEY(seq, erased_by));

        CREATE FUNCTION genledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'genledger: % is append-only', TG_TABLE_NAME;
        END $$;
        CREATE FUNCTION genledger_events_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.type = OLD.type AND NEW.stream = OLD.stream
                AND NEW.stream_version = OLD.stream_version AND NEW.occurred_at = OLD.occurred_at
                AND NEW.recorded_at = OLD.recorded_at AND NEW.actor = OLD.actor
                AND NEW.payload_digest = OLD.payload_digest AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
                AND EXISTS (SELECT 1 FROM erasures WHERE seq = OLD.seq AND erased_by = (SELECT max(seq) FROM events))
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'genledger: events are append-only (a payload changes only by genledger erase)';
        END $$;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION genledger_events_update();
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION genledger_append_only();
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION genledger_append_only();
        """
            + ["merkle_nodes", "checkpoints", "verifier_keys", "cosignatures", "erasures", "ledger_meta"].map { table in
                """
                CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table) FOR EACH ROW EXECUTE FUNCTION genledger_append_only();
                CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION genledger_append_only();
                CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION genledger_append_only();

                """
            }.joined(),
        // 2: a stream's events are found from its head instead of an index on (stream, version),
        // as in SQLite schema version 5: stream_heads holds each stream's last version and seq,
        // and each event points at its stream's previous event (stream_prev). Stream names sort
        // by bytes ("C"), as SQLite sorts them.
        """
        CREATE TABLE stream_heads(stream text COLLATE "C" PRIMARY KEY, version bigint NOT NULL, seq bigint NOT NULL);
        INSERT INTO stream_heads(stream, version, seq)
            SELECT DISTINCT ON (stream) stream, stream_version, seq FROM events ORDER BY stream, stream_version DESC;
        ALTER TABLE events ADD COLUMN stream_prev bigint;
        ALTER TABLE events DISABLE TRIGGER events_no_update;
        UPDATE events e SET stream_prev = p.seq FROM events p
            WHERE p.stream = e.stream AND p.stream_version = e.stream_version - 1;
        ALTER TABLE events ENABLE TRIGGER events_no_update;
        ALTER TABLE events DROP CONSTRAINT events_stream_stream_version_key;
        CREATE OR REPLACE FUNCTION genledger_events_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.type = OLD.type AND NEW.stream = OLD.stream
                AND NEW.stream_version = OLD.stream_version AND NEW.occurred_at = OLD.occurred_at
                AND NEW.recorded_at = OLD.recorded_at AND NEW.actor = OLD.actor
                AND NEW.payload_digest = OLD.payload_digest AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
                AND NEW.stream_prev IS NOT DISTINCT FROM OLD.stream_prev
                AND EXISTS (SELECT 1 FROM erasures WHERE seq = OLD.seq AND erased_by = (SELECT max(seq) FROM events))
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'genledger: events are append-only (a payload changes only by genledger erase)';
        END $$;
        CREATE FUNCTION genledger_stream_heads_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.stream = OLD.stream AND NEW.version > OLD.version AND NEW.seq > OLD.seq THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'genledger: a stream head only moves forward';
        END $$;
        CREATE TRIGGER stream_heads_forward BEFORE UPDATE ON stream_heads FOR EACH ROW EXECUTE FUNCTION genledger_stream_heads_update();
        CREATE TRIGGER stream_heads_no_delete BEFORE DELETE ON stream_heads FOR EACH ROW EXECUTE FUNCTION genledger_append_only();
        CREATE TRIGGER stream_heads_no_truncate BEFORE TRUNCATE ON stream_heads FOR EACH STATEMENT EXECUTE FUNCTION genledger_append_only();
        -- Whoever may append (a deployment's writer role, docs/DEPLOY.md) must move heads too, or
        -- its appends would fail from the moment the owner migrated.
        DO $$
        DECLARE writer regrole;
        BEGIN
            FOR writer IN SELECT DISTINCT a.grantee::regrole FROM pg_class c, aclexplode(c.relacl) a
                WHERE c.oid = 'events'::regclass AND a.privilege_type = 'INSERT' AND a.grantee <> c.relowner AND a.grantee <> 0
            LOOP
                EXECUTE format('GRANT SELECT, INSERT, UPDATE ON stream_heads TO %s', writer);
            END LOOP;
        END $$;
        """,
    ]

    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Creates the ledger's tables in the database the URL names; refuses a database that
    /// already holds a ledger. One transaction: a failure leaves the database as it was.
    static func create(url: String, origin: String, durability: Durability) throws {
        let db = try PostgresConnection(url: url)
        try db.beginWrite()
        do {
            if try isLedger(db) {
                throw LedgerError(.alreadyExists, "\(db.displayURL) already holds a ledger; refusing to overwrite it")
            }
            try migrate(db, from: 0)
            for (key, value) in [("origin", origin), ("durability", durability.rawValue), ("created_at", Timestamp.now().description)] {
                try db.query("INSERT INTO ledger_meta(key, value) VALUES ($1, $2)", [.text(key), .text(value)])
            }
            try db.commit()
        } catch {
            db.rollback()
            throw error
        }
    }

    static func open(url: String) throws -> (PostgresConnection, origin: String, durability: Durability) {
        let db = try PostgresConnection(url: url)
        guard try isLedger(db) else {
            throw LedgerError(.notALedger, "\(db.displayURL) holds no GenLedger ledger (create one with 'genledger init --ledger URL')")
        }
        var version = try schemaVersion(db)
        guard version <= currentVersion else {
            throw LedgerError(
                .schemaTooNew,
                "\(db.displayURL) has schema version \(version), newer than this genledger understands (\(currentVersion)); upgrade genledger")
        }
        if version < currentVersion {
            try db.beginWrite()
            do {
                version = try schemaVersion(db)  // another process may have migrated meanwhile
                try migrate(db, from: version)
                try db.commit()
            } catch {
                db.rollback()
                throw error
            }
        }
        let meta = try db.query("SELECT key, value FROM ledger_meta WHERE key IN ('origin', 'durability')")
        var settings: [String: String] = [:]
        for row in 0..<meta.count { settings[meta.value(row, 0).text ?? ""] = meta.value(row, 1).text }
        guard let origin = settings["origin"], let durability = settings["durability"].flatMap(Durability.init(rawValue:)) else {
            throw LedgerError(.damaged, "\(db.displayURL) lacks its origin or durability setting")
        }
        try checkDurability(db, durability)
        return (db, origin, durability)
    }

    /// A ledger that promises full durability refuses a server that could lose what it
    /// acknowledged: `fsync` off, or `synchronous_commit` off (then a crash may lose the last
    /// commits, though never corrupt the database, which is what `--durability normal` accepts).
    static func checkDurability(_ db: PostgresConnection, _ durability: Durability) throws {
        let fsync = try db.query("SELECT current_setting('fsync')").value(0, 0).text ?? "?"
        let synchronous = try db.query("SELECT current_setting('synchronous_commit')").value(0, 0).text ?? "?"
        guard fsync == "on" else {
            throw LedgerError(
                .durability, "PostgreSQL at \(db.displayURL) runs with fsync=\(fsync): a crash may corrupt the database; a ledger refuses it")
        }
        if durability == .full && synchronous == "off" {
            throw LedgerError(
                .durability,
                "PostgreSQL at \(db.displayURL) runs with synchronous_commit=off: a commit it acknowledges may be lost on a crash. Turn it on (ALTER DATABASE … SET synchronous_commit = on), or create the ledger with --durability normal to accept that")
        }
    }

    /// The server's durability settings, for `verify` and the service to report.
    static func durabilitySettings(_ db: PostgresConnection) throws -> String {
        let fsync = try db.query("SELECT current_setting('fsync')").value(0, 0).text ?? "?"
        let synchronous = try db.query("SELECT current_setting('synchronous_commit')").value(0, 0).text ?? "?"
        return "fsync=\(fsync), synchronous_commit=\(synchronous)"
    }

    private static func isLedger(_ db: PostgresConnection) throws -> Bool {
        try db.query("SELECT to_regclass('genledger_schema') IS NOT NULL").value(0, 0) == .bool(true)
    }

    private static func schemaVersion(_ db: PostgresConnection) throws -> Int64 {
        try db.query("SELECT version FROM genledger_schema").value(0, 0).integer ?? 0
    }

    private static func migrate(_ db: PostgresConnection, from version: Int64) throws {
        for (offset, sql) in migrations.enumerated().dropFirst(Int(version)) {
            try db.executeNative(sql)
            try db.query("UPDATE genledger_schema SET version = $1", [.integer(Int64(offset + 1))])
        }
    }
}
