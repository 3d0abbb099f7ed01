import Foundation

/// Moving a ledger between stores (`genledger copy`): every event row byte for byte (the same
/// seq, id, times, payload bytes and hashes), the erasures, verifier keys, checkpoints and
/// cosignatures. The Merkle nodes are computed again by the destination as it appends, and
/// compared by root at the end. Read models beside the log are not copied: each store rebuilds
/// them from the log at first use.
public struct LedgerCopy {
    public struct Summary: Sendable, Equatable {
        /// Events already in the destination when the copy began (a resumed copy).
        public var resumedAt: UInt64
        public var eventsCopied: UInt64
        public var size: UInt64
        public var root: SHA256Digest
        public var checkpointsCopied: Int
        public var keysCopied: Int
    }

    public let source: Ledger
    public let destination: Ledger
    /// Events per destination transaction: an interrupted copy keeps every whole batch.
    public var batch = 2_000

    public init(from source: Ledger, to destination: Ledger) {
        self.source = source
        self.destination = destination
    }

    /// Opens the destination, creating it with the source's origin and durability when it does
    /// not exist yet; refuses one that holds another ledger.
    public static func destination(at location: String, for source: Ledger) throws -> Ledger {
        let destination: Ledger
        do {
            destination = try Ledger(opening: location)
        } catch let error as LedgerError where error.code == .notALedger && Self.absent(location) {
            destination = try Ledger.create(at: location, origin: source.origin, durability: source.durability)
        }
        guard destination.origin == source.origin else {
            throw LedgerError(
                .conflict, "\(destination.path) holds the ledger of origin '\(destination.origin)', not '\(source.origin)'; refusing to copy into it")
        }
        return destination
    }

    /// Nothing at the location yet: no file, or a PostgreSQL database without a ledger.
    private static func absent(_ location: String) -> Bool {
        switch StoreKind.of(location: location) {
        case .sqlite: !FileManager.default.fileExists(atPath: location)
        case .postgres: true
        }
    }

    /// Copies what the destination lacks, then checks that both hold the same tree and that the
    /// destination verifies. `progress` is told the destination's size after each batch.
    public func run(progress: (UInt64) -> Void = { _ in }) throws -> Summary {
        let end = try source.size()
        let start = try destination.size()
        guard start <= end else {
            throw LedgerError(.conflict, "\(destination.path) holds \(start) events, more than the \(end) of \(source.path)")
        }
        if start > 0 {
            // Resuming: the destination must hold a prefix of the source.
            guard let theirs = try source.event(seq: start), let ours = try destination.event(seq: start), theirs.hash == ours.hash
            else {
                throw LedgerError(
                    .conflict, "\(destination.path) differs from \(source.path) at seq \(start): it is not an earlier copy of it", seq: start)
            }
        }
        var position = start
        var pending: [RecordedEvent] = []
        try source.forEachEvent(after: start) { event in
            pending.append(event)
            if pending.count == batch {
                try destination.appendRecorded(pending, erasures: [])
                position += UInt64(pending.count)
                pending.removeAll(keepingCapacity: true)
                progress(position)
            }
            return true
        }
        try destination.appendRecorded(pending, erasures: try source.erasureRows())
        position += UInt64(pending.count)
        progress(position)

        let keys = try destination.copyVerifierKeys(from: source)
        let checkpoints = try destination.copyCheckpoints(from: source)

        let root = try source.rootHash(size: end)
        guard try destination.size() == end, try destination.rootHash(size: end) == root else {
            throw LedgerError(.verificationFailed, "after the copy, \(destination.path) does not hold the tree of \(source.path)")
        }
        let report = try destination.verify()
        guard report.isValid else {
            throw LedgerError(
                .verificationFailed, "the copy does not verify: \(report.firstProblem.map { "\($0)" } ?? "unknown problem")")
        }
        return Summary(
            resumedAt: start, eventsCopied: end - start, size: end, root: root, checkpointsCopied: checkpoints, keysCopied: keys)
    }
}

extension Ledger {
    /// Appends events exactly as another ledger recorded them, in one transaction. Each must be
    /// the next seq, link to the tip, and hash to its stored hash; a payload that no longer
    /// matches its digest must be one of `erasures` (seq, erased by), which are stored with it.
    func appendRecorded(_ events: [RecordedEvent], erasures: [(seq: UInt64, erasedBy: UInt64)]) throws {
        guard !events.isEmpty || !erasures.isEmpty else { return }
        try writeTransaction {
            var (size, previousHash) = try tip()
            var range = try frontier(at: size)
            let insertEvent = try statement(
                """
                INSERT INTO events(seq, id, type, stream, stream_version, occurred_at, recorded_at, actor,
                                   payload, payload_digest, prev_hash, hash, stream_prev)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertNode = try statement("INSERT INTO merkle_nodes(id, hash) VALUES (?, ?)")
            var streamHeads: [String: StreamHead] = [:]
            for event in events {
                guard event.seq == size + 1 else {
                    throw LedgerError(.damaged, "expected seq \(size + 1) next and read seq \(event.seq)", seq: size + 1)
                }
                guard event.previousHash == previousHash else {
                    throw LedgerError(.damaged, "seq \(event.seq) does not link to the event before it", seq: event.seq)
                }
                guard sha.hash(EnvelopeEncoding.hashedBytes(of: event)) == event.hash else {
                    throw LedgerError(.damaged, "seq \(event.seq) does not hash to its stored hash", seq: event.seq)
                }
                let head = try streamHeads[event.stream] ?? storedStreamHead(event.stream)
                guard event.streamVersion == head.version + 1 else {
                    throw LedgerError(
                        .damaged,
                        "seq \(event.seq) is version \(event.streamVersion) of stream '\(event.stream)', whose last version was \(head.version)",
                        seq: event.seq)
                }
                streamHeads[event.stream] = StreamHead(version: event.streamVersion, seq: event.seq)
                try insertEvent.reset()
                    .bind(1, event.seq).bind(2, event.id).bind(3, event.type).bind(4, event.stream)
                    .bind(5, event.streamVersion).bind(6, event.occurredAt).bind(7, event.recordedAt).bind(8, event.actor)
                    .bind(9, event.payloadBytes).bind(10, event.payloadDigest).bind(11, event.previousHash).bind(12, event.hash)
                    .bind(13, previousInStream: head)
                    .runLater { [seq = event.seq] error in
                        var error = error
                        error.message = "seq \(seq): \(error.message)"
                        error.seq = seq
                        return error
                    }
                try range.append(leafHash: hashing.leafHash(of: event.hash), hashing: hashing) { node in
                    try insertNode.reset().bind(1, Schema.merkleNodeKey(level: node.level, index: node.index)).bind(2, node.hash)
                        .runLater()
                }
                size = event.seq
                previousHash = event.hash
            }
            try moveStreamHeads(streamHeads)
            written.tip = (size, previousHash)
            let insertErasure = try statement("INSERT OR IGNORE INTO erasures(seq, erased_by) VALUES (?, ?)")
            for erasure in erasures where erasure.erasedBy <= size {
                try insertErasure.reset().bind(1, erasure.seq).bind(2, erasure.erasedBy).run()
            }
            frontier = range
        }
    }

    /// Every erasure recorded: the seq whose payload was redacted and the payload.erased event's seq.
    func erasureRows() throws -> [(seq: UInt64, erasedBy: UInt64)] {
        let s = try statement("SELECT seq, erased_by FROM erasures ORDER BY erased_by, seq")
        var rows: [(UInt64, UInt64)] = []
        while try s.step() { rows.append((s.uint(0), s.uint(1))) }
        return rows
    }

    /// Adds the source's verifier keys this ledger lacks, in the order the source added them.
    func copyVerifierKeys(from source: Ledger) throws -> Int {
        let s = try source.statement("SELECT key, added_at FROM verifier_keys ORDER BY rowid")
        var keys: [(String, String)] = []
        while try s.step() { keys.append((s.text(0), s.text(1))) }
        return try writeTransaction {
            var added = 0
            for (key, addedAt) in keys {
                guard try statement("SELECT 1 FROM verifier_keys WHERE key = ?").bind(1, key).firstRow({ _ in true }) == nil else {
                    continue
                }
                try statement("INSERT INTO verifier_keys(key, added_at) VALUES (?, ?)").bind(1, key).bind(2, addedAt).run()
                added += 1
            }
            return added
        }
    }

    /// Adds the source's checkpoints this ledger lacks (by their signed note), in order, with
    /// their witnesses' cosignatures.
    func copyCheckpoints(from source: Ledger) throws -> Int {
        let stored = try source.checkpoints()
        let cosignatures = try stored.map { checkpoint in
            let s = try source.statement("SELECT witness, line, added_at FROM cosignatures WHERE checkpoint = ? ORDER BY witness")
                .bind(1, checkpoint.number)
            var rows: [(String, String, String)] = []
            while try s.step() { rows.append((s.text(0), s.text(1), s.text(2))) }
            return rows
        }
        return try writeTransaction {
            let present = Set(try checkpoints().map(\.note))
            var added = 0
            for (checkpoint, lines) in zip(stored, cosignatures) where !present.contains(checkpoint.note) {
                let number =
                    try statement("INSERT INTO checkpoints(tree_size, root, note, issued_at) VALUES (?, ?, ?, ?) RETURNING id")
                    .bind(1, checkpoint.treeSize).bind(2, checkpoint.root).bind(3, checkpoint.note).bind(4, checkpoint.issuedAt)
                    .firstRow { $0.int(0) } ?? 0
                for (witness, line, addedAt) in lines {
                    try statement("INSERT INTO cosignatures(checkpoint, witness, line, added_at) VALUES (?, ?, ?, ?)")
                        .bind(1, number).bind(2, witness).bind(3, line).bind(4, addedAt).run()
                }
                added += 1
            }
            return added
        }
    }
}
