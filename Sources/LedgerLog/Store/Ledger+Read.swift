import Foundation

extension Ledger {
    static let eventColumns = """
        SELECT seq, id, type, stream, stream_version, occurred_at, recorded_at, actor,
               payload, payload_digest, prev_hash, hash FROM events
        """

    /// Reads the current row. A damaged digest column comes back as an all-zero digest, so
    /// verification reports it as a hash mismatch at its seq instead of failing to read.
    static func readEvent(_ s: any StoreStatement) throws -> RecordedEvent {
        RecordedEvent(
            seq: s.uint(0), id: s.text(1), type: s.text(2), stream: s.text(3), streamVersion: s.uint(4),
            occurredAt: s.text(5), recordedAt: s.text(6), actor: s.text(7), payloadBytes: s.blob(8),
            payloadDigest: s.digest(9) ?? .zero, previousHash: s.digest(10) ?? .zero, hash: s.digest(11) ?? .zero)
    }

    public func event(seq: UInt64) throws -> RecordedEvent? {
        try statement("\(Self.eventColumns) WHERE seq = ?").bind(1, seq).firstRow(Self.readEvent)
    }

    public func event(id: String) throws -> RecordedEvent? {
        try statement("\(Self.eventColumns) WHERE id = ?").bind(1, id.lowercased()).firstRow(Self.readEvent)
    }

    /// Streams events in seq order. `body` returns false to stop early.
    public func forEachEvent(
        after: UInt64 = 0,
        through last: UInt64? = nil,
        stream: String? = nil,
        type: String? = nil,
        limit: Int? = nil,
        newestFirst: Bool = false,
        _ body: (RecordedEvent) throws -> Bool
    ) throws {
        var sql = "\(Self.eventColumns) WHERE seq > ?1"
        if stream != nil { sql = Self.streamChain(stream: "?3", above: "?1") + sql + " AND seq IN (SELECT seq FROM stream_chain)" }
        if last != nil { sql += " AND seq <= ?2" }
        if type != nil { sql += " AND type = ?4" }
        sql += newestFirst ? " ORDER BY seq DESC" : " ORDER BY seq"
        if limit != nil { sql += " LIMIT ?5" }
        // A fresh statement: the body may call back into the ledger and reuse cached ones.
        let s = try db.prepare(sql, scan: true)
        s.bind(1, after)
        if let last { s.bind(2, last) }
        if let stream { s.bind(3, stream) }
        if let type { s.bind(4, type) }
        if let limit { s.bind(5, Int64(limit)) }
        while try s.step() {
            guard try body(try Self.readEvent(s)) else { break }
        }
    }

    /// A `WITH` clause naming `stream_chain(seq)`: the seqs of a stream's events, found by walking
    /// back from its head along `stream_prev` (newest first), stopping at the first seq not above
    /// `above` when it is given. Both stores run it; a stream of n events costs n lookups by seq.
    public static func streamChain(stream: String, above: String? = nil) -> String {
        """
        WITH RECURSIVE stream_chain(seq) AS (
            SELECT seq FROM stream_heads WHERE stream = \(stream)
            UNION ALL
            SELECT events.stream_prev FROM events JOIN stream_chain ON events.seq = stream_chain.seq
            WHERE \(above.map { "events.stream_prev > \($0)" } ?? "events.stream_prev IS NOT NULL")
        )

        """
    }

    public func events(after: UInt64 = 0, limit: Int? = nil, stream: String? = nil, type: String? = nil) throws -> [RecordedEvent]
    {
        var out: [RecordedEvent] = []
        try forEachEvent(after: after, stream: stream, type: type, limit: limit) {
            out.append($0)
            return true
        }
        return out
    }
}

extension Ledger {
    /// Whether any event was ever recorded on `stream`.
    public func hasStream(_ stream: String) throws -> Bool {
        try statement("SELECT 1 FROM stream_heads WHERE stream = ?").bind(1, stream).firstRow { _ in true } ?? false
    }

    /// The streams whose name ends with `/` and `suffix` (what `deliverable/D-1` was probably meant by `D-1`).
    public func streams(endingWith suffix: String, limit: Int = 5) throws -> [String] {
        let s = try db.prepare("SELECT stream FROM stream_heads WHERE stream LIKE ?1 ESCAPE '\\' ORDER BY stream LIMIT ?2")
        let escaped = suffix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        s.bind(1, "%/" + escaped).bind(2, Int64(limit))
        var names: [String] = []
        while try s.step() { names.append(s.text(0)) }
        return names
    }
}
