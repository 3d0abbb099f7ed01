import Foundation
import Governance
public import LedgerLog

/// The read models of a ledger: kept in its file, brought up to date by folding every event
/// after their recorded position (by seq, gapless), rebuilt from the log on demand, and checked
/// against a fresh replay.
public final class Projections {
    public let ledger: Ledger

    public init(_ ledger: Ledger) { self.ledger = ledger }

    /// How many events behind a whole catch-up must be (and more than it has folded already)
    /// to fold them as a rebuild does: with the report indexes dropped, built once after. A
    /// ledger whose projections were never built catches up at rebuild speed that way.
    public var bulkFoldThreshold: UInt64 = 50_000

    /// One projection's digest: SHA-256 over its tables' rows in seq order.
    public struct Digest: Sendable, Equatable {
        public var projection: String
        public var rows: Int
        public var digest: String
    }

    public struct CheckResult: Sendable {
        public var position: UInt64
        public var incremental: [Digest]
        public var replayed: [Digest]
        public var mismatched: [String] {
            zip(incremental, replayed).filter { $0.0 != $0.1 }.map(\.0.projection)
        }
    }

    /// Folds every event after the stored position (at most `limit` of them, so a writer that
    /// shares the connection is not held up long). Returns how many were folded.
    @discardableResult
    public func catchUp(atMost limit: UInt64? = nil) throws -> UInt64 {
        // Queries call this on entry; once caught up, a report's further calls cost one size read.
        if let known = caughtUpTo, try ledger.size() == known { return 0 }
        let (folded, position) = try ledger.withSideTables(write: true) { tables in
            try Self.catchUp(tables, atMost: limit, bulkFrom: bulkFoldThreshold)
        }
        caughtUpTo = position
        return folded
    }

    /// The log size this instance last caught up to.
    private var caughtUpTo: UInt64?

    /// The seq every projection has folded up to.
    public func position() throws -> UInt64 {
        try ledger.withSideTables(write: false) { tables in try Self.position(tables) }
    }

    /// Drops every projection and replays the whole log into it. The tables and their position
    /// commit first, then each report index in a transaction of its own, built while another
    /// thread copies what came before into the file (`Ledger.backfillingBeside`). Until the last
    /// index commits the projections are complete and answer every report, some without an
    /// index; should the rebuild stop there, the next catch-up builds the ones missing
    /// (`position` creates any that do not exist).
    public func rebuild() throws -> UInt64 {
        caughtUpTo = nil
        return try ledger.backfillingBeside { backfill in
            let count = try ledger.withSideTables(write: true) { tables in
                for statement in ProjectionSchema.dropStatements { try tables.execute(statement) }
                return try Self.catchUp(tables, indexed: false).folded
            }
            for statement in ProjectionSchema.indexes {
                backfill()
                try ledger.withSideTables(write: true) { tables in try tables.execute(statement) }
            }
            return count
        }
    }

    /// Replays the log into scratch (temporary) tables and compares them, projection by
    /// projection, with the incrementally maintained ones. Nothing is changed.
    public func check() throws -> CheckResult {
        try catchUp()
        return try ledger.withSideTables(write: true) { tables in
            let position = try Self.position(tables)
            let incremental = try Self.digests(tables, schema: "main")
            // Unqualified names resolve to the temp schema first: the writer fills the scratch copy.
            for projection in ProjectionSchema.projections {
                for table in projection.tables { try tables.execute("CREATE TEMP TABLE \(table.name) (\(table.columns))") }
            }
            defer {
                for projection in ProjectionSchema.projections {
                    for table in projection.tables { try? tables.execute("DROP TABLE IF EXISTS temp.\(table.name)") }
                }
            }
            _ = try Self.fold(tables, after: 0, through: position)
            let replayed = try Self.digests(tables, schema: "temp")
            return CheckResult(position: position, incremental: incremental, replayed: replayed)
        }
    }

    static func position(_ tables: SideTables, indexed: Bool = true) throws -> UInt64 {
        for statement in ProjectionSchema.createStatements { try tables.execute(statement) }
        // A replay from zero fills the tables first and builds the indexes once, after: sorting
        // once is cheaper than updating every index on every insert.
        if indexed { for statement in ProjectionSchema.indexes { try tables.execute(statement) } }
        let stored = try tables.rows(
            "SELECT seq FROM \(ProjectionSchema.positions) WHERE projection = ?", [.text(ProjectionSchema.versionKey)])
        if stored.first?[0].int != ProjectionSchema.version {
            // Tables of another shape: start again from the log.
            for statement in ProjectionSchema.dropStatements + ProjectionSchema.createStatements { try tables.execute(statement) }
            if indexed { for statement in ProjectionSchema.indexes { try tables.execute(statement) } }
            try tables.run(
                "INSERT INTO \(ProjectionSchema.positions) VALUES (?, ?)",
                [.text(ProjectionSchema.versionKey), .integer(ProjectionSchema.version)])
        }
        let rows = try tables.rows(
            "SELECT MIN(seq), COUNT(*) FROM \(ProjectionSchema.positions) WHERE projection != ?",
            [.text(ProjectionSchema.versionKey)])
        guard let first = rows.first, first[1].int == Int64(ProjectionSchema.projections.count) else { return 0 }
        return UInt64(first[0].int ?? 0)
    }

    /// Folds the events after the stored position; returns how many, and the position after
    /// (every projection's: what `position` would read again).
    static func catchUp(
        _ tables: SideTables, indexed: Bool = true, atMost limit: UInt64? = nil, bulkFrom threshold: UInt64 = .max
    ) throws -> (folded: UInt64, position: UInt64) {
        let start = try position(tables, indexed: indexed)
        // Far behind: every feed only inserts, so the indexes can go while it folds and be built
        // once after (sorting once is cheaper than updating every index on every insert).
        var bulk = false
        if indexed, limit == nil {
            let size = UInt64(max(0, try tables.rows("SELECT COALESCE(MAX(seq), 0) FROM events").first?[0].int ?? 0))
            let behind = size > start ? size - start : 0
            bulk = behind >= threshold && behind > start
        }
        if bulk { for name in ProjectionSchema.indexNames { try tables.execute("DROP INDEX IF EXISTS \(name)") } }
        let last = try fold(tables, after: start, through: limit.map { start + $0 })
        if bulk { for statement in ProjectionSchema.indexes { try tables.execute(statement) } }
        if last != start || start == 0 {
            for projection in ProjectionSchema.projections {
                try tables.run(
                    "INSERT INTO \(ProjectionSchema.positions) VALUES (?, ?) ON CONFLICT(projection) DO UPDATE SET seq = excluded.seq",
                    [.text(projection.name), .integer(Int64(last))])
            }
        }
        return (last - start, last)
    }

    /// A catch-up of at most this many events prepares only the feeds of the types among them.
    static let shortFold: UInt64 = 1_000

    /// Runs every feed over the events after `after`, gapless; returns the last seq folded. A
    /// short range (a one-shot `append`'s, a service's slice) names its event types first and
    /// prepares only their feeds: preparing all of them cost more than folding a few events.
    static func fold(_ tables: SideTables, after: UInt64, through last: UInt64? = nil) throws -> UInt64 {
        do {
            var types: Set<String>?
            let end = min(last ?? .max, UInt64(max(0, try tables.rows("SELECT COALESCE(MAX(seq), 0) FROM events").first?[0].int ?? 0)))
            if end <= after {
                types = []
            } else if end - after <= shortFold {
                types = Set(
                    try tables.rows(
                        "SELECT DISTINCT type FROM events WHERE seq > ?1 AND seq <= ?2",
                        [.integer(Int64(after)), .integer(Int64(end))]
                    ).compactMap { $0[0].string })
            }
            return try tables.run(try ProjectionFeeds.prepare(tables, types: types), after: after, through: last)
        } catch var error as LedgerError where error.seq != nil {
            error.message = "cannot project \(error.message)"
            throw error
        }
    }

    static func digests(_ tables: SideTables, schema: String) throws -> [Digest] {
        try ProjectionSchema.projections.map { projection in
            let sha = SHA256()
            sha.start()
            var count = 0
            for table in projection.tables {
                Array("\(table.name)\n".utf8).withUnsafeBytes { sha.update($0) }
                let columns = ProjectionSchema.columnNames(table.columns).joined(separator: ", ")
                try tables.query("SELECT \(columns) FROM \(schema).\(table.name) ORDER BY seq, rowid") { row in
                    let line = CanonicalJSON.bytes(of: .array(row.map(\.json))) + [0x0A]
                    line.withUnsafeBytes { sha.update($0) }
                    count += 1
                }
            }
            return Digest(projection: projection.name, rows: count, digest: sha.finish().description)
        }
    }

    /// The seq a report "as of" answers for: a seq, or a date (`YYYY-MM-DD`, the end of that UTC
    /// day, or a full RFC 3339 instant), resolved against `recorded_at`. Nil means the end.
    public func resolve(asOf: String?) throws -> UInt64 {
        let size = try ledger.size()
        guard let asOf else { return size }
        if let seq = UInt64(asOf) {
            guard seq <= size else {
                throw LedgerError(.badInput, "seq \(asOf) is past the end of the log (\(size))", field: "as-of")
            }
            return seq
        }
        let instant: Timestamp
        if CalendarDate(asOf) != nil {
            instant = try Timestamp(rfc3339: asOf + "T23:59:59.999999Z")
        } else {
            do { instant = try Timestamp(rfc3339: asOf) } catch {
                throw LedgerError(
                    .badInput, "'\(asOf)' is neither a seq, a date (YYYY-MM-DD) nor an RFC 3339 instant", field: "as-of")
            }
        }
        return try ledger.withSideTables(write: false) { tables in
            UInt64(
                try tables.rows("SELECT MAX(seq) FROM events WHERE recorded_at <= ?", [.text(instant.description)]).first?[0].int
                    ?? 0)
        }
    }
}

extension SideTables.Value {
    var json: JSONValue {
        switch self {
        case .null: .null
        case .integer(let v): .number(Double(v))
        case .real(let v): .number(v)
        case .text(let v): .string(v)
        }
    }
}
