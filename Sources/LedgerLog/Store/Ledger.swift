import Foundation

/// How hard a commit is pushed to disk. `full` (the default) survives power loss; `normal`
/// (SQLite's WAL default) may lose the last commits on power loss but never corrupts the file.
public enum Durability: String, Sendable, CaseIterable {
    case full = "FULL"
    case normal = "NORMAL"

    var sqliteLevel: Int64 { self == .full ? 2 : 1 }
}

/// One ledger: the append-only event log, its Merkle tree, checkpoints and verifier keys, in a
/// SQLite file or a PostgreSQL database (`StoreKind`).
///
/// A `Ledger` holds one connection and is used from one thread at a time. Several processes (or
/// several `Ledger`s, on several hosts with PostgreSQL) may append to the same ledger at once:
/// each append runs in a transaction that holds the ledger's write lock from its start, so the
/// store serializes writers and every append sees the tip.
public final class Ledger {
    public let path: String
    public let origin: String
    public let durability: Durability

    /// The clock that stamps `recorded_at`; a simulation sets a simulated one.
    public var clock: () -> Timestamp = { Timestamp.now() }

    let db: any StoreConnection
    let hashing = MerkleHashing()
    let sha = SHA256()
    /// The tree's right edge as of the last append through this connection; revalidated
    /// against the tip inside every write transaction.
    var frontier: CompactRange?
    /// What this connection's open write transaction has read or appended so far: the tip and
    /// the streams' versions. No other writer can append while the transaction holds the write
    /// lock, so they spare reading them again for each append of a group (a round trip each on
    /// PostgreSQL). Forgotten when the transaction ends or a savepoint is rolled back.
    var written = WrittenInTransaction()
    /// A write transaction is open (the write lock is held).
    private(set) var isWriting = false
    /// The size the last write transaction committed at, when it read or wrote the tip.
    public private(set) var sizeAtLastCommit: UInt64?

    struct WrittenInTransaction {
        var tip: (size: UInt64, hash: SHA256Digest)?
        var streamHeads: [String: StreamHead] = [:]
    }

    /// A stream's last event: its version and seq (version 0 and seq 0 for a stream with none).
    struct StreamHead {
        var version: UInt64
        var seq: UInt64
        static let empty = StreamHead(version: 0, seq: 0)
    }

    private var statementCache: [String: any StoreStatement] = [:]
    /// How many `zeroingFreedPages` scopes are open.
    var zeroingDepth = 0
    /// How many events a run of side-table feeds must span for another thread to read them
    /// ahead (SQLite), and how many it hands over at a time.
    var readAheadMinimum: UInt64 = 20_000
    var readAheadBatch = 1_024

    // MARK: Opening

    /// Creates a new ledger: a SQLite file at `location` (refusing to touch an existing one), or
    /// the tables of a ledger in the empty PostgreSQL database a `postgres://` URL names.
    public static func create(at location: String, origin: String, durability: Durability = .full) throws -> Ledger {
        try validateOrigin(origin)
        switch StoreKind.of(location: location) {
        case .sqlite: try SQLiteStore.create(at: location, origin: origin, durability: durability)
        case .postgres: try PostgresStore.create(url: location, origin: origin, durability: durability)
        }
        return try Ledger(opening: location)
    }

    /// Opens an existing ledger, checking that it is one, that this build can read its schema,
    /// and that the durability it promises is in force.
    public init(opening location: String) throws {
        let opened: (db: any StoreConnection, origin: String, durability: Durability, display: String)
        switch StoreKind.of(location: location) {
        case .sqlite:
            let (db, origin, durability) = try SQLiteStore.open(location)
            opened = (db, origin, durability, location)
        case .postgres:
            let (db, origin, durability) = try PostgresStore.open(url: location)
            opened = (db, origin, durability, db.displayURL)
        }
        self.db = opened.db
        self.path = opened.display
        self.origin = opened.origin
        self.durability = opened.durability
    }

    /// The most page cache one SQLite connection keeps (KiB; docs/BENCHMARKS.md measured why).
    public static let pageCacheKiB = 65_536

    /// How the store holds commits, as it reports them now: SQLite's `synchronous`, or the
    /// PostgreSQL server's `fsync` and `synchronous_commit`.
    public func durabilitySettings() throws -> String {
        switch store {
        case .sqlite: "synchronous=\(durability.rawValue)"
        case .postgres: try PostgresStore.durabilitySettings(db as! PostgresConnection)
        }
    }

    /// Which database holds this ledger.
    public var store: StoreKind { db.kind }

    static func validateOrigin(_ origin: String) throws {
        guard !origin.isEmpty, origin.utf8.count <= 256 else {
            throw LedgerError(.badInput, "an origin is 1 to 256 bytes", field: "origin")
        }
        for scalar in origin.unicodeScalars where scalar.value < 0x21 || scalar.value == 0x7f || scalar == "+" {
            throw LedgerError(.badInput, "an origin has no spaces, control characters or '+'", field: "origin")
        }
    }

    // MARK: Statements and transactions

    func statement(_ sql: String) throws -> any StoreStatement {
        if let cached = statementCache[sql] { return cached.reset() }
        let prepared = try db.prepare(sql)
        statementCache[sql] = prepared
        return prepared
    }

    /// Runs `body` in a write transaction that holds the database's write lock from the start.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try db.beginWrite()
        written = WrittenInTransaction()
        isWriting = true
        sizeAtLastCommit = nil
        defer {
            written = WrittenInTransaction()
            isWriting = false
        }
        do {
            let result = try body()
            let tip = written.tip
            try db.commit()
            sizeAtLastCommit = tip?.size
            return result
        } catch {
            db.rollback()
            frontier = nil
            throw error
        }
    }

    /// Runs `body` on one consistent snapshot of the database.
    func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try db.beginRead()
        defer { try? db.commit() }
        return try body()
    }

    // MARK: Size and tip

    /// The number of events (the seq of the last one).
    public func size() throws -> UInt64 {
        if isWriting { return try tip().size }
        return try statement("SELECT seq FROM events ORDER BY seq DESC LIMIT 1").firstRow { $0.uint(0) } ?? 0
    }

    /// The last event's seq and hash; kept for the rest of a write transaction.
    func tip() throws -> (size: UInt64, hash: SHA256Digest) {
        if let known = written.tip { return known }
        let row = try statement("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").firstRow { ($0.uint(0), $0.digest(1)) }
        guard let (seq, hash) = row else { return (0, EnvelopeEncoding.genesis) }
        guard let hash else { throw LedgerError(.damaged, "the hash of the last event is not 32 bytes", seq: seq) }
        if isWriting { written.tip = (seq, hash) }
        return (seq, hash)
    }
}
