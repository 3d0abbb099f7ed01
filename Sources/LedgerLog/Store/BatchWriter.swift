/// Writes one append's events, in order, in the open write transaction: ids checked for
/// retries, stream versions, the hash chain and the tree. The events can come in several runs
/// (as another thread prepares them); `finish` stores the streams' heads and keeps the tip.
struct BatchWriter {
    private let ledger: Ledger
    private var size: UInt64
    private var previousHash: SHA256Digest
    private var range: CompactRange
    private let recordedAt: String
    private let quotedRecordedAt: [UInt8]
    private var streamHeads: [String: Ledger.StreamHead] = [:]
    /// Events of this batch with ids the caller gave: a retry inside the batch is a duplicate.
    private var idsInBatch: [String: (result: Int, event: PreparedEvent)] = [:]
    private var results: [AppendedEvent] = []
    private var hashed: [UInt8] = []
    /// The current event's column values, end to end.
    private var row: [UInt8] = []
    private let insertEvent: any StoreStatement
    private let insertNode: any StoreStatement

    init(_ ledger: Ledger, capacity: Int) throws {
        self.ledger = ledger
        (size, previousHash) = try ledger.tip()
        range = try ledger.frontier(at: size)
        recordedAt = ledger.clock().description
        quotedRecordedAt = EnvelopeTemplate.quoted(recordedAt)
        results.reserveCapacity(capacity)
        hashed.reserveCapacity(512)
        row.reserveCapacity(1_024)
        insertEvent = try ledger.statement(
            """
            INSERT INTO events(seq, id, type, stream, stream_version, occurred_at, recorded_at, actor,
                               payload, payload_digest, prev_hash, hash, stream_prev)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertNode = try ledger.statement("INSERT INTO merkle_nodes(id, hash) VALUES (?, ?)")
    }

    /// Writes the next events of the batch; errors name the event's index in the whole batch.
    mutating func write(_ events: [PreparedEvent]) throws {
        for event in events {
            let index = results.count
            if event.idWasGiven {
                if let earlier = idsInBatch[event.id] {
                    guard earlier.event.sameContent(as: event) else {
                        throw LedgerError(
                            .conflict, "event id \(event.id) appears twice in the batch with different content", index: index,
                            field: "id")
                    }
                    let first = results[earlier.result]
                    results.append(
                        AppendedEvent(seq: first.seq, id: event.id, streamVersion: first.streamVersion, hash: first.hash, isDuplicate: true))
                    continue
                }
                if let original = try ledger.storedEvent(id: event.id) {
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
                idsInBatch[event.id] = (index, event)
            }

            let head = try streamHeads[event.stream] ?? ledger.written.streamHeads[event.stream] ?? ledger.storedStreamHead(event.stream)
            if let expected = event.expectedVersion, expected != head.version {
                throw LedgerError(
                    .conflict,
                    "stream '\(event.stream)' is at version \(head.version), not the expected \(expected)",
                    index: index, field: "expected_version")
            }
            let streamVersion = head.version + 1
            let seq = size + 1
            streamHeads[event.stream] = Ledger.StreamHead(version: streamVersion, seq: seq)
            let occurredAt = event.occurredAt ?? recordedAt
            let actor = event.actor ?? PreparedEvent.unknownActor

            event.envelope.hashedBytes(
                seq: seq, streamVersion: streamVersion, recordedAt: quotedRecordedAt, previousHash: previousHash, into: &hashed)
            let hash = ledger.sha.hash(hashed)

            // The row's columns, copied into one reused buffer and bound in place: a copy per
            // value made by SQLite is a malloc and a free each, on the thread every append waits on.
            row.removeAll(keepingCapacity: true)
            let columns = (
                id: put(event.id), type: put(event.type), stream: put(event.stream), occurredAt: put(occurredAt),
                recordedAt: put(recordedAt), actor: put(actor), payload: put(event.payloadBytes),
                payloadDigest: put(event.payloadDigest), previousHash: put(previousHash), hash: put(hash))
            try row.withUnsafeBytes { row in
                func column(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: row[range]) }
                let insert = insertEvent.reset().bind(1, seq).bind(5, streamVersion).bind(13, previousInStream: head)
                insert.bindText(2, borrowing: column(columns.id))
                insert.bindText(3, borrowing: column(columns.type))
                insert.bindText(4, borrowing: column(columns.stream))
                insert.bindText(6, borrowing: column(columns.occurredAt))
                insert.bindText(7, borrowing: column(columns.recordedAt))
                insert.bindText(8, borrowing: column(columns.actor))
                insert.bindBlob(9, borrowing: column(columns.payload))
                insert.bindBlob(10, borrowing: column(columns.payloadDigest))
                insert.bindBlob(11, borrowing: column(columns.previousHash))
                insert.bindBlob(12, borrowing: column(columns.hash))
                defer { insert.clearBindings() }
                try insert.runLater()
            }
            let insertNode = insertNode
            try range.append(leafHash: ledger.hashing.leafHash(of: hash), hashing: ledger.hashing) { node in
                try withUnsafeBytes(of: node.hash) { digest in
                    let insert = insertNode.reset().bind(1, Schema.merkleNodeKey(level: node.level, index: node.index))
                    insert.bindBlob(2, borrowing: digest)
                    defer { insert.clearBindings() }
                    try insert.runLater()
                }
            }
            results.append(AppendedEvent(seq: seq, id: event.id, streamVersion: streamVersion, hash: hash, isDuplicate: false))
            size = seq
            previousHash = hash
        }
    }

    /// Stores the heads of the streams written to and keeps the new tip for the transaction.
    mutating func finish() throws -> [AppendedEvent] {
        try ledger.moveStreamHeads(streamHeads)
        ledger.frontier = range
        ledger.written.tip = (size, previousHash)
        ledger.written.streamHeads.merge(streamHeads) { $1 }
        return results
    }

    /// Appends a value's bytes to `row`; where they are.
    private mutating func put(_ text: String) -> Range<Int> {
        let start = row.count
        row.append(contentsOf: text.utf8)
        return start..<row.count
    }

    private mutating func put(_ bytes: [UInt8]) -> Range<Int> {
        let start = row.count
        row.append(contentsOf: bytes)
        return start..<row.count
    }

    private mutating func put(_ digest: SHA256Digest) -> Range<Int> {
        let start = row.count
        digest.withUnsafeBytes { row.append(contentsOf: $0) }
        return start..<row.count
    }
}
