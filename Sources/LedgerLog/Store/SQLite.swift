import CSQLite

/// SQLite result codes as named constants, so failures read as what they mean.
struct SQLiteResultCode: RawRepresentable, Hashable {
    let rawValue: Int32

    static let ok = SQLiteResultCode(rawValue: SQLITE_OK)
    static let row = SQLiteResultCode(rawValue: SQLITE_ROW)
    static let done = SQLiteResultCode(rawValue: SQLITE_DONE)
    static let busy = SQLiteResultCode(rawValue: SQLITE_BUSY)
    static let corrupt = SQLiteResultCode(rawValue: SQLITE_CORRUPT)
    static let notADatabase = SQLiteResultCode(rawValue: SQLITE_NOTADB)
    static let constraint = SQLiteResultCode(rawValue: SQLITE_CONSTRAINT)
    static let cantOpen = SQLiteResultCode(rawValue: SQLITE_CANTOPEN)

    /// Extended codes carry the primary code in their low byte.
    var primary: SQLiteResultCode { SQLiteResultCode(rawValue: rawValue & 0xff) }
}

/// One SQLite connection. Owns its handle and closes it in deinit, even when opening failed.
final class SQLiteConnection: StoreConnection {
    var kind: StoreKind { .sqlite }
    let handle: OpaquePointer
    let path: String

    /// Process-wide settings, made once before the first connection initializes SQLite.
    private static let configured: Void = { _ = genledger_sqlite3_configure() }()

    init(path: String, create: Bool) throws {
        Self.configured
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw LedgerError(.notALedger, "cannot open '\(path)': \(message)")
        }
        self.handle = db
        self.path = path
        // Writers wait for each other instead of failing: serialization happens in the database.
        sqlite3_busy_timeout(db, 60_000)
        guard genledger_sqlite3_enable_defensive(db) == SQLITE_OK else {
            throw LedgerError(.storage, "SQLite refused defensive mode on '\(path)'")
        }
        // Freed pages are overwritten with zeros only where erasure needs it
        // (`Ledger.zeroingFreedPages`). Some builds (Debian's) zero every freed page by default:
        // dropping the projections of a 10 M-event ledger then wrote 3 GB of zeros.
        try execute("PRAGMA secure_delete=OFF")
    }

    deinit {
        for statement in controlStatements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, _ context: String) -> LedgerError {
        let code = SQLiteResultCode(rawValue: rc).primary
        let message = String(cString: sqlite3_errmsg(handle))
        switch code {
        case .corrupt: return LedgerError(.damaged, "the ledger file '\(path)' is damaged (\(context): \(message))")
        case .notADatabase: return LedgerError(.notALedger, "'\(path)' is not a ledger: it is not a SQLite database")
        default: return LedgerError(.storage, "\(context): \(message) (SQLite code \(rc))")
        }
    }

    func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        sqlite3_free(errorMessage)
        guard rc == SQLITE_OK else { throw error(rc, "executing SQL") }
    }

    func prepare(_ sql: String, scan: Bool) throws -> any StoreStatement { try prepareSQLite(sql) }

    func prepareSQLite(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, "preparing '\(sql.prefix(60))'") }
        return SQLiteStatement(handle: statement, connection: self)
    }

    /// The first column of the first row, or nil.
    func scalarInt(_ sql: String) throws -> Int64? {
        try prepareSQLite(sql).firstRow { $0.int(0) }
    }

    func scalarText(_ sql: String) throws -> String? {
        try prepareSQLite(sql).firstRow { $0.text(0) }
    }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// `BEGIN IMMEDIATE` takes the file's write lock at once: writers queue here (busy timeout).
    func beginWrite() throws { try control("BEGIN IMMEDIATE") }
    func beginRead() throws { try control("BEGIN DEFERRED") }
    func commit() throws { try control("COMMIT") }
    func rollback() { if isInTransaction { try? execute("ROLLBACK") } }
    func savepoint(_ name: String) throws { try control("SAVEPOINT \(name)") }
    func release(_ name: String) throws { try control("RELEASE \(name)") }

    /// Transaction control, prepared once per connection and kept: `sqlite3_exec` parsed the
    /// text at every call, and a service's group runs a savepoint and its release per request
    /// besides its `BEGIN` and `COMMIT` (docs/BENCHMARKS.md). A handful of texts, fixed in the
    /// code: the cache stays that small.
    private var controlStatements: [String: OpaquePointer] = [:]

    private func control(_ sql: String) throws {
        let statement: OpaquePointer
        if let cached = controlStatements[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else { throw error(rc, "preparing '\(sql)'") }
            controlStatements[sql] = prepared
            statement = prepared
        }
        let rc = sqlite3_step(statement)
        // The message first: resetting the statement could replace it.
        let failure = rc == SQLITE_DONE ? nil : error(rc, "executing SQL")
        sqlite3_reset(statement)
        if let failure { throw failure }
    }

    var changes: Int { Int(sqlite3_changes(handle)) }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A prepared statement. Parameters are 1-based; columns 0-based, as in SQLite.
final class SQLiteStatement: StoreStatement {
    private let handle: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    @discardableResult
    func reset() -> SQLiteStatement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: Int64) -> SQLiteStatement {
        sqlite3_bind_int64(handle, index, value)
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: UInt64) -> SQLiteStatement {
        bind(index, Int64(bitPattern: value))
    }

    @discardableResult
    func bind(_ index: Int32, _ value: String) -> SQLiteStatement {
        var copy = value
        copy.withUTF8 { buffer in
            _ = buffer.withMemoryRebound(to: CChar.self) {
                genledger_sqlite3_bind_text_transient(handle, index, $0.baseAddress, Int32($0.count))
            }
        }
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ bytes: [UInt8]) -> SQLiteStatement {
        bytes.withUnsafeBytes { raw in
            // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
            let pointer = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            _ = genledger_sqlite3_bind_blob_transient(handle, index, pointer, Int32(raw.count))
        }
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ digest: SHA256Digest) -> SQLiteStatement {
        digest.withUnsafeBytes { raw in
            _ = genledger_sqlite3_bind_blob_transient(handle, index, raw.baseAddress, 32)
        }
        return self
    }

    /// Steps once: true when a row is available, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc, "running '\(String(cString: sqlite3_sql(handle)).prefix(60))'")
        }
    }

    /// Reads the first row, if any, and resets: a statement left on a row would hold its read
    /// snapshot open and make the connection's next write transaction fail with BUSY_SNAPSHOT.
    func firstRow<T>(_ read: (any StoreStatement) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        return try step() ? try read(self) : nil
    }

    /// Runs to completion, ignoring rows.
    func run() throws {
        while try step() {}
        sqlite3_reset(handle)
    }

    /// In process, nothing is saved by waiting: runs now.
    func runLater(explain: @escaping (LedgerError) -> LedgerError) throws {
        do { try runKeepingBindings() } catch let error as LedgerError { throw explain(error) }
    }

    @discardableResult
    func bind(_ index: Int32, _ value: Double) -> SQLiteStatement {
        sqlite3_bind_double(handle, index, value)
        return self
    }

    @discardableResult
    func bindNull(_ index: Int32) -> SQLiteStatement {
        sqlite3_bind_null(handle, index)
        return self
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The index of a named parameter (`:name`), or 0 when the statement does not use it.
    func parameterIndex(_ name: String) -> Int32 { sqlite3_bind_parameter_index(handle, name) }

    /// A column's bytes in place: valid until this statement steps, resets or is finalized.
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }

    /// Binds bytes as text without copying them: they must outlive the next step of this statement.
    func bindText(_ index: Int32, borrowing bytes: UnsafeRawBufferPointer) {
        // A zero-length text still needs a non-null pointer, or SQLite binds NULL.
        _ = genledger_sqlite3_bind_text_static(
            handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(bytes.count))
    }

    /// Binds bytes as a blob without copying them: they must outlive the next step of this statement.
    func bindBlob(_ index: Int32, borrowing bytes: UnsafeRawBufferPointer) {
        // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
        _ = genledger_sqlite3_bind_blob_static(
            handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(bytes.count))
    }

    /// Steps to completion and resets, keeping the bindings.
    func runKeepingBindings() throws {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    func clearBindings() { sqlite3_clear_bindings(handle) }

    var parameterCount: Int32 { sqlite3_bind_parameter_count(handle) }

    /// SQLITE_INTEGER (1), SQLITE_FLOAT (2), SQLITE_TEXT (3), SQLITE_BLOB (4) or SQLITE_NULL (5).
    func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func uint(_ column: Int32) -> UInt64 { UInt64(bitPattern: sqlite3_column_int64(handle, column)) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// A 32-byte blob as a digest; nil for NULL or any other length (a damaged row).
    func digest(_ column: Int32) -> SHA256Digest? {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count == 32, let pointer = sqlite3_column_blob(handle, column) else { return nil }
        return SHA256Digest(unsafeRaw: UnsafeRawBufferPointer(start: pointer, count: 32))
    }
}
