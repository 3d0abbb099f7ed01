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
        if last != nil { sql += " AND seq <= ?2" }
        if stream != nil { sql += " AND stream = ?3" }
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
        var found = false
        try forEachEvent(stream: stream, limit: 1) { _ in
            found = true
            return false
        }
        return found
    }

    /// The streams whose name ends with `/` and `suffix` (what `deliverable/D-1` was probably meant by `D-1`).
    public func streams(endingWith suffix: String, limit: Int = 5) throws -> [String] {
        let s = try db.prepare("SELECT DISTINCT stream FROM events WHERE stream LIKE ?1 ESCAPE '\\' LIMIT ?2")
        let escaped = suffix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        s.bind(1, "%/" + escaped).bind(2, Int64(limit))
        var names: [String] = []
        while try s.step() { names.append(s.text(0)) }
        return names
    }
}
