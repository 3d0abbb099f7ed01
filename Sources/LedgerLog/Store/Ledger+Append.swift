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
        let prepared = try prepare(events)
        return try writeTransaction { try appendInTransaction(prepared) }
    }

    func prepare(_ events: [ProposedEvent]) throws -> [PreparedEvent] {
        let workers = events.count >= Self.parallelPreparationMinimum ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1
        guard workers > 1 else {
            return try events.enumerated().map { index, event in try Self.prepare(event, at: index, sha: sha) }
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
            for index in slices[worker] {
                (out.baseAddress! + index).initialize(to: Result { try Self.prepare(events[index], at: index, sha: sha) })
            }
        }
        return try prepared.map { try $0.get() }
    }

    /// Batches of at least this many events are prepared on every core.
    static let parallelPreparationMinimum = 64

    private static func prepare(_ event: ProposedEvent, at index: Int, sha: SHA256) throws -> PreparedEvent {
        do { return try PreparedEvent(event, sha: sha) } catch let error as LedgerError { throw error.at(index: index) }
    }

    /// What `append` checks of an event before it reads the log (text fields, the payload's
    /// shape and size): `gate check` runs the same checks, so the two never disagree.
    public static func validate(_ event: ProposedEvent) throws {
        _ = try PreparedEvent(event, sha: SHA256())
    }

    @discardableResult
    public func append(_ event: ProposedEvent) throws -> AppendedEvent {
        try append([event])[0]
    }

    func appendInTransaction(_ events: [PreparedEvent]) throws -> [AppendedEvent] {
        do { return try appendingInTransaction(events) } catch {
            // Some of the batch may be written in the transaction: read the tip again next time.
            written = WrittenInTransaction()
            throw error
        }
    }

    private func appendingInTransaction(_ events: [PreparedEvent]) throws -> [AppendedEvent] {
        var (size, previousHash) = try tip()
        var range = try frontier(at: size)
        let recordedAt = clock().description
        var streamHeads: [String: StreamHead] = [:]
        var idsInBatch: [String: Int] = [:]
        var results: [AppendedEvent] = []
        results.reserveCapacity(events.count)
        var hashed: [UInt8] = []
        hashed.reserveCapacity(512)

        let insertEvent = try statement(
            """
            INSERT INTO events(seq, id, type, stream, stream_version, occurred_at, recorded_at, actor,
                               payload, payload_digest, prev_hash, hash, stream_prev)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertNode = try statement("INSERT INTO merkle_nodes(id, hash) VALUES (?, ?)")

        for (index, event) in events.enumerated() {
            if event.idWasGiven {
                if let earlier = idsInBatch[event.id] {
                    guard events[earlier].sameContent(as: event) else {
                        throw LedgerError(
                            .conflict, "event id \(event.id) appears twice in the batch with different content", index: index,
                            field: "id")
                    }
                    results.append(
                        AppendedEvent(
                            seq: results[earlier].seq, id: event.id, streamVersion: results[earlier].streamVersion,
                            hash: results[earlier].hash, isDuplicate: true))
                    continue
                }
                if let original = try storedEvent(id: event.id) {
                    guard event.matches(original) else {
                        throw LedgerError(
                            .conflict, "event id \(event.id) is already seq \(original.seq) with different content",
                            index: index, field: "id", seq: original.seq)
                    }
                    results.append(
                        AppendedEvent(
                            seq: original.seq, id: event.id, streamVersion: original.streamVersion, hash: original.hash,
                            isDuplicate: true))
                    continue
                }
                idsInBatch[event.id] = index
            }

            let head = try streamHeads[event.stream] ?? written.streamHeads[event.stream] ?? storedStreamHead(event.stream)
            if let expected = event.expectedVersion, expected != head.version {
                throw LedgerError(
                    .conflict,
                    "stream '\(event.stream)' is at version \(head.version), not the expected \(expected)",
                    index: index, field: "expected_version")
            }
            let streamVersion = head.version + 1
            let seq = size + 1
            streamHeads[event.stream] = StreamHead(version: streamVersion, seq: seq)
            let occurredAt = event.occurredAt ?? recordedAt
            let actor = event.actor ?? "unknown"

            EnvelopeEncoding.hashedBytes(
                seq: seq, id: event.id, type: event.type, stream: event.stream, streamVersion: streamVersion,
                occurredAt: occurredAt, recordedAt: recordedAt, actor: actor,
                payloadDigest: event.payloadDigest, previousHash: previousHash, into: &hashed)
            let hash = sha.hash(hashed)

            try insertEvent.reset()
                .bind(1, seq).bind(2, event.id).bind(3, event.type).bind(4, event.stream)
                .bind(5, streamVersion).bind(6, occurredAt).bind(7, recordedAt).bind(8, actor)
                .bind(9, event.payloadBytes).bind(10, event.payloadDigest).bind(11, previousHash).bind(12, hash)
                .bind(13, previousInStream: head)
                .runLater()
            try range.append(leafHash: hashing.leafHash(of: hash), hashing: hashing) { node in
                try insertNode.reset().bind(1, Schema.merkleNodeKey(level: node.level, index: node.index)).bind(2, node.hash)
                    .runLater()
            }
            results.append(AppendedEvent(seq: seq, id: event.id, streamVersion: streamVersion, hash: hash, isDuplicate: false))
            size = seq
            previousHash = hash
        }
        try moveStreamHeads(streamHeads)
        frontier = range
        written.tip = (size, previousHash)
        written.streamHeads.merge(streamHeads) { $1 }
        return results
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

    private func storedEvent(id: String) throws -> RecordedEvent? {
        try statement("\(Self.eventColumns) WHERE id = ?").bind(1, id).firstRow(Self.readEvent)
    }

    /// The right edge of the tree at `size`: from this connection's cache when no other writer
    /// has appended since, otherwise rebuilt from O(log n) stored subtree hashes.
    func frontier(at size: UInt64) throws -> CompactRange {
        if let cached = frontier, cached.size == size { return cached }
        return try CompactRange(size: size) { level, index in try perfectSubtreeHash(level: level, index: index) }
    }
}

/// A proposed event, validated and canonicalized before the write lock is taken.
struct PreparedEvent {
    let id: String
    let idWasGiven: Bool
    let type: String
    let stream: String
    let payloadBytes: [UInt8]
    let payloadDigest: SHA256Digest
    let occurredAt: String?
    let actor: String?
    let expectedVersion: UInt64?

    init(_ event: ProposedEvent, sha: SHA256) throws {
        try Self.checkText(event.type, field: "type")
        try Self.checkText(event.stream, field: "stream")
        if let actor = event.actor { try Self.checkText(actor, field: "actor") }
        guard case .object = event.payload else {
            throw LedgerError(.badInput, "payload must be a JSON object, not \(event.payload.kindName)", field: "payload")
        }
        let bytes = CanonicalJSON.bytes(of: event.payload)
        guard bytes.count <= EnvelopeEncoding.maxPayloadBytes else {
            throw LedgerError(
                .badInput, "payload is \(bytes.count) bytes canonicalized; the limit is \(EnvelopeEncoding.maxPayloadBytes)",
                field: "payload")
        }
        self.id = (event.id ?? UUID.version7()).uuidString.lowercased()
        self.idWasGiven = event.id != nil
        self.type = event.type
        self.stream = event.stream
        self.payloadBytes = bytes
        self.payloadDigest = sha.hash(bytes)
        self.occurredAt = event.occurredAt?.description
        self.actor = event.actor
        self.expectedVersion = event.expectedVersion
    }

    /// Same content: type, stream and payload, and the time and actor where the caller gave them.
    func matches(_ stored: RecordedEvent) -> Bool {
        stored.type == type && stored.stream == stream && stored.payloadDigest == payloadDigest
            && (occurredAt == nil || stored.occurredAt == occurredAt) && (actor == nil || stored.actor == actor)
    }

    func sameContent(as other: PreparedEvent) -> Bool {
        type == other.type && stream == other.stream && payloadDigest == other.payloadDigest
            && occurredAt == other.occurredAt && actor == other.actor
    }

    private static func checkText(_ text: String, field: String) throws {
        guard !text.isEmpty else { throw LedgerError(.badInput, "must not be empty", field: field) }
        guard text.utf8.count <= EnvelopeEncoding.maxFieldBytes else {
            throw LedgerError(.badInput, "longer than \(EnvelopeEncoding.maxFieldBytes) bytes", field: field)
        }
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7f {
            throw LedgerError(.badInput, "contains a control character", field: field)
        }
    }
}
