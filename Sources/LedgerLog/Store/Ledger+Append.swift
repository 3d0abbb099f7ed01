import Foundation

/// What an append did with one proposed event.
public struct AppendedEvent: Sendable, Equatable {
    public var seq: UInt64
    public var id: String
    public var streamVersion: UInt64
    public var hash: SHA256Digest
    /// True when the event id was already in the ledger with the same content: nothing was
    /// written and the original is returned.
    public var isDuplicate: Bool

    public init(seq: UInt64, id: String, streamVersion: UInt64, hash: SHA256Digest, isDuplicate: Bool) {
        self.seq = seq
        self.id = id
        self.streamVersion = streamVersion
        self.hash = hash
        self.isDuplicate = isDuplicate
    }
}

extension StoreStatement {
    /// Binds the seq of the stream's previous event, or NULL when the event is the stream's first.
    @discardableResult
    func bind(_ index: Int32, previousInStream head: Ledger.StreamHead) -> Self {
        head.version == 0 ? bindNull(index) : bind(index, head.seq)
    }
}

extension Ledger {
    /// Appends a batch atomically: every event is written or none is. Event ids make retries
    /// idempotent; expected versions make concurrent writers to one stream safe.
    @discardableResult
    public func append(_ events: [ProposedEvent]) throws -> [AppendedEvent] {
        guard events.count >= Self.pipelinedPreparationMinimum else {
            let prepared = try prepare(events)
            return try writeTransaction { try appendInTransaction(prepared) }
        }
        return try writeTransaction { try appendInTransaction(preparing: events) }
    }

    func prepare(_ events: [ProposedEvent]) throws -> [PreparedEvent] {
        let workers = events.count >= Self.parallelPreparationMinimum ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1
        guard workers > 1 else {
            var ids = EventIDs()
            return try events.enumerated().map { index, event in try Self.prepare(event, at: index, sha: sha, ids: &ids) }
        }
        // Canonical JSON, the payload's digest and the id of each event depend on that event alone:
        // contiguous slices on every core, each with its own SHA-256 context. The error thrown is
        // the one of the lowest index, as the serial loop would throw.
        let slices = (0..<workers).map { worker in
            (events.count * worker / workers)..<(events.count * (worker + 1) / workers)
        }
        let prepared = UnsafeMutableBufferPointer<Result<PreparedEvent, any Error>>.allocate(capacity: events.count)
        defer {
            prepared.baseAddress?.deinitialize(count: events.count)
            prepared.deallocate()
        }
        nonisolated(unsafe) let out = prepared
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let sha = SHA256()
            var ids = EventIDs()
            for index in slices[worker] {
                (out.baseAddress! + index).initialize(to: Result { try Self.prepare(events[index], at: index, sha: sha, ids: &ids) })
            }
        }
        return try prepared.map { try $0.get() }
    }

    /// Batches of at least this many events are prepared on every core.
    static let parallelPreparationMinimum = 64

    private static func prepare(_ event: ProposedEvent, at index: Int, sha: SHA256, ids: inout EventIDs) throws -> PreparedEvent {
        do { return try PreparedEvent(event, sha: sha, ids: &ids) } catch let error as LedgerError { throw error.at(index: index) }
    }

    /// What `append` checks of an event before it reads the log (text fields, the payload's
    /// shape and size): `gate check` runs the same checks, so the two never disagree.
    public static func validate(_ event: ProposedEvent) throws {
        var ids = EventIDs()
        _ = try PreparedEvent(event, sha: SHA256(), ids: &ids)
    }

    @discardableResult
    public func append(_ event: ProposedEvent) throws -> AppendedEvent {
        try append([event])[0]
    }

    /// Prepares and appends in the open transaction. A large batch is prepared on another
    /// thread, a run at a time, while the runs before it are written (`HandOver`, at most two
    /// runs waiting): the write no longer waits for the whole batch to be canonicalized and
    /// hashed. The outcome is the same as preparing all first: an invalid event is reported, by
    /// its index, ahead of any conflict the write met.
    func appendInTransaction(preparing events: [ProposedEvent]) throws -> [AppendedEvent] {
        guard events.count >= Self.pipelinedPreparationMinimum else { return try appendInTransaction(prepare(events)) }
        let run = Self.preparedRun
        let handOver = HandOver<Result<[PreparedEvent], any Error>>(capacity: 2)
        let stopped = DispatchSemaphore(value: 0)
        let thread = Thread {
            let sha = SHA256()
            var ids = EventIDs()
            var start = 0
            while start < events.count {
                let end = min(start + run, events.count)
                let prepared = Result { try (start..<end).map { try Self.prepare(events[$0], at: $0, sha: sha, ids: &ids) } }
                guard handOver.put(prepared), case .success = prepared else { break }
                start = end
            }
            handOver.close()
            stopped.signal()
        }
        thread.start()
        // However this ends, the preparing thread has stopped before we return.
        defer {
            handOver.abandon()
            stopped.wait()
        }
        do {
            var writer = try BatchWriter(self, capacity: events.count)
            while let prepared = handOver.take() { try writer.write(try prepared.get()) }
            return try writer.finish()
        } catch {
            written = WrittenInTransaction()
            while let prepared = handOver.take() {
                if case .failure(let invalid) = prepared { throw invalid }
            }
            throw error
        }
    }

    /// Batches of at least this many events are prepared while they are written, in runs of `preparedRun`.
    static let pipelinedPreparationMinimum = 2_048
    static let preparedRun = 512

    func appendInTransaction(_ events: [PreparedEvent]) throws -> [AppendedEvent] {
        do { return try appendingInTransaction(events) } catch {
            // Some of the batch may be written in the transaction: read the tip again next time.
            written = WrittenInTransaction()
            throw error
        }
    }

    private func appendingInTransaction(_ events: [PreparedEvent]) throws -> [AppendedEvent] {
        var writer = try BatchWriter(self, capacity: events.count)
        try writer.write(events)
        return try writer.finish()
    }

    /// A stream's last version and seq as stored, before this transaction's appends.
    func storedStreamHead(_ stream: String) throws -> StreamHead {
        try statement("SELECT version, seq FROM stream_heads WHERE stream = ?").bind(1, stream)
            .firstRow { StreamHead(version: $0.uint(0), seq: $0.uint(1)) } ?? .empty
    }

    /// Stores the heads of the streams a batch appended to: one write per stream, not per event.
    func moveStreamHeads(_ heads: [String: StreamHead]) throws {
        guard !heads.isEmpty else { return }
        let upsert = try statement(
            """
            INSERT INTO stream_heads(stream, version, seq) VALUES (?, ?, ?)
            ON CONFLICT(stream) DO UPDATE SET version = excluded.version, seq = excluded.seq
            """)
        for (stream, head) in heads {
            try upsert.reset().bind(1, stream).bind(2, head.version).bind(3, head.seq).runLater()
        }
    }

    func storedEvent(id: String) throws -> RecordedEvent? {
        try statement("\(Self.eventColumns) WHERE id = ?").bind(1, id).firstRow(Self.readEvent)
    }

    /// The right edge of the tree at `size`: from this connection's cache when no other writer
    /// has appended since, otherwise rebuilt from O(log n) stored subtree hashes.
    func frontier(at size: UInt64) throws -> CompactRange {
        if let cached = frontier, cached.size == size { return cached }
        return try CompactRange(size: size) { level, index in try perfectSubtreeHash(level: level, index: index) }
    }
}
