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

    /// Runs one or more statements with no parameters.
    public func execute(_ sql: String) throws { try ledger.db.execute(sql) }

    /// Runs one statement with positional parameters (`?`), ignoring rows.
    public func run(_ sql: String, _ values: [Value] = []) throws {
        try Self.bind(try ledger.statement(sql), sql, values).run()
    }

    /// A statement prepared once and run many times (a projection's INSERT), valid while the
    /// ledger is open.
    public final class Prepared {
        let statement: SQLiteStatement
        let sql: String

        init(statement: SQLiteStatement, sql: String) {
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

    public func rows(_ sql: String, _ values: [Value] = []) throws -> [[Value]] {
        var out: [[Value]] = []
        try query(sql, values) { out.append($0) }
        return out
    }

    private func bound(_ sql: String, _ values: [Value]) throws -> SQLiteStatement {
        try Self.bind(try ledger.statement(sql), sql, values)
    }

    private static func bind(_ statement: SQLiteStatement, _ sql: String, _ values: [Value]) throws -> SQLiteStatement {
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
