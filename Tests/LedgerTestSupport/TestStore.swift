import CPostgreSQL
import Foundation
import LedgerLog

/// The stores a test runs against: suites that hold for both take `TestStore.allCases` as
/// arguments. PostgreSQL ledgers live in databases of their own on one throwaway cluster per test
/// process (`SharedPostgres`), started at first use and stopped when the process exits.
public enum TestStore: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// Where a new ledger goes: a file in `directory`, or a fresh PostgreSQL database.
    public func location(in directory: TemporaryDirectory, name: String = "ledger.db") throws -> String {
        switch self {
        case .sqlite: directory.path(name)
        case .postgres: try SharedPostgres.newDatabase()
        }
    }
}

/// One PostgreSQL cluster for the test process, and a fresh database in it per ledger.
public enum SharedPostgres {
    nonisolated(unsafe) private static var cluster: PostgresCluster?
    private static let lock = NSLock()

    /// The cluster, started at first use (and stopped when the process exits).
    public static func shared() throws -> PostgresCluster {
        try lock.withLock {
            if let cluster { return cluster }
            let started = try PostgresCluster()
            cluster = started
            atexit { SharedPostgres.stopAtExit() }
            return started
        }
    }

    private static func stopAtExit() { cluster?.stop() }

    /// A new, empty database on the shared cluster: its URL.
    public static func newDatabase() throws -> String {
        let cluster = try shared()
        let name = "gl_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try PostgresClient(url: cluster.url).execute("CREATE DATABASE \(name)")
        return cluster.url.replacingOccurrences(of: "/genledger", with: "/\(name)")
    }
}

/// A plain libpq connection, as any SQL client (psql) would make: for tests that act on the
/// database beside the ledger (an attacker, an operator).
public final class PostgresClient {
    private let connection: OpaquePointer

    public init(url: String) throws {
        guard let connection = PQconnectdb(url), PQstatus(connection) == CONNECTION_OK else {
            throw Attacker.AttackerError(message: "cannot connect to \(url)")
        }
        self.connection = connection
        _ = try? execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(connection) }

    public func execute(_ sql: String) throws {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw Attacker.AttackerError(message: String(cString: PQerrorMessage(connection)))
        }
    }

    /// The first column of every row, as text.
    public func strings(_ sql: String) throws -> [String] {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw Attacker.AttackerError(message: String(cString: PQerrorMessage(connection)))
        }
        return (0..<PQntuples(result)).map { String(cString: PQgetvalue(result, $0, 0)) }
    }
}
