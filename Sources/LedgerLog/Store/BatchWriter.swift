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

            try insertEvent.reset()
                .bind(1, seq).bind(2, event.id).bind(3, event.type).bind(4, event.stream)
                .bind(5, streamVersion).bind(6, occurredAt).bind(7, recordedAt).bind(8, actor)
                .bind(9, event.payloadBytes).bind(10, event.payloadDigest).bind(11, previousHash).bind(12, hash)
                .bind(13, previousInStream: head)
                .runLater()
            let insertNode = insertNode
            try range.append(leafHash: ledger.hashing.leafHash(of: hash), hashing: ledger.hashing) { node in
                try insertNode.reset().bind(1, Schema.merkleNodeKey(level: node.level, index: node.index)).bind(2, node.hash)
                    .runLater()
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
}
