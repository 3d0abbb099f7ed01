import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerLog

/// libpq through the store's connection, against a real PostgreSQL server started for the suite.
@Suite("PostgreSQL connection", .serialized)
struct PostgresConnectionTests {
    @Test("values go in and come back typed: integers, doubles, text, bytes, NULL, and SUM's NUMERIC")
    func roundTrip() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let connection = try PostgresConnection(url: cluster.url)
        try connection.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, amount DOUBLE PRECISION, name TEXT, body BYTEA)")
        let body: [UInt8] = [0, 1, 2, 255, 0x27, 0x5C]
        for id in 1...3 {
            try connection.query(
                "INSERT INTO t (id, amount, name, body) VALUES ($1, $2, $3, $4)",
                [.integer(Int64(id) * 1_000_000_000_000), .double(0.5 * Double(id)), id == 2 ? .null : .text("é \(id)"), .bytes(body)])
        }
        let rows = try connection.query("SELECT id, amount, name, body FROM t WHERE id >= $1 ORDER BY id", [.integer(0)])
        #expect(rows.count == 3)
        #expect(rows.value(0, 0) == .integer(1_000_000_000_000) && rows.value(2, 1) == .double(1.5))
        #expect(rows.value(0, 2) == .text("é 1") && rows.value(1, 2) == .null && rows.value(1, 3) == .bytes(body))
        let sums = try connection.query("SELECT SUM(id), SUM(id) / 7.0, COUNT(*), -SUM(id) FROM t")
        #expect(sums.value(0, 0) == .integer(6_000_000_000_000))
        #expect(abs((sums.value(0, 1).double ?? 0) - 6_000_000_000_000 / 7.0) < 1e-3)
        #expect(sums.value(0, 2) == .integer(3) && sums.value(0, 3) == .integer(-6_000_000_000_000))
    }

    @Test("a duplicate key is a conflict; a server that goes away is 'unavailable', and the connection recovers")
    func errors() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let connection = try PostgresConnection(url: cluster.url)
        try connection.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        try connection.query("INSERT INTO t (id) VALUES ($1)", [.integer(1)])
        #expect { try connection.query("INSERT INTO t (id) VALUES ($1)", [.integer(1)]) } throws: {
            ($0 as? LedgerError)?.code == .conflict
        }
        try cluster.control("stop")
        #expect { try connection.query("SELECT id FROM t") } throws: { ($0 as? LedgerError)?.code == .unavailable }
        #expect(throws: LedgerError.self) { try PostgresConnection(url: cluster.url) }
        try cluster.control("start")
        #expect(connection.reset())
        #expect(try connection.query("SELECT id FROM t").value(0, 0) == .integer(1))
        #expect(PostgresConnection.redacted("postgres://writer:s3cret@db:5432/ledger") == "postgres://writer:***@db:5432/ledger")
    }

    @Test("writes queued in a transaction go with the next statement, in order; a failing one is thrown there and COMMIT refuses the transaction; a rolled-back savepoint drops its own")
    func queuedWrites() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let connection = try PostgresConnection(url: cluster.url)
        try connection.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, body BYTEA NOT NULL)")
        let insert = "INSERT INTO t (id, body) VALUES ($1, $2)"
        func ids() throws -> [Int64] {
            let rows = try connection.query("SELECT id FROM t ORDER BY id")
            return (0..<rows.count).compactMap { rows.value($0, 0).integer }
        }

        // More than one pipeline's worth: flushed on the way, and all seen by the next read.
        try connection.beginWrite()
        for id in 1...(PostgresConnection.maxQueued * 2 + 5) { try connection.runLater(insert, [.integer(Int64(id)), .bytes([1, 2])]) }
        #expect(try ids().count == PostgresConnection.maxQueued * 2 + 5)
        try connection.commit()

        // A queued write that fails: thrown by the statement that sent it; nothing is kept.
        try connection.beginWrite()
        try connection.runLater(insert, [.integer(1000), .bytes([])])
        try connection.runLater(insert, [.integer(1), .bytes([])])  // a duplicate key
        #expect { try connection.query("SELECT 1") } throws: { ($0 as? LedgerError)?.code == .conflict }
        #expect { try connection.commit() } throws: { "\($0)".contains("rolled the transaction back") }
        connection.rollback()
        #expect(try ids().count == PostgresConnection.maxQueued * 2 + 5)

        // Savepoints: a released one's writes stay, a rolled-back one's are dropped.
        try connection.beginWrite()
        try connection.savepoint("request")
        try connection.runLater(insert, [.integer(300), .bytes([3])])
        try connection.release("request")
        try connection.savepoint("request")
        try connection.runLater(insert, [.integer(301), .bytes([3])])
        try connection.rollbackAndRelease("request")
        try connection.savepoint("request")
        try connection.runLater(insert, [.integer(302), .bytes([3])])
        try connection.release("request")
        try connection.commit()
        let kept = try ids().filter { $0 >= 300 }
        #expect(kept == [300, 302])

        // The server gone with writes queued: COMMIT says so, and nothing of them is there after.
        try connection.beginWrite()
        try connection.runLater(insert, [.integer(400), .bytes([4])])
        try cluster.control("stop")
        #expect { try connection.commit() } throws: { ($0 as? LedgerError)?.code == .unavailable }
        connection.rollback()
        try cluster.control("start")
        #expect(connection.reset())
        #expect(try ids().contains(400) == false)
        try connection.beginWrite()
        try connection.runLater(insert, [.integer(401), .bytes([4])])
        try connection.commit()
        #expect(try ids().last == 401)
    }
}
