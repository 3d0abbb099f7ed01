/// The ledger's SQLite schema. Each migration is shipped once and never edited; a change is a
/// new migration appended to the list. `PRAGMA user_version` records how many have run.
enum Schema {
    /// 'GLGR': marks a SQLite file as a GenLedger ledger.
    static let applicationID: Int64 = 0x474C_4752

    static let migrations: [String] = [
        // 1: the log, its Merkle nodes, checkpoints and verifier keys, all append-only.
        """
        CREATE TABLE ledger_meta(
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;
        CREATE TABLE events(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            stream TEXT NOT NULL,
            stream_version INTEGER NOT NULL,
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            payload BLOB,
            payload_digest BLOB NOT NULL,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL,
            UNIQUE(stream, stream_version)
        ) STRICT;
        CREATE TABLE merkle_nodes(
            id INTEGER PRIMARY KEY,
            hash BLOB NOT NULL
        ) STRICT;
        CREATE TABLE checkpoints(
            id INTEGER PRIMARY KEY,
            tree_size INTEGER NOT NULL,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            issued_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE verifier_keys(
            key TEXT PRIMARY KEY,
            added_at TEXT NOT NULL
        ) STRICT;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'genledger: events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'genledger: events are append-only'); END;
        CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
            BEGIN SELECT RAISE(ABORT, 'genledger: merkle nodes are append-only'); END;
        CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
            BEGIN SELECT RAISE(ABORT, 'genledger: merkle nodes are append-only'); END;
        CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'genledger: checkpoints are append-only'); END;
        CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'genledger: checkpoints are append-only'); END;
        CREATE TRIGGER verifier_keys_no_update BEFORE UPDATE ON verifier_keys
            BEGIN SELECT RAISE(ABORT, 'genledger: verifier keys are append-only'); END;
        CREATE TRIGGER verifier_keys_no_delete BEFORE DELETE ON verifier_keys
            BEGIN SELECT RAISE(ABORT, 'genledger: verifier keys are append-only'); END;
        CREATE TRIGGER ledger_meta_origin_fixed BEFORE UPDATE ON ledger_meta WHEN OLD.key = 'origin'
            BEGIN SELECT RAISE(ABORT, 'genledger: the origin of a ledger never changes'); END;
        CREATE TRIGGER ledger_meta_no_delete BEFORE DELETE ON ledger_meta
            BEGIN SELECT RAISE(ABORT, 'genledger: ledger settings cannot be deleted'); END;
        """,
        // 2: every setting is fixed at init, not only the origin (a durability quietly lowered
        // in the file would otherwise go unnoticed).
        """
        CREATE TRIGGER ledger_meta_fixed BEFORE UPDATE ON ledger_meta
            BEGIN SELECT RAISE(ABORT, 'genledger: ledger settings never change'); END;
        """,
        // 3: witnesses' cosignatures of issued checkpoints (C2SP tlog-cosignature), one line per
        // witness and checkpoint, append-only like the checkpoints they sign.
        """
        CREATE TABLE cosignatures(
            checkpoint INTEGER NOT NULL REFERENCES checkpoints(id),
            witness TEXT NOT NULL,
            line TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY(checkpoint, witness)
        ) STRICT;
        CREATE TRIGGER cosignatures_no_update BEFORE UPDATE ON cosignatures
            BEGIN SELECT RAISE(ABORT, 'genledger: cosignatures are append-only'); END;
        CREATE TRIGGER cosignatures_no_delete BEFORE DELETE ON cosignatures
            BEGIN SELECT RAISE(ABORT, 'genledger: cosignatures are append-only'); END;
        """,
        // 4: erasure (genledger erase): a payload may be replaced by a redacted one only right
        // after the payload.erased event that names it was appended (its seq is the log's last);
        // nothing else of an event ever changes.
        """
        CREATE TABLE erasures(
            seq INTEGER NOT NULL,
            erased_by INTEGER NOT NULL,
            PRIMARY KEY(seq, erased_by)
        ) STRICT;
        CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
            BEGIN SELECT RAISE(ABORT, 'genledger: erasures are append-only'); END;
        CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures
            BEGIN SELECT RAISE(ABORT, 'genledger: erasures are append-only'); END;
        DROP TRIGGER events_no_update;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            WHEN NOT (NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.type IS OLD.type AND NEW.stream IS OLD.stream
                AND NEW.stream_version IS OLD.stream_version AND NEW.occurred_at IS OLD.occurred_at
                AND NEW.recorded_at IS OLD.recorded_at AND NEW.actor IS OLD.actor
                AND NEW.payload_digest IS OLD.payload_digest AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
                AND EXISTS (SELECT 1 FROM erasures WHERE seq = OLD.seq AND erased_by = (SELECT max(seq) FROM events)))
            BEGIN SELECT RAISE(ABORT, 'genledger: events are append-only (a payload changes only by genledger erase)'); END;
        """,
        // 5: a stream's events are found from its head instead of an index on (stream, version).
        // That index took one leaf page per stream a transaction wrote to, so appends slowed as
        // the log grew (docs/BENCHMARKS.md, "What bounds the append's slope"). Now each stream's
        // last version and seq are one row of stream_heads, and each event points at its stream's
        // previous event (stream_prev, NULL for version 1). SQLite cannot drop a UNIQUE
        // constraint's index, so the events table is copied once into the new shape.
        """
        CREATE TABLE stream_heads(
            stream TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            seq INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        INSERT INTO stream_heads(stream, version, seq)
            SELECT stream, max(stream_version), seq FROM events GROUP BY stream;
        CREATE TABLE events_schema5(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            stream TEXT NOT NULL,
            stream_version INTEGER NOT NULL,
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            payload BLOB,
            payload_digest BLOB NOT NULL,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL,
            stream_prev INTEGER
        ) STRICT;
        INSERT INTO events_schema5
            SELECT e.*, (SELECT p.seq FROM events p WHERE p.stream = e.stream AND p.stream_version = e.stream_version - 1)
            FROM events e ORDER BY e.seq;
        DROP TABLE events;
        ALTER TABLE events_schema5 RENAME TO events;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            WHEN NOT (NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.type IS OLD.type AND NEW.stream IS OLD.stream
                AND NEW.stream_version IS OLD.stream_version AND NEW.occurred_at IS OLD.occurred_at
                AND NEW.recorded_at IS OLD.recorded_at AND NEW.actor IS OLD.actor
                AND NEW.payload_digest IS OLD.payload_digest AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
                AND NEW.stream_prev IS OLD.stream_prev
                AND EXISTS (SELECT 1 FROM erasures WHERE seq = OLD.seq AND erased_by = (SELECT max(seq) FROM events)))
            BEGIN SELECT RAISE(ABORT, 'genledger: events are append-only (a payload changes only by genledger erase)'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'genledger: events are append-only'); END;
        CREATE TRIGGER stream_heads_forward BEFORE UPDATE ON stream_heads
            WHEN NOT (NEW.stream IS OLD.stream AND NEW.version > OLD.version AND NEW.seq > OLD.seq)
            BEGIN SELECT RAISE(ABORT, 'genledger: a stream head only moves forward'); END;
        CREATE TRIGGER stream_heads_no_delete BEFORE DELETE ON stream_heads
            BEGIN SELECT RAISE(ABORT, 'genledger: stream heads are never deleted'); END;
        """,
    ]

    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Merkle nodes are keyed in the order appends complete them: by the 0-based index of the
    /// leaf that completes the node, then by level. Appends write the table's B-tree strictly
    /// left to right, and verification reads it back in the order it recomputes the nodes.
    static func merkleNodeKey(level: Int, index: UInt64) -> Int64 {
        let completingLeaf = ((index + 1) << UInt64(level)) - 1
        return Int64(bitPattern: completingLeaf << 6 | UInt64(level))
    }

    static func merkleNode(fromKey key: Int64) -> (level: Int, index: UInt64) {
        let raw = UInt64(bitPattern: key)
        let level = Int(raw & 63)
        let completingLeaf = raw >> 6
        return (level, (completingLeaf + 1) >> UInt64(level) - 1)
    }
}
