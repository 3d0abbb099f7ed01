import CSQLite

/// Edits a ledger file directly through libsqlite3, as someone with write access to the file
/// would: defensive mode off and the append-only triggers dropped first.
public final class Attacker {
    private let client: SQLClient

    public init(path: String) throws {
        client = try SQLClient(path: path)
        client.disableDefensiveMode()
        for trigger in try client.strings("SELECT name FROM sqlite_master WHERE type = 'trigger'") {
            try client.execute("DROP TRIGGER \(trigger)")
        }
    }

    public func execute(_ sql: String) throws { try client.execute(sql) }

    public struct AttackerError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
