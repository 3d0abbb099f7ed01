import CSQLite
import Foundation
import LedgerLog

/// Edits a ledger directly, as someone with write access to its file or superuser access to its
/// database would: for SQLite, defensive mode off and the append-only triggers dropped; for
/// PostgreSQL, every trigger on the log's tables dropped. Statements are written in SQLite's
/// SQL; for PostgreSQL, `X'…'` blobs and `CAST(… AS BLOB)` are rewritten to bytea.
public final class Attacker {
    private let run: (String) throws -> Void

    public init(path: String) throws {
        if StoreKind.of(location: path) == .postgres {
            let client = try PostgresClient(url: path)
            let triggers = try client.strings(
                "SELECT tgname || ' ON ' || tgrelid::regclass FROM pg_trigger WHERE NOT tgisinternal")
            for trigger in triggers { try client.execute("DROP TRIGGER \(trigger)") }
            run = { try client.execute(Self.postgresSQL($0)) }
        } else {
            let client = try SQLClient(path: path)
            client.disableDefensiveMode()
            for trigger in try client.strings("SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                try client.execute("DROP TRIGGER \(trigger)")
            }
            run = { try client.execute($0) }
        }
    }

    public func execute(_ sql: String) throws { try run(sql) }

    static func postgresSQL(_ sql: String) -> String {
        var out = sql.replacingOccurrences(of: #"X'([0-9a-fA-F]*)'"#, with: #"'\\x$1'::bytea"#, options: .regularExpression)
        out = out.replacingOccurrences(of: #"CAST\(('(?:[^']|'')*') AS BLOB\)"#, with: "convert_to($1, 'UTF8')", options: .regularExpression)
        return out
    }

    public struct AttackerError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
