import Foundation

/// Erasure (docs/FORMAT.md §11): top-level fields of one event's payload removed, for a person's
/// right to erasure or a secret leaked into a prompt. The event's `payload_digest` and `hash`
/// stay those of the original, so the chain, the Merkle tree and every proof still verify; the
/// `payload.erased` event recorded first names the event, the fields and the SHA-256 of the
/// redacted payload, which binds what remains to the chain.
public enum Erasure {
    public static let eventType = "payload.erased"
    public static let stream = "log/erasures"
}

extension Ledger {
    /// Removes `fields` from event `seq`'s payload, after recording why and by whom. What may be
    /// erased is the caller's to decide (the governance layer knows which fields it needs).
    public func erase(seq: UInt64, fields: [String], reason: String, by: String, actor: String) throws -> AppendedEvent {
        try zeroingFreedPages { try erasing(seq: seq, fields: fields, reason: reason, by: by, actor: actor) }
    }

    /// Runs `body` with every page SQLite frees overwritten with zeros, then folds the
    /// write-ahead log into the file and truncates it: no copy of what `body` removed stays in the
    /// file. Erasure runs under it, and so must whatever drops rows derived from an erased field
    /// (read models folded again). Scopes nest. (PostgreSQL keeps old row versions until VACUUM:
    /// docs/DEPLOY.md says to run it.)
    public func zeroingFreedPages<T>(_ body: () throws -> T) throws -> T {
        guard store == .sqlite else { return try body() }
        if zeroingDepth == 0 { try db.execute("PRAGMA secure_delete=ON") }
        zeroingDepth += 1
        defer {
            zeroingDepth -= 1
            if zeroingDepth == 0 {
                try? db.execute("PRAGMA secure_delete=OFF")
                try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        return try body()
    }

    private func erasing(seq: UInt64, fields: [String], reason: String, by: String, actor: String) throws -> AppendedEvent {
        try writeTransaction {
            guard let event = try event(seq: seq) else {
                throw LedgerError(.badInput, "there is no event at seq \(seq)", field: "seq", seq: seq)
            }
            guard event.type != Erasure.eventType, event.stream != KeyChain.stream else {
                throw LedgerError(.badInput, "\(event.type) records the log's own history and is never erased", seq: seq)
            }
            guard case .object(var members) = event.payload else {
                throw LedgerError(.badInput, "seq \(seq) has no payload object to erase from", seq: seq)
            }
            guard !fields.isEmpty else { throw LedgerError(.badInput, "name at least one field to erase", field: "field") }
            for field in fields {
                guard members.removeValue(forKey: field) != nil else {
                    throw LedgerError(
                        .badInput, "seq \(seq) (\(event.type)) has no payload field '\(field)'; it has: \(event.payload.objectValue?.keys.sorted().joined(separator: ", ") ?? "")",
                        field: field, seq: seq)
                }
            }
            let redacted = CanonicalJSON.bytes(of: .object(members))
            let record = ProposedEvent(
                type: Erasure.eventType, stream: Erasure.stream,
                payload: [
                    "seq": .number(Double(seq)), "event_id": .string(event.id), "fields": .array(fields.sorted().map(JSONValue.string)),
                    "redacted_digest": .string(SHA256.hash(redacted).hex), "reason": .string(reason), "erased_by": .string(by),
                ],
                actor: actor)
            let appended = try appendInTransaction(try prepare([record]))[0]
            try statement("INSERT INTO erasures(seq, erased_by) VALUES (?, ?)").bind(1, seq).bind(2, appended.seq).run()
            try statement("UPDATE events SET payload = ? WHERE seq = ?").bind(1, redacted).bind(2, seq).run()
            return appended
        }
    }

    /// The SHA-256 each erased event's payload must now have, by seq (the latest erasure wins).
    public func erasedPayloadDigests() throws -> [UInt64: SHA256Digest] {
        var digests: [UInt64: SHA256Digest] = [:]
        try forEachEvent(stream: Erasure.stream, type: Erasure.eventType) { event in
            // An erasure names an event before it; one naming a later seq is not an erasure.
            if let seq = event.payload["seq"]?.integerValue, seq >= 1, UInt64(seq) < event.seq, let hex = event.payload["redacted_digest"]?.stringValue,
                let digest = SHA256Digest(hex: hex)
            {
                digests[UInt64(seq)] = digest
            }
            return true
        }
        return digests
    }
}
