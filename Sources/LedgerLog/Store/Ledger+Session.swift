/// A write transaction that a layer above the log composes: it reads the ledger as it stands
/// under the write lock and appends; nothing it appends is visible to other connections until
/// the body returns, and nothing at all is kept if the body throws.
///
/// Layers that judge events against what is already recorded (a policy gate, for instance) need
/// this so that two writers cannot both decide on the same, stale state.
public struct AppendSession {
    let ledger: Ledger

    /// The number of events in the ledger, including those appended in this session.
    public func size() throws -> UInt64 { try ledger.size() }

    public func event(id: String) throws -> RecordedEvent? { try ledger.event(id: id) }

    /// Streams events in seq order, including those appended in this session.
    public func forEachEvent(after: UInt64, _ body: (RecordedEvent) throws -> Bool) throws {
        try ledger.forEachEvent(after: after, body)
    }

    /// Appends a batch inside the session; see `Ledger.append(_:)`.
    @discardableResult
    public func append(_ events: [ProposedEvent]) throws -> [AppendedEvent] {
        try ledger.appendInTransaction(preparing: events)
    }

    /// Runs `body` as a savepoint of the session: what it appends stays in the session when it
    /// returns and is undone, alone, when it throws. Group commit uses one per request, so a
    /// request that fails leaves the others of its transaction whole.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try ledger.db.savepoint("request")
        do {
            let result = try body()
            try ledger.db.release("request")
            return result
        } catch {
            // The cached tree edge, tip and versions may describe events that are now undone.
            ledger.frontier = nil
            ledger.written = Ledger.WrittenInTransaction()
            try ledger.db.rollbackAndRelease("request")
            throw error
        }
    }
}

extension Ledger {
    /// Runs `body` holding the database's write lock; commits when it returns, rolls back when it throws.
    public func withAppendSession<T>(_ body: (AppendSession) throws -> T) throws -> T {
        try writeTransaction { try body(AppendSession(ledger: self)) }
    }
}
