import Foundation

/// Creating and opening a ledger in one SQLite file (the embedded default).
enum SQLiteStore {
    /// Creates the file, owner-only, and its schema. Refuses to touch an existing file.
    static func create(at path: String, origin: String, durability: Durability) throws {
        // Created here, owner-only (0600, less what the umask removes), before SQLite opens it:
        // SQLite gives the -wal and -shm files the database file's mode. O_EXCL: never overwritten.
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw LedgerError(.alreadyExists, "'\(path)' already exists; refusing to overwrite it") }
            throw LedgerError(.storage, "cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        let db = try SQLiteConnection(path: path, create: true)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("PRAGMA application_id=\(Schema.applicationID)")
            try migrate(db, from: 0)
            let insert = try db.prepareSQLite("INSERT INTO ledger_meta(key, value) VALUES (?, ?)")
            try insert.bind(1, "origin").bind(2, origin).run()
            try insert.reset().bind(1, "durability").bind(2, durability.rawValue).run()
            try insert.reset().bind(1, "created_at").bind(2, Timestamp.now().description).run()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Opens the file, checks it is a ledger this build can read, migrates it, and puts the
    /// durability it promises in force.
    static func open(_ path: String) throws -> (SQLiteConnection, origin: String, durability: Durability) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LedgerError(.notALedger, "no ledger at '\(path)' (create one with 'genledger init')")
        }
        guard !isDirectory.boolValue else { throw LedgerError(.notALedger, "'\(path)' is a directory, not a ledger") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw LedgerError(.notALedger, "'\(path)' is not readable")
        }
        let db = try SQLiteConnection(path: path, create: false)
        let applicationID = try db.scalarInt("PRAGMA application_id") ?? 0
        guard applicationID == Schema.applicationID else {
            throw LedgerError(.notALedger, "'\(path)' is a SQLite database but not a GenLedger ledger")
        }
        let version = try db.scalarInt("PRAGMA user_version") ?? 0
        guard version <= Schema.currentVersion else {
            throw LedgerError(
                .schemaTooNew,
                "'\(path)' has schema version \(version), newer than this genledger understands (\(Schema.currentVersion)); upgrade genledger"
            )
        }
        // SQLite's default page cache (2 MB) is far smaller than the id index of a large log, so
        // each append read its pages back through the OS. The cache grows only as pages are used:
        // at most this much per open connection. Set before a migration too: one that copies the
        // events table (schema 5) otherwise writes the table's right edge to the WAL again and
        // again as the small cache spills.
        try db.execute("PRAGMA cache_size=-\(Ledger.pageCacheKiB)")
        if version < Schema.currentVersion {
            try db.execute("BEGIN IMMEDIATE")
            do {
                try migrate(db, from: version)
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
            // A migration may have written a whole table to the WAL: copy it into the file now
            // and give the WAL's space back, rather than when the last connection closes.
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        guard let origin = try db.scalarText("SELECT value FROM ledger_meta WHERE key = 'origin'"),
            let durabilityText = try db.scalarText("SELECT value FROM ledger_meta WHERE key = 'durability'"),
            let durability = Durability(rawValue: durabilityText)
        else { throw LedgerError(.damaged, "'\(path)' lacks its origin or durability setting") }

        // Set and read back: a ledger never silently runs weaker than it promises.
        let mode = try db.scalarText("PRAGMA journal_mode=WAL")
        guard mode?.lowercased() == "wal" else {
            throw LedgerError(.durability, "SQLite would not put '\(path)' in WAL mode (got \(mode ?? "nothing"))")
        }
        try db.execute("PRAGMA synchronous=\(durability.rawValue)")
        let synchronous = try db.scalarInt("PRAGMA synchronous")
        guard synchronous == durability.sqliteLevel else {
            throw LedgerError(.durability, "SQLite kept synchronous=\(synchronous ?? -1) instead of \(durability.rawValue)")
        }
        try db.execute("PRAGMA trusted_schema=OFF")
        try db.execute("PRAGMA foreign_keys=ON")
        return (db, origin, durability)
    }

    private static func migrate(_ db: SQLiteConnection, from version: Int64) throws {
        for (offset, sql) in Schema.migrations.enumerated().dropFirst(Int(version)) {
            try db.execute(sql)
            try db.execute("PRAGMA user_version=\(offset + 1)")
        }
    }
}
