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

    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard rc == SQLITE_OK else {
            throw Attacker.AttackerError(message: message.map { String(cString: $0) } ?? "error \(rc)")
        }
    }
}
