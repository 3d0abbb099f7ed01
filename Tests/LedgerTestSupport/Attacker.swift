import CSQLite

/// Edits a ledger file directly through libsqlite3, as someone with write access to the file
/// would: defensive mode off and the append-only triggers dropped first.
public final class Attacker {
    private var db: OpaquePointer?

    public init(path: String) throws {
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw AttackerError(message: "cannot open \(path)")
        }
        _ = genledger_sqlite3_disable_defensive(db)
        try execute("PRAGMA writable_schema=OFF")
        for trigger in try strings("SELECT name FROM sqlite_master WHERE type = 'trigger'") {
            try execute("DROP TRIGGER \(trigger)")
        }
    }

    deinit { sqlite3_close_v2(db) }

    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard rc == SQLITE_OK else {
            throw AttackerError(message: "\(sql): \(message.map { String(cString: $0) } ?? "error \(rc)")")
        }
    }

    public func strings(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw AttackerError(message: "cannot prepare \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        var out: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            out.append(String(cString: sqlite3_column_text(statement, 0)))
        }
        return out
    }

    public struct AttackerError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
