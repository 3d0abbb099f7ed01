import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
@testable import Projections
import Testing

/// The column definitions every feed's SQL is written from, read once from the schema's text.
@Suite struct ProjectionSchemaTests {
    @Test func everyTablesColumnsAreReadFromItsDefinition() {
        let tables = ProjectionSchema.projections.flatMap(\.tables)
        #expect(tables.count > 15)
        for table in tables {
            let columns = ProjectionSchema.columnDefinitions(of: table.name)
            let definitions = table.columns.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(columns.map(\.name) == ProjectionSchema.columnNames(table.columns), "\(table.name)")
            #expect(columns.count == definitions.count && columns.first?.name == "seq", "\(table.name)")
            for (column, definition) in zip(columns, definitions) {
                #expect(definition.hasPrefix("\(column.name) \(column.type)"), "\(table.name): \(definition)")
                #expect(["INTEGER", "TEXT", "REAL", "BLOB"].contains(column.type), "\(table.name).\(column.name)")
                #expect(column.notNull == definition.contains("NOT NULL"), "\(table.name).\(column.name)")
            }
        }
        // Spot checks against the schema as written.
        let assets = ProjectionSchema.columnDefinitions(of: "proj_assets")
        #expect(assets.map(\.notNull) == [true, true, true, false, false, false, false, true])
        #expect(ProjectionSchema.columnTypes(of: "proj_replays").suffix(3) == ["REAL", "TEXT", "TEXT"])
        #expect(ProjectionSchema.columnDefinitions(of: "proj_nothing").isEmpty)
    }
}

/// SQLite builds an ephemeral B-tree, at every execution, for a constant `IN` list of more than
/// two values or an `IN (SELECT …)`: in a statement run once per event that is a table built and
/// dropped per event (it was a quarter of the event insert's time; docs/BENCHMARKS.md). Every
/// statement the append and the projection fold run per event is explained here.
@Suite struct PerEventStatementTests {
    @Test func noStatementRunPerEventBuildsAnEphemeralTable() throws {
        let directory = TemporaryDirectory("genledger-per-event")
        let path = directory.path("ledger.db")
        let ledger = try Ledger.create(at: path, origin: "per-event.example/log")
        try GateIndex.prepare(ledger)
        _ = try Projections(ledger).catchUp()
        let feeds = try ledger.withSideTables(write: false) { tables in
            ProjectionFeeds(dialect: tables.dialect).all.map { $0.sql(tables.dialect) }
        }
        #expect(feeds.count > 20)
        let statements =
            [
                """
                INSERT INTO events(seq, id, type, stream, stream_version, occurred_at, recorded_at, actor,
                                   payload, payload_digest, prev_hash, hash, stream_prev)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                "INSERT INTO merkle_nodes(id, hash) VALUES (?, ?)",
                """
                INSERT INTO stream_heads(stream, version, seq) VALUES (?, ?, ?)
                ON CONFLICT(stream) DO UPDATE SET version = excluded.version, seq = excluded.seq
                """,
            ] + feeds
        let client = try SQLClient(path: path)
        for statement in statements {
            let opcodes = try client.strings("EXPLAIN " + statement, column: 1)
            #expect(!opcodes.isEmpty, "explained: \(statement)")
            #expect(!opcodes.contains("OpenEphemeral"), "an ephemeral table per event: \(statement)")
        }
        // The check itself sees one: the gate's documents condition as it was.
        let inList = try client.strings(
            "EXPLAIN SELECT seq FROM events WHERE type IN ('a', 'b', 'c') AND seq = ?", column: 1)
        #expect(inList.contains("OpenEphemeral"))
    }
}
