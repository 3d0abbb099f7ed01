/// Read models kept in the ledger file beside the log: tables a layer above defines, fills and
/// queries with SQL, in the same transactions as the log (so a read model and the log it was
/// built from are always seen together). The log's own tables stay append-only; side tables
/// are the caller's to create, replace and drop. Names must not start with `events`,
/// `merkle_`, `checkpoints`, `verifier_keys` or `ledger_`.
public final class SideTables {
    let ledger: Ledger

    init(ledger: Ledger) { self.ledger = ledger }

    /// A value bound to a statement parameter or read from a column.
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
    }

    /// Which database the side tables live in. SQL written for both stores is rewritten for
    /// PostgreSQL where the two differ (`PostgresDialect`); the expressions below differ too much
    /// to rewrite, so callers ask for them.
    public var store: StoreKind { ledger.store }

    /// Whether a table or index of this name exists (temporary ones included).
    public func exists(_ name: String) throws -> Bool {
        switch store {
        case .sqlite:
            return try rows(
                "SELECT count(*) FROM sqlite_master WHERE name = ?1 UNION ALL SELECT count(*) FROM sqlite_temp_master WHERE name = ?1",
                [.text(name)]
            ).contains { $0[0].int == 1 }
        case .postgres:
            // Asked once per connection: the gate asks at every write transaction.
            if let connection = ledger.db as? PostgresConnection, connection.existing.contains(name) { return true }
            let found = try rows("SELECT count(*) FROM pg_class WHERE relname = ?1 AND pg_table_is_visible(oid)", [.text(name)])
                .first?[0].int == 1
            if found, let connection = ledger.db as? PostgresConnection { connection.existing.insert(name) }
            return found
        }
    }

    /// An expression for the JSON text, number or NULL at `path` (dotted: `request.deliverable`)
    /// of the canonical JSON payload bytes held in column `column`, as text.
    public func jsonText(_ path: String, ofColumn column: String) -> String {
        switch store {
        case .sqlite: "json_extract(CAST(\(column) AS TEXT), '$.\(path)')"
        case .postgres: "(convert_from(\(column), 'UTF8')::json #>> '{\(path.split(separator: ".").joined(separator: ","))}')"
        }
    }

    /// An expression for the number at `path` of the payload bytes in `column`, in micro-units,
    /// rounded half away from zero (as `Money` rounds), as a 64-bit integer.
    public func jsonMicros(_ path: String, ofColumn column: String) -> String {
        switch store {
        case .sqlite: "CAST(round(\(jsonText(path, ofColumn: column)) * 1000000) AS INTEGER)"
        case .postgres: "CAST(round(CAST(\(jsonText(path, ofColumn: column)) AS numeric) * 1000000) AS bigint)"
        }
    }

    /// Runs one or more statements with no parameters.
    public func execute(_ sql: String) throws { try ledger.db.execute(sql) }

    /// Runs one statement with positional parameters (`?`), ignoring rows.
    public func run(_ sql: String, _ values: [Value] = []) throws {
        try Self.bind(try ledger.statement(sql), sql, values).run()
    }

    /// `run`, for a write whose outcome nothing reads before the next statement: on PostgreSQL
    /// it goes with that statement in one round trip, and an error it meets is thrown there.
    public func runLater(_ sql: String, _ values: [Value] = []) throws {
        try Self.bind(try ledger.statement(sql), sql, values).runLater()
    }

    /// A statement prepared once and run many times (a projection's INSERT), valid while the
    /// ledger is open.
    public final class Prepared {
        let statement: any StoreStatement
        let sql: String

        init(statement: any StoreStatement, sql: String) {
            self.statement = statement
            self.sql = sql
        }

        public func run(_ values: [Value]) throws {
            statement.reset()
            try SideTables.bind(statement, sql, values).run()
        }
    }

    public func prepare(_ sql: String) throws -> Prepared {
        Prepared(statement: try ledger.db.prepare(sql), sql: sql)
    }

    /// Runs a query; `row` sees each row's columns in order.
    public func query(_ sql: String, _ values: [Value] = [], _ row: ([Value]) throws -> Void) throws {
        let statement = try bound(sql, values)
        defer { statement.reset() }
        while try statement.step() {
            try row(
                (0..<statement.columnCount).map { column in
                    if statement.isNull(column) { return .null }
                    switch statement.columnType(column) {
                    case 1: return .integer(statement.int(column))
                    case 2: return .real(statement.double(column))
                    default: return .text(statement.text(column))
                    }
                })
        }
    }

    /// A query read row by row without materializing values: for long scans that keep only a
    /// few columns of each row. Valid inside the transaction it was opened in.
    public final class Cursor {
        let statement: any StoreStatement

        init(statement: any StoreStatement) { self.statement = statement }

        /// Moves to the next row; false when there is none.
        public func next() throws -> Bool { try statement.step() }
        public func isNull(_ column: Int32) -> Bool { statement.isNull(column) }
        public func int(_ column: Int32) -> Int64 { statement.int(column) }
        public func double(_ column: Int32) -> Double { statement.double(column) }
        public func text(_ column: Int32) -> String? { statement.isNull(column) ? nil : statement.text(column) }
        /// A column's bytes in place (no String is made): valid until the next call to `next()`.
        public func bytes(_ column: Int32) -> UnsafeRawBufferPointer { statement.bytes(column) }
    }

    public func cursor(_ sql: String, _ values: [Value] = []) throws -> Cursor {
        // A statement of its own: cursors are read side by side (a merge by seq).
        Cursor(statement: try Self.bind(try ledger.db.prepare(sql, scan: true), sql, values))
    }

    public func rows(_ sql: String, _ values: [Value] = []) throws -> [[Value]] {
        var out: [[Value]] = []
        try query(sql, values) { out.append($0) }
        return out
    }

    private func bound(_ sql: String, _ values: [Value]) throws -> any StoreStatement {
        try Self.bind(try ledger.statement(sql), sql, values)
    }

    private static func bind(_ statement: any StoreStatement, _ sql: String, _ values: [Value]) throws -> any StoreStatement {
        guard statement.parameterCount == values.count else {
            // SQLite would ignore extra values and bind missing ones as NULL: refuse instead.
            throw LedgerError(.storage, "'\(sql.prefix(60))' takes \(statement.parameterCount) values, not \(values.count)")
        }
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .null: statement.bindNull(index)
            case .integer(let v): statement.bind(index, v)
            case .real(let v): statement.bind(index, v)
            case .text(let v): statement.bind(index, v)
            }
        }
        return statement
    }
}

extension SideTables.Value {
    public var int: Int64? { if case .integer(let v) = self { v } else if case .real(let v) = self { Int64(v) } else { nil } }
    public var double: Double? {
        if case .real(let v) = self { v } else if case .integer(let v) = self { Double(v) } else { nil }
    }
    public var string: String? { if case .text(let v) = self { v } else { nil } }
}

extension Ledger {
    /// Runs `body` with the side tables inside a write transaction (or, with `write: false`, one
    /// read snapshot) that also covers the log.
    public func withSideTables<T>(write: Bool, _ body: (SideTables) throws -> T) throws -> T {
        let tables = SideTables(ledger: self)
        return write ? try writeTransaction { try body(tables) } : try readTransaction { try body(tables) }
    }
}

/// Gives `AppendSession` users the side tables of the same transaction.
extension AppendSession {
    public var sideTables: SideTables { SideTables(ledger: ledger) }
}
