import CSQLite

/// A plain SQLite connection with the schema's triggers in place: what any SQL client sees.
public final class SQLClient {
    private var db: OpaquePointer?

    public init(path: String) throws {
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw Attacker.AttackerError(message: "cannot open \(path)")
        }
    }

    deinit { sqlite3_close_v2(db) }

    /// What an attacker does first: SQLite's defensive mode would refuse some direct edits.
    func disableDefensiveMode() { _ = genledger_sqlite3_disable_defensive(db) }

    public func strings(_ sql: String) throws -> [String] { try strings(sql, column: 0) }

    /// Column `column` of every row, as text.
    public func strings(_ sql: String, column: Int32) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw Attacker.AttackerError(message: "cannot prepare \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        var out: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW { out.append(String(cString: sqlite3_column_text(statement, column))) }
        return out
    }

    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard rc == SQLITE_OK else {
            throw Attacker.AttackerError(message: message.map { String(cString: $0) } ?? "error \(rc)")
        }
    }
}
