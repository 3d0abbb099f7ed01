/// Checks events one at a time, in order: seq continuity, payload digest, event hash, the link
/// to the previous event, and the Merkle tree over them. Holds O(log n) state, so verifying
/// a log of any length runs in constant memory. Shared by ledger and export verification.
struct ChainChecker {
    private(set) var range = CompactRange()
    private(set) var previousHash = EnvelopeEncoding.genesis
    private var found: VerificationProblem?
    /// A stored Merkle node that disagreed, held while the next event is read: a node names only
    /// the span it covers, and the next event often names the exact seq (an event inserted or
    /// replaced just before it).
    private var nodeProblem: VerificationProblem?
    var firstProblem: VerificationProblem? { found ?? nodeProblem }
    private let sha = SHA256()
    private let hashing = MerkleHashing()
    private var scratch: [UInt8] = []
    /// Erased events: the SHA-256 their redacted payload must have (from `payload.erased`).
    var erased: [UInt64: SHA256Digest] = [:]

    var count: UInt64 { range.size }
    var root: SHA256Digest { range.root(hashing: hashing) }

    /// Checks the next event. Returns false once a problem is found: what follows a break
    /// cannot be judged against the chain.
    mutating func check(
        _ event: RecordedEvent,
        completedNode: (CompactRange.CompletedNode) -> VerificationProblem? = { _ in nil }
    ) -> Bool {
        guard found == nil else { return false }
        if let held = nodeProblem {
            found = diagnose(event) ?? held
            return false
        }
        if let problem = diagnose(event) {
            found = problem
            return false
        }
        var mismatch: VerificationProblem?
        range.append(leafHash: hashing.leafHash(of: event.hash), hashing: hashing) { node in
            if mismatch == nil { mismatch = completedNode(node) }
        }
        previousHash = event.hash
        // Read one more event before naming the node's span.
        nodeProblem = mismatch
        return true
    }

    /// The common case, checked from a row's parts without making an event of it: when the row
    /// is the next seq, its payload matches its digest, its envelope (written by `envelope`)
    /// its hash and its prev_hash the chain, the event is taken as `check` would take it and
    /// the answer is true. Otherwise nothing changes, and `check` diagnoses the row.
    mutating func acceptIfSound(
        seq: UInt64, payload: UnsafeRawBufferPointer, payloadDigest: SHA256Digest, previousHash: SHA256Digest,
        hash: SHA256Digest, envelope: (inout [UInt8]) -> Void,
        completedNode: (CompactRange.CompletedNode) -> VerificationProblem?
    ) -> Bool {
        guard found == nil, nodeProblem == nil, seq == range.size + 1, previousHash == self.previousHash,
            erased.isEmpty || erased[seq] == nil, sha.hash(payload) == payloadDigest
        else { return false }
        envelope(&scratch)
        guard sha.hash(scratch) == hash else { return false }
        var mismatch: VerificationProblem?
        range.append(leafHash: hashing.leafHash(of: hash), hashing: hashing) { node in
            if mismatch == nil { mismatch = completedNode(node) }
        }
        self.previousHash = hash
        nodeProblem = mismatch
        return true
    }

    mutating func record(_ problem: VerificationProblem) {
        if firstProblem == nil { found = problem }
    }

    private mutating func diagnose(_ event: RecordedEvent) -> VerificationProblem? {
        let expected = range.size + 1
        if event.seq > expected {
            let missing = event.seq - 1 == expected ? "seq \(expected) is" : "seqs \(expected)…\(event.seq - 1) are"
            return VerificationProblem(kind: .deleted, seq: expected, message: "\(missing) missing from the log")
        }
        if event.seq < expected {
            return VerificationProblem(
                kind: .reordered, seq: expected, message: "found seq \(event.seq) where seq \(expected) belongs")
        }
        if let redacted = erased[event.seq] {
            // Erased: what remains must be what the erasure recorded; the original digest stays in the hash.
            if sha.hash(event.payloadBytes) != redacted {
                return VerificationProblem(
                    kind: .edited, seq: event.seq,
                    message: "the erased payload does not match the redacted_digest its payload.erased recorded: it was edited")
            }
        } else if sha.hash(event.payloadBytes) != event.payloadDigest {
            return VerificationProblem(
                kind: .edited, seq: event.seq, message: "payload does not match its payload_digest: the payload was edited")
        }
        if hashOf(event, asSeq: event.seq) != event.hash {
            // Moved events still carry the hash of the seq they were recorded at.
            if event.seq > 1, hashOf(event, asSeq: event.seq - 1) == event.hash {
                return VerificationProblem(
                    kind: .inserted, seq: event.seq - 1,
                    message:
                        "an event that was never recorded stands at seq \(event.seq - 1); seq \(event.seq) holds the event recorded as seq \(event.seq - 1)"
                )
            }
            if hashOf(event, asSeq: event.seq + 1) == event.hash {
                return VerificationProblem(
                    kind: .reordered, seq: event.seq,
                    message: "seq \(event.seq) holds the event recorded as seq \(event.seq + 1): events were reordered")
            }
            return VerificationProblem(
                kind: .edited, seq: event.seq, message: "envelope fields do not match the event hash: the event was edited")
        }
        if event.previousHash != previousHash {
            guard expected > 1 else {
                return VerificationProblem(
                    kind: .chainBroken, seq: event.seq, message: "prev_hash of the first event is not the genesis value")
            }
            // This event's own hash holds, so its prev_hash is as it was recorded: the event
            // before it is not the one it was chained to.
            return VerificationProblem(
                kind: .chainBroken, seq: expected - 1,
                message:
                    "seq \(expected - 1) is not the event seq \(expected) was chained to (its prev_hash names another): seq \(expected - 1) was replaced by an event that hashes consistently")
        }
        return nil
    }

    private mutating func hashOf(_ event: RecordedEvent, asSeq seq: UInt64) -> SHA256Digest {
        EnvelopeEncoding.hashedBytes(
            seq: seq, id: event.id, type: event.type, stream: event.stream, streamVersion: event.streamVersion,
            occurredAt: event.occurredAt, recordedAt: event.recordedAt, actor: event.actor,
            payloadDigest: event.payloadDigest, previousHash: event.previousHash, into: &scratch)
        return sha.hash(scratch)
    }
}

/// Compares checkpoints with the roots recomputed as the checker passes their sizes.
struct CheckpointSchedule {
    struct Entry {
        var label: String
        var checkpoint: Checkpoint
    }

    private var pending: [Entry]
    private(set) var checked = 0

    init(_ entries: [Entry]) {
        pending = entries.sorted { $0.checkpoint.size > $1.checkpoint.size }  // smallest last: popped first
    }

    /// Checks every checkpoint of exactly the checker's current size.
    mutating func check(at checker: ChainChecker) -> VerificationProblem? {
        while let next = pending.last, next.checkpoint.size == checker.count {
            pending.removeLast()
            checked += 1
            if next.checkpoint.root != checker.root {
                return VerificationProblem(
                    kind: .checkpointMismatch, seq: nil,
                    message:
                        "the log's root at size \(next.checkpoint.size) differs from \(next.label): events at or before seq \(next.checkpoint.size) changed after it was signed"
                )
            }
        }
        return nil
    }

    /// After the last event: any checkpoint still pending covers events the log no longer has.
    mutating func finish(at checker: ChainChecker) -> VerificationProblem? {
        if let problem = check(at: checker) { return problem }
        guard let largest = pending.first else { return nil }
        return VerificationProblem(
            kind: .tailRemoved, seq: checker.count + 1,
            message:
                "\(largest.label) covers \(largest.checkpoint.size) events but the log ends at seq \(checker.count): events \(checker.count + 1)…\(largest.checkpoint.size) were removed"
        )
    }
}
