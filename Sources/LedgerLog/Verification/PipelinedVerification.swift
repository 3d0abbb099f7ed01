import Foundation

/// Verification's fast path on two threads: the calling thread reads rows and stored Merkle
/// nodes from the store (it owns the connection) and lays them out in batches; a second thread
/// hashes them and checks the chain, the tree and the checkpoints. Reading a row and hashing it
/// cost about the same, so on two cores the pass takes the time of the slower half.
///
/// It only ever says "sound": at the first thing that is not (a row whose digest, hash or link
/// does not hold, a stored node that differs or is missing, a checkpoint's root, nodes past the
/// end) it gives up, and the serial pass runs from the start to find and name the problem
/// exactly as it always has. At most `depth` batches of `rowsPerBatch` rows wait between the
/// threads, besides the one being filled and the one being hashed.
struct PipelinedVerification {
    static let rowsPerBatch = 1_024
    static let depth = 2

    /// One row, laid out in its batch's buffer.
    struct Row {
        var seq: UInt64
        var payload: Range<Int>
        var envelope: Range<Int>
        var payloadDigest: SHA256Digest
        var previousHash: SHA256Digest
        var hash: SHA256Digest
        /// The whole event, for a row the fast check does not take (an erased payload): the
        /// hashing thread checks it as the serial pass would.
        var event: RecordedEvent?
    }

    final class Batch {
        var bytes: [UInt8] = []
        var rows: [Row] = []
        /// The stored nodes the rows of this batch complete, in key order.
        var nodes: [(key: Int64, hash: SHA256Digest)] = []
    }

    /// A bounded hand-over between the two threads.
    typealias Channel = HandOver<Batch>

    /// What the hashing thread ends with.
    final class Outcome: @unchecked Sendable {
        var checker: ChainChecker
        var schedule: CheckpointSchedule
        var sound = true

        init(checker: ChainChecker, schedule: CheckpointSchedule) {
            self.checker = checker
            self.schedule = schedule
        }
    }

    /// Runs the fast path over `events` (the ledger's event columns in seq order) and `nodes`
    /// (`id, hash` of merkle_nodes in id order). Returns the checker and schedule at the end
    /// when everything held, nil when the serial pass must look (nothing is reported then).
    static func run(
        events: any StoreStatement, nodes: any StoreStatement, checker: ChainChecker, schedule: CheckpointSchedule
    ) throws -> (checker: ChainChecker, schedule: CheckpointSchedule)? {
        let outcome = Outcome(checker: checker, schedule: schedule)
        guard outcome.schedule.check(at: outcome.checker) == nil else { return nil }
        let channel = Channel(capacity: depth)
        let finished = DispatchSemaphore(value: 0)
        let hasher = Thread {
            hash(channel, outcome)
            finished.signal()
        }
        hasher.stackSize = 1 << 20
        hasher.start()
        var readError: (any Error)?
        var extraNodes = false
        do {
            extraNodes = try read(events: events, nodes: nodes, erased: checker.erased, into: channel)
        } catch {
            readError = error
            channel.abandon()
        }
        channel.close()
        finished.wait()
        if let readError { throw readError }
        guard outcome.sound, !extraNodes, outcome.checker.firstProblem == nil else { return nil }
        var schedule = outcome.schedule
        guard schedule.finish(at: outcome.checker) == nil else { return nil }
        return (outcome.checker, outcome.schedule)
    }

    /// The reading half. Returns true when stored nodes remain past the last event's.
    private static func read(
        events: any StoreStatement, nodes: any StoreStatement, erased: [UInt64: SHA256Digest], into channel: Channel
    ) throws -> Bool {
        var lookahead: (key: Int64, hash: SHA256Digest)?
        var nodesEnded = false
        var envelope: [UInt8] = []
        envelope.reserveCapacity(512)
        var more = true
        while more && !channel.abandoned {
            let batch = Batch()
            batch.bytes.reserveCapacity(rowsPerBatch * 768)
            batch.rows.reserveCapacity(rowsPerBatch)
            while batch.rows.count < rowsPerBatch {
                guard try events.step() else {
                    more = false
                    break
                }
                let seq = events.uint(0)
                let payloadDigest = events.digest(9) ?? .zero, previousHash = events.digest(10) ?? .zero
                EnvelopeEncoding.hashedBytes(
                    seq: seq, id: events.bytes(1), type: events.bytes(2), stream: events.bytes(3),
                    streamVersion: events.uint(4), occurredAt: events.bytes(5), recordedAt: events.bytes(6),
                    actor: events.bytes(7), payloadDigest: payloadDigest, previousHash: previousHash, into: &envelope)
                let payloadStart = batch.bytes.count
                batch.bytes.append(contentsOf: events.bytes(8))
                let envelopeStart = batch.bytes.count
                batch.bytes.append(contentsOf: envelope)
                batch.rows.append(
                    Row(
                        seq: seq, payload: payloadStart..<envelopeStart, envelope: envelopeStart..<batch.bytes.count,
                        payloadDigest: payloadDigest, previousHash: previousHash, hash: events.digest(11) ?? .zero,
                        event: erased[seq] == nil ? nil : try Ledger.readEvent(events)))
            }
            // The nodes these rows complete: a node's key starts with the index of the leaf that
            // completes it (`Schema.merkleNodeKey`).
            if let last = batch.rows.last?.seq {
                while !nodesEnded {
                    if lookahead == nil {
                        if try nodes.step() { lookahead = (nodes.int(0), nodes.digest(1) ?? .zero) } else { nodesEnded = true }
                    }
                    guard let node = lookahead, UInt64(bitPattern: node.key) >> 6 <= last - 1 else { break }
                    batch.nodes.append(node)
                    lookahead = nil
                }
            }
            if !batch.rows.isEmpty, !channel.put(batch) { return false }
        }
        if lookahead != nil { return true }
        if nodesEnded { return false }
        return try nodes.step()
    }

    /// The hashing half: takes batches until the end or the first thing that does not hold.
    private static func hash(_ channel: Channel, _ outcome: Outcome) {
        while let batch = channel.take() {
            var next = 0
            let compare: (CompactRange.CompletedNode) -> VerificationProblem? = { node in
                guard next < batch.nodes.count,
                    batch.nodes[next].key == Schema.merkleNodeKey(level: node.level, index: node.index),
                    batch.nodes[next].hash == node.hash
                else {
                    return VerificationProblem(kind: .merkleMismatch, seq: nil, message: "a stored node differs")
                }
                next += 1
                return nil
            }
            for row in batch.rows {
                let taken: Bool
                if let event = row.event {
                    taken = outcome.checker.check(event, completedNode: compare)
                } else {
                    taken = batch.bytes.withUnsafeBytes { bytes in
                        outcome.checker.acceptIfSound(
                            seq: row.seq, payload: UnsafeRawBufferPointer(rebasing: bytes[row.payload]),
                            payloadDigest: row.payloadDigest, previousHash: row.previousHash, hash: row.hash,
                            envelope: { out in
                                out.removeAll(keepingCapacity: true)
                                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[row.envelope]))
                            },
                            completedNode: compare)
                    }
                }
                guard taken, outcome.checker.firstProblem == nil, outcome.schedule.check(at: outcome.checker) == nil else {
                    outcome.sound = false
                    channel.abandon()
                    return
                }
            }
            // Every node the batch's rows completed was compared, and no other was read with them.
            guard next == batch.nodes.count else {
                outcome.sound = false
                channel.abandon()
                return
            }
        }
    }
}
