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

    /// A statement run once for every event of some types, straight from the log: the event is
    /// bound to the named parameters the statement uses, `:seq`, `:type`, `:occurred_at`,
    /// `:recorded_at` and `:payload` (the payload's canonical JSON as text, for SQLite's JSON
    /// functions; NULL when erased). Nothing is copied or decoded on the way.
    public final class EventFeed {
        let types: [String]
        let requiring: [UInt8]
        let statement: any StoreStatement
        let parameters: [(index: Int32, column: Int32)]

        init(types: [String], requiring: String?, statement: any StoreStatement, sql: String) throws {
            (self.types, self.statement) = (types, statement)
            self.requiring = Array((requiring ?? "").utf8)
            let named: [(String, Int32)] = [(":seq", 0), (":type", 1), (":occurred_at", 2), (":recorded_at", 3), (":payload", 4)]
            parameters = named.compactMap { name, column in
                let index = statement.parameterIndex(name)
                return index == 0 ? nil : (index, column)
            }
            guard parameters.count == Int(statement.parameterCount) else {
                throw LedgerError(
                    .storage, "'\(sql.prefix(60))' may only use the parameters :seq, :type, :occurred_at, :recorded_at, :payload")
            }
        }
    }

    /// Prepares a statement to run for each event whose type is one of `types` and, when
    /// `requiring` is given, whose payload bytes contain it: a cheap test that spares running a
    /// statement that would find nothing to add (the statement itself still decides).
    public func feed(types: [String], requiring: String? = nil, _ sql: String) throws -> EventFeed {
        try EventFeed(types: types, requiring: requiring, statement: try ledger.db.prepare(sql), sql: sql)
    }

    /// Runs the feeds over the events after seq `after` (through `last`, or to the end), in seq
    /// order, gapless: a missing seq is an error naming it. A failing statement stops everything
    /// with an error naming the event's seq and type. Returns the last seq fed (`after` when none).
    public func run(_ feeds: [EventFeed], after: UInt64, through last: UInt64? = nil) throws -> UInt64 {
        // Events are dispatched on their type's bytes, compared in place.
        var byType: [(type: [UInt8], feeds: [EventFeed])] = []
        for feed in feeds {
            for type in feed.types {
                if let i = byType.firstIndex(where: { $0.type == Array(type.utf8) }) {
                    byType[i].feeds.append(feed)
                } else {
                    byType.append((Array(type.utf8), [feed]))
                }
            }
        }
        let rows = try ledger.db.prepare(
            "SELECT seq, type, occurred_at, recorded_at, payload FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq", scan: true)
        rows.bind(1, after).bind(2, last.map { Int64(bitPattern: $0) } ?? Int64.max)
        // The feeds borrow the current row's bytes: unbind them before the row goes away.
        defer { for feed in feeds { feed.statement.clearBindings() } }
        var previous = after
        while try rows.step() {
            let seq = rows.uint(0)
            guard seq == previous + 1 else {
                throw LedgerError(
                    .damaged, "expected seq \(previous + 1) next and read seq \(seq): the log has a gap", seq: previous + 1)
            }
            previous = seq
            let type = rows.bytes(1)
            guard let match = byType.firstIndex(where: { $0.type.withUnsafeBytes { $0.elementsEqual(type) } }) else { continue }
            for feed in byType[match].feeds {
                if !feed.requiring.isEmpty {
                    let payload = rows.bytes(4)
                    if !payload.contains(bytes: feed.requiring) { continue }
                }
                for (index, column) in feed.parameters {
                    switch column {
                    case 0: feed.statement.bind(index, seq)
                    case 4 where rows.isNull(4): feed.statement.bindNull(index)
                    default: feed.statement.bindText(index, borrowing: rows.bytes(column))
                    }
                }
                // Sent with the next statement on PostgreSQL (a round trip per row saved); a
                // failure is named by its event either way.
                let typeName = String(decoding: type, as: UTF8.self)
                try feed.statement.runLater { error in
                    var error = error
                    error.message = "seq \(seq) (\(typeName)): \(error.message)"
                    error.seq = seq
                    return error
                }
            }
        }
        try ledger.db.flushQueued()
        return previous
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

extension UnsafeRawBufferPointer {
    /// Whether `needle` occurs in these bytes (a plain scan: the payloads searched are small).
    func contains(bytes needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard count >= needle.count else { return false }
        var start = 0
        while start <= count - needle.count {
            if self[start] == first {
                var matched = 1
                while matched < needle.count && self[start + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            start += 1
        }
        return false
    }
}
