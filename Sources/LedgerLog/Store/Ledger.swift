import Foundation

/// How hard a commit is pushed to disk. `full` (the default) survives power loss; `normal`
/// (SQLite's WAL default) may lose the last commits on power loss but never corrupts the file.
public enum Durability: String, Sendable, CaseIterable {
    case full = "FULL"
    case normal = "NORMAL"

    var sqliteLevel: Int64 { self == .full ? 2 : 1 }
}

/// One ledger file: the append-only event log, its Merkle tree, checkpoints and verifier keys.
///
/// A `Ledger` holds one SQLite connection and is used from one thread at a time. Several
/// processes (or several `Ledger`s) may append to the same file at once: each append runs in a
/// `BEGIN IMMEDIATE` transaction, so SQLite serializes writers and every append sees the tip.
public final class Ledger {
    public let path: String
    public let origin: String
    public let durability: Durability

    /// The clock that stamps `recorded_at`; a simulation sets a simulated one.
    public var clock: () -> Timestamp = { Timestamp.now() }

    let db: SQLiteConnection
    let hashing = MerkleHashing()
    let sha = SHA256()
    /// The tree's right edge as of the last append through this connection; revalidated
    /// against the tip inside every write transaction.
    var frontier: CompactRange?

    private var statementCache: [String: SQLiteStatement] = [:]

    // MARK: Opening

    /// Creates a new ledger file. Refuses to touch an existing file.
    public static func create(at path: String, origin: String, durability: Durability = .full) throws -> Ledger {
        try validateOrigin(origin)
        // Created here, owner-only (0600, less what the umask removes), before SQLite opens it:
        // SQLite gives the -wal and -shm files the database file's mode. O_EXCL: never overwritten.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
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
            let insert = try db.prepare("INSERT INTO ledger_meta(key, value) VALUES (?, ?)")
            try insert.bind(1, "origin").bind(2, origin).run()
            try insert.reset().bind(1, "durability").bind(2, durability.rawValue).run()
            try insert.reset().bind(1, "created_at").bind(2, Timestamp.now().description).run()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return try Ledger(opening: path)
    }

    /// Opens an existing ledger, checking that it is one, that this build can read its schema,
    /// and that the durability it promises is in force.
    public init(opening path: String) throws {
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
        if version < Schema.currentVersion {
            try db.execute("BEGIN IMMEDIATE")
            do {
                try Self.migrate(db, from: version)
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
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
        // SQLite's default page cache (2 MB) is far smaller than the id and stream indexes of a
        // large log, so each append read their pages back through the OS. The cache grows only
        // as pages are used: at most this much per open connection.
        try db.execute("PRAGMA cache_size=-\(Self.pageCacheKiB)")

        self.db = db
        self.path = path
        self.origin = origin
        self.durability = durability
    }

    /// The most page cache one connection keeps (KiB; docs/BENCHMARKS.md measured why).
    public static let pageCacheKiB = 65_536

    private static func migrate(_ db: SQLiteConnection, from version: Int64) throws {
        for (offset, sql) in Schema.migrations.enumerated().dropFirst(Int(version)) {
            try db.execute(sql)
            try db.execute("PRAGMA user_version=\(offset + 1)")
        }
    }

    static func validateOrigin(_ origin: String) throws {
        guard !origin.isEmpty, origin.utf8.count <= 256 else {
            throw LedgerError(.badInput, "an origin is 1 to 256 bytes", field: "origin")
        }
        for scalar in origin.unicodeScalars where scalar.value < 0x21 || scalar.value == 0x7f || scalar == "+" {
            throw LedgerError(.badInput, "an origin has no spaces, control characters or '+'", field: "origin")
        }
    }

    // MARK: Statements and transactions

    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statementCache[sql] { return cached.reset() }
        let prepared = try db.prepare(sql)
        statementCache[sql] = prepared
        return prepared
    }

    /// Runs `body` in a write transaction that holds the database's write lock from the start.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try db.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try db.execute("COMMIT")
            return result
        } catch {
            if db.isInTransaction { try? db.execute("ROLLBACK") }
            frontier = nil
            throw error
        }
    }

    /// Runs `body` on one consistent snapshot of the database.
    func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try db.execute("BEGIN DEFERRED")
        defer { try? db.execute("COMMIT") }
        return try body()
    }

    // MARK: Size and tip

    /// The number of events (the seq of the last one).
    public func size() throws -> UInt64 {
        try statement("SELECT seq FROM events ORDER BY seq DESC LIMIT 1").firstRow { $0.uint(0) } ?? 0
    }

    func tip() throws -> (size: UInt64, hash: SHA256Digest) {
        let row = try statement("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").firstRow { ($0.uint(0), $0.digest(1)) }
        guard let (seq, hash) = row else { return (0, EnvelopeEncoding.genesis) }
        guard let hash else { throw LedgerError(.damaged, "the hash of the last event is not 32 bytes", seq: seq) }
        return (seq, hash)
    }
}
