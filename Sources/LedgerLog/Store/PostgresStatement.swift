import CPostgreSQL
import Foundation

/// The ways the SQL written for both stores differs in PostgreSQL, rewritten once when a
/// statement is prepared, in the SQL outside quoted text and comments:
/// - placeholders `?`, `?N` and `:name` become `$N`, numbered densely in order of first use
///   (PostgreSQL must type every parameter it is sent);
/// - `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`;
/// - `a IS b` and `a IS NOT b` (SQLite's NULL-safe comparisons) become `IS [NOT] DISTINCT FROM`;
/// - `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case);
/// - `CAST(… AS INTEGER)` is to `bigint` (SQLite's integers are 64-bit);
/// - `hex(bytes)` becomes `upper(encode(bytes, 'hex'))`; `main.` and `temp.` name `public.`
///   and `pg_temp.`;
/// - in `CREATE TABLE`: INTEGER → bigint, REAL → double precision, TEXT → text in the "C"
///   collation (byte order, as SQLite compares), BLOB → bytea, no `STRICT` or `WITHOUT ROWID`,
///   and a `rowid` identity column last, so `ORDER BY rowid` means insertion order in both.
struct PostgresDialect {
    /// The statement in PostgreSQL's SQL.
    var sql = ""
    /// For each parameter sent (`$1`, `$2`…), the SQLite index its value is bound at.
    var sent: [Int32] = []
    /// SQLite's parameter count: the largest index used.
    var parameterCount: Int32 = 0
    /// Named parameters and their SQLite indexes.
    var names: [String: Int32] = [:]

    init(translating source: String) {
        var positions: [Int32: Int] = [:]  // SQLite index → position in `sent`
        var segments: [(code: Bool, text: String)] = []
        var code = ""
        let chars = Array(source.unicodeScalars)
        var i = 0
        func placeholder(_ index: Int32) {
            parameterCount = max(parameterCount, index)
            if positions[index] == nil {
                sent.append(index)
                positions[index] = sent.count
            }
            code += "$\(positions[index]!)"
        }
        func isWord(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c) }
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" {
                // Quoted text or identifier, with doubled quotes inside.
                var j = i + 1
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count && chars[j + 1] == c { j += 2; continue }
                        break
                    }
                    j += 1
                }
                segments.append((true, code))
                code = ""
                var quoted = ""
                quoted.unicodeScalars.append(contentsOf: chars[i...min(j, chars.count - 1)])
                segments.append((false, quoted))
                i = j + 1
            } else if c == "-" && i + 1 < chars.count && chars[i + 1] == "-" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
            } else if c == "?" {
                var j = i + 1
                var digits = ""
                while j < chars.count, ("0"..."9").contains(chars[j]) {
                    digits.unicodeScalars.append(chars[j])
                    j += 1
                }
                placeholder(digits.isEmpty ? parameterCount + 1 : Int32(digits) ?? 0)
                i = j
            } else if c == ":" && i + 1 < chars.count && (chars[i + 1] == "_" || chars[i + 1].properties.isAlphabetic)
                && !(i > 0 && chars[i - 1] == ":")
            {
                var j = i + 1
                var name = ":"
                while j < chars.count, isWord(chars[j]) {
                    name.unicodeScalars.append(chars[j])
                    j += 1
                }
                let index = names[name] ?? parameterCount + 1
                names[name] = index
                placeholder(index)
                i = j
            } else {
                code.unicodeScalars.append(c)
                i += 1
            }
        }
        segments.append((true, code))

        let creates = source.range(of: #"CREATE\s+(TEMP\s+)?TABLE"#, options: [.regularExpression, .caseInsensitive]) != nil
        segments = segments.map { segment in
            guard segment.code else { return segment }
            var text = segment.text
            for (pattern, replacement) in Self.rewrites { text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression) }
            if creates {
                for (pattern, replacement) in Self.tableRewrites {
                    text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
                }
            }
            return (true, text)
        }
        var out = segments.map(\.text).joined()
        if creates { out = Self.addingRowID(to: out) }
        let trimmed = out.drop { $0 == " " || $0 == "\n" }
        if trimmed.uppercased().hasPrefix("INSERT OR IGNORE INTO") {
            out = "INSERT INTO" + trimmed.dropFirst("INSERT OR IGNORE INTO".count) + " ON CONFLICT DO NOTHING"
        }
        sql = out
    }

    /// The translation of `source`, made once per process for each SQL text.
    static func translated(_ source: String) -> String { cached(source).sql }

    static func cached(_ source: String) -> PostgresDialect {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let known = cache[source] { return known }
        let made = PostgresDialect(translating: source)
        if cache.count >= 4_096 { cache.removeAll() }  // bounded: generated SQL differs rarely
        cache[source] = made
        return made
    }

    private nonisolated(unsafe) static var cache: [String: PostgresDialect] = [:]
    private static let cacheLock = NSLock()

    static let rewrites: [(String, String)] = [
        (#"\bIS NOT (?!NULL\b|DISTINCT\b|TRUE\b|FALSE\b)"#, "IS DISTINCT FROM "),
        (#"\bIS (?!NOT\b|NULL\b|DISTINCT\b|TRUE\b|FALSE\b)"#, "IS NOT DISTINCT FROM "),
        (#"\bNOT LIKE\b"#, "NOT ILIKE"),
        (#"(?<!NOT )\bLIKE\b"#, "ILIKE"),
        (#"\bAS INTEGER\)"#, "AS bigint)"),
        (#"\bAS REAL\)"#, "AS double precision)"),
        // SQLite's hex() of bytes, upper case.
        (#"\blower\(hex\(([\w.]+)\)\)"#, "encode($1, 'hex')"),
        (#"\bhex\(([\w.]+)\)"#, "upper(encode($1, 'hex'))"),
        // SQLite's schema names: the database's own and the connection's temporary one.
        (#"\bmain\.(?=\w)"#, "public."),
        (#"\btemp\.(?=\w)"#, "pg_temp."),
    ]

    static let tableRewrites: [(String, String)] = [
        (#"\bWITHOUT ROWID\b"#, ""),
        (#"\)\s*STRICT\b"#, ")"),
        (#"\bINTEGER\b"#, "bigint"),
        (#"\bREAL\b"#, "double precision"),
        (#"\bTEXT\b"#, "text COLLATE \"C\""),
        (#"\bBLOB\b"#, "bytea"),
    ]

    /// Adds `rowid bigint GENERATED ALWAYS AS IDENTITY` as the last column of every table created
    /// with a column list (not one that names its own rowid).
    static func addingRowID(to sql: String) -> String {
        let chars = Array(sql)
        var out = ""
        var i = 0
        let opener = try! Regex(#"^CREATE\s+(TEMP\s+)?TABLE\s+(IF NOT EXISTS\s+)?[\w.]+\s*\("#).ignoresCase()
        while i < chars.count {
            let rest = String(chars[i...])
            if let match = rest.prefixMatch(of: opener) {
                let head = String(rest[match.range])
                out += head
                i += head.count
                var depth = 1
                var body = ""
                var quote: Character?
                while i < chars.count {
                    let c = chars[i]
                    if let q = quote {
                        if c == q { quote = nil }
                    } else if c == "'" || c == "\"" {
                        quote = c
                    } else if c == "(" {
                        depth += 1
                    } else if c == ")" {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    body.append(c)
                    i += 1
                }
                out += body
                if body.range(of: #"\browid\b"#, options: [.regularExpression, .caseInsensitive]) == nil {
                    out += ", rowid bigint GENERATED ALWAYS AS IDENTITY"
                }
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }
}

/// A statement on a PostgreSQL ledger, behaving as `SQLiteStatement` does: bind, step through
/// rows, read columns. A plain statement runs as a prepared statement and its result is held
/// whole; a scan (`prepare(_:scan:)`) reads through a cursor, a batch of rows at a time, so a
/// pass over the whole log keeps memory flat. Results are binary; columns are read by type.
final class PostgresStatement: StoreStatement {
    private let connection: PostgresConnection
    private let dialect: PostgresDialect
    private let scan: Bool
    private var values: [PostgresValue]
    private var rows: PostgresRows?
    private var row = -1
    private var cursor: (name: String, generation: Int, held: Bool)?
    private var exhausted = false

    /// Rows a scan fetches at a time.
    static let batch = 1_000

    init(connection: PostgresConnection, sql: String, scan: Bool) {
        self.connection = connection
        dialect = PostgresDialect.cached(sql)
        self.scan = scan
        values = Array(repeating: .null, count: Int(dialect.parameterCount))
    }

    deinit { closeCursor() }

    var parameterCount: Int32 { dialect.parameterCount }

    func parameterIndex(_ name: String) -> Int32 { dialect.names[name] ?? 0 }

    private func set(_ index: Int32, _ value: PostgresValue) {
        guard index >= 1, index <= values.count else { return }
        rewind()
        values[Int(index) - 1] = value
    }

    @discardableResult func bind(_ index: Int32, _ value: Int64) -> PostgresStatement { set(index, .integer(value)); return self }
    @discardableResult func bind(_ index: Int32, _ value: UInt64) -> PostgresStatement {
        bind(index, Int64(bitPattern: value))
    }
    @discardableResult func bind(_ index: Int32, _ value: String) -> PostgresStatement { set(index, .text(value)); return self }
    @discardableResult func bind(_ index: Int32, _ bytes: [UInt8]) -> PostgresStatement { set(index, .bytes(bytes)); return self }
    @discardableResult func bind(_ index: Int32, _ digest: SHA256Digest) -> PostgresStatement {
        set(index, .bytes(digest.bytes))
        return self
    }
    @discardableResult func bind(_ index: Int32, _ value: Double) -> PostgresStatement { set(index, .double(value)); return self }
    @discardableResult func bindNull(_ index: Int32) -> PostgresStatement { set(index, .null); return self }

    func bindText(_ index: Int32, borrowing bytes: UnsafeRawBufferPointer) {
        set(index, .text(String(decoding: bytes, as: UTF8.self)))
    }

    func bindBlob(_ index: Int32, borrowing bytes: UnsafeRawBufferPointer) {
        set(index, .bytes(Array(bytes)))
    }

    func clearBindings() {
        rewind()
        for i in values.indices { values[i] = .null }
    }

    @discardableResult func reset() -> PostgresStatement {
        clearBindings()
        return self
    }

    /// Back to before the first row, keeping the bindings.
    private func rewind() {
        closeCursor()
        rows = nil
        row = -1
        exhausted = false
    }

    func step() throws -> Bool {
        if rows == nil { try start() }
        row += 1
        if let rows, row < rows.count { return true }
        guard let cursor, !exhausted else { return false }
        let next = try connection.queryOnce("FETCH FORWARD \(Self.batch) FROM \(cursor.name)")
        if next.count < Self.batch { exhausted = true }
        rows = next
        row = 0
        if next.count == 0 { closeCursor() }
        return next.count > 0
    }

    private func start() throws {
        let sent = dialect.sent.map { values[Int($0) - 1] }
        guard scan else {
            rows = try connection.query(dialect.sql, sent)
            exhausted = true
            return
        }
        connection.cursorCount += 1
        let name = "glc\(connection.cursorCount)"
        // Outside a transaction a cursor must be held past the statement's own commit.
        let held = !connection.isInTransaction
        // Inside a transaction the DECLARE goes with the first FETCH: one round trip for a scan
        // that fits in one batch.
        try connection.runLater("DECLARE \(name) NO SCROLL CURSOR\(held ? " WITH HOLD" : "") FOR \(dialect.sql)", sent, prepared: false)
        cursor = (name, connection.transactionGeneration, held)
        rows = PostgresRows.empty
        row = -1
        exhausted = false
    }

    private func closeCursor() {
        guard let open = cursor else { return }
        cursor = nil
        // Closing a cursor the transaction already ended would fail, and inside another
        // transaction abort it: close only what is still open.
        let status = PQtransactionStatus(connection.handle)
        if open.held ? status == PQTRANS_IDLE : (status == PQTRANS_INTRANS && open.generation == connection.transactionGeneration) {
            // In a transaction, sent with the next statement.
            _ = try? connection.runLater("CLOSE \(open.name)", [], prepared: false)
        }
    }

    func run() throws {
        while try step() {}
        rewind()
    }

    func runKeepingBindings() throws { try run() }

    func runLater(explain: @escaping (LedgerError) -> LedgerError) throws {
        guard !scan else {
            do { return try run() } catch let error as LedgerError { throw explain(error) }
        }
        try connection.runLater(dialect.sql, dialect.sent.map { values[Int($0) - 1] }, explain: explain)
        rewind()
    }

    func firstRow<T>(_ read: (any StoreStatement) throws -> T) throws -> T? {
        defer { rewind() }
        return try step() ? try read(self) : nil
    }

    // MARK: Columns

    var columnCount: Int32 { Int32(rows?.columns ?? 0) }

    private var current: (PostgresRows, Int)? {
        guard let rows, row >= 0, row < rows.count else { return nil }
        return (rows, row)
    }

    private func value(_ column: Int32) -> PostgresValue {
        guard let (rows, row) = current, Int(column) < rows.columns else { return .null }
        return rows.value(row, Int(column))
    }

    func isNull(_ column: Int32) -> Bool {
        guard let (rows, row) = current, Int(column) < rows.columns else { return true }
        return rows.isNull(row, Int(column))
    }

    func columnType(_ column: Int32) -> Int32 {
        switch value(column) {
        case .null: 5
        case .integer, .bool: 1
        case .double: 2
        case .bytes: 4
        case .text: 3
        }
    }

    func int(_ column: Int32) -> Int64 {
        switch value(column) {
        case .integer(let v): v
        case .double(let v): Int64(v)
        case .bool(let v): v ? 1 : 0
        case .text(let v): Int64(v) ?? 0
        default: 0
        }
    }

    func uint(_ column: Int32) -> UInt64 { UInt64(bitPattern: int(column)) }

    func double(_ column: Int32) -> Double {
        switch value(column) {
        case .integer(let v): Double(v)
        case .double(let v): v
        case .text(let v): Double(v) ?? 0
        default: 0
        }
    }

    func text(_ column: Int32) -> String {
        switch value(column) {
        case .text(let v): v
        case .integer(let v): String(v)
        case .double(let v): String(v)
        case .bool(let v): v ? "1" : "0"
        case .bytes(let v): String(decoding: v, as: UTF8.self)
        case .null: ""
        }
    }

    func blob(_ column: Int32) -> [UInt8] { Array(bytes(column)) }

    func digest(_ column: Int32) -> SHA256Digest? {
        let raw = bytes(column)
        guard raw.count == 32, !isNull(column) else { return nil }
        return SHA256Digest(unsafeRaw: raw)
    }

    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        guard let (rows, row) = current, Int(column) < rows.columns, !rows.isNull(row, Int(column)) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return rows.raw(row, Int(column))
    }
}
