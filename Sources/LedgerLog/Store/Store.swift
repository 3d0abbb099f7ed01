/// Which database holds a ledger. The log's tables, their bytes and everything computed from
/// them are the same in both; only where they live differs.
public enum StoreKind: String, Sendable {
    /// One SQLite file (the embedded default).
    case sqlite
    /// A PostgreSQL database, shared by many processes and hosts.
    case postgres

    /// A ledger location naming a PostgreSQL database (`postgres://` or `postgresql://`), else a file.
    public static func of(location: String) -> StoreKind {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") ? .postgres : .sqlite
    }
}

/// The seam between the log and the database that stores it: a connection the `Ledger` runs its
/// statements on. Statements are written once, in the SQL both stores accept (SQLite's
/// placeholders `?`, `?N` and `:name`, `INSERT OR IGNORE`); the PostgreSQL connection rewrites
/// what differs (docs/DEPLOY.md lists it). Transactions are the store's own: a write transaction
/// holds the ledger's single write lock from its first statement, so every append sees the tip.
protocol StoreConnection: AnyObject {
    var kind: StoreKind { get }
    func execute(_ sql: String) throws
    /// `scan`: the statement reads many rows; PostgreSQL then fetches them in batches through a
    /// cursor instead of holding the whole result in memory.
    func prepare(_ sql: String, scan: Bool) throws -> any StoreStatement
    var isInTransaction: Bool { get }
    /// Begins a transaction holding the ledger's write lock.
    func beginWrite() throws
    /// Begins a transaction reading one consistent snapshot.
    func beginRead() throws
    func commit() throws
    func rollback()
    /// Savepoints inside a write transaction (group commit gives each request one).
    func savepoint(_ name: String) throws
    /// Keeps what was done since the savepoint in the enclosing transaction.
    func release(_ name: String) throws
    /// Undoes what was done since the savepoint and ends it.
    func rollbackAndRelease(_ name: String) throws
    /// Sends the writes `runLater` left waiting, so that their errors are thrown now.
    func flushQueued() throws
}

extension StoreStatement {
    func runLater() throws { try runLater(explain: { $0 }) }
}

extension StoreConnection {
    func prepare(_ sql: String) throws -> any StoreStatement { try prepare(sql, scan: false) }

    func savepoint(_ name: String) throws { try execute("SAVEPOINT \(name)") }
    func release(_ name: String) throws { try execute("RELEASE \(name)") }
    func rollbackAndRelease(_ name: String) throws { try execute("ROLLBACK TO \(name); RELEASE \(name)") }
    func flushQueued() throws {}
}

/// A prepared statement of either store. Parameters are 1-based, columns 0-based; a row's
/// column accessors are valid until the next `step`.
protocol StoreStatement: AnyObject {
    @discardableResult func reset() -> Self
    @discardableResult func bind(_ index: Int32, _ value: Int64) -> Self
    @discardableResult func bind(_ index: Int32, _ value: UInt64) -> Self
    @discardableResult func bind(_ index: Int32, _ value: String) -> Self
    @discardableResult func bind(_ index: Int32, _ bytes: [UInt8]) -> Self
    @discardableResult func bind(_ index: Int32, _ digest: SHA256Digest) -> Self
    @discardableResult func bind(_ index: Int32, _ value: Double) -> Self
    @discardableResult func bindNull(_ index: Int32) -> Self
    /// Binds bytes as text; they must outlive the next step of this statement.
    func bindText(_ index: Int32, borrowing bytes: UnsafeRawBufferPointer)
    /// Binds bytes as a blob; they must outlive the next step of this statement.
    func bindBlob(_ index: Int32, borrowing bytes: UnsafeRawBufferPointer)
    func clearBindings()
    var parameterCount: Int32 { get }
    /// The index of a named parameter (`:name`), or 0 when the statement does not use it.
    func parameterIndex(_ name: String) -> Int32

    /// Steps once: true when a row is available, false when done.
    func step() throws -> Bool
    /// Runs to completion, ignoring rows, and resets.
    func run() throws
    /// Runs a write whose outcome nothing reads before the connection's next statement: it may
    /// be sent with that statement (PostgreSQL, inside a transaction), and an error it meets is
    /// then thrown by that statement or by COMMIT, after `explain` has said which write it was.
    /// Keeps the bindings.
    func runLater(explain: @escaping (LedgerError) -> LedgerError) throws
    /// Steps to completion and resets, keeping the bindings.
    func runKeepingBindings() throws
    /// Reads the first row, if any, and resets.
    func firstRow<T>(_ read: (any StoreStatement) throws -> T) throws -> T?

    var columnCount: Int32 { get }
    /// SQLite's type codes: 1 integer, 2 real, 3 text, 4 bytes, 5 NULL.
    func columnType(_ column: Int32) -> Int32
    func isNull(_ column: Int32) -> Bool
    func int(_ column: Int32) -> Int64
    func uint(_ column: Int32) -> UInt64
    func double(_ column: Int32) -> Double
    func text(_ column: Int32) -> String
    func blob(_ column: Int32) -> [UInt8]
    /// A 32-byte column as a digest; nil for NULL or any other length (a damaged row).
    func digest(_ column: Int32) -> SHA256Digest?
    /// A column's bytes in place: valid until this statement steps, resets or is finalized.
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer
}
