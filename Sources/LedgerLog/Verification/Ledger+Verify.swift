import Foundation

extension Ledger {
    /// Verifies the whole ledger in one pass over a consistent snapshot, in constant memory:
    /// every event's digest, hash and link, every stored Merkle node, every stored checkpoint's
    /// signatures and root, and any checkpoints supplied from outside (for instance one an
    /// auditor kept, which catches a removed tail even when the stored checkpoints were removed too).
    public func verify(
        supplied: [SignedCheckpoint] = [],
        suppliedKeys: [NoteVerifierKey] = []
    ) throws -> VerificationReport {
        // One sequential pass gains nothing from the large page cache appends use: keep verify's
        // memory flat and small whatever the log's size.
        if store == .sqlite { try db.execute("PRAGMA cache_size=-2048") }
        defer { if store == .sqlite { try? db.execute("PRAGMA cache_size=-\(Self.pageCacheKiB)") } }
        return try readTransaction {
            var report = VerificationReport(origin: origin)
            report.durability = durability
            report.durabilitySettings = try durabilitySettings()
            if durability != .full {
                report.warnings.append(
                    "durability is relaxed: \(report.durabilitySettings ?? ""), so the last commits may be lost on power failure")
            }
            let storedKeys = try verifierKeys()
            // The keys trusted, and why: those the auditor supplied (the trust root) and those a
            // chain of key statements in the log reaches from them; else the keys the file itself
            // registers, which whoever can write the file could have added.
            var trust = KeyChain.Trust(roots: suppliedKeys.isEmpty ? storedKeys : suppliedKeys)
            if !suppliedKeys.isEmpty { trust = try keyChain(from: suppliedKeys) }
            report.trustedKeys = trust.reached.map { entry in
                .init(
                    key: entry.key.description,
                    source: suppliedKeys.isEmpty ? .ledgerFile : entry.addedAt == 0 ? .supplied : .rotation)
            }
            for ignored in trust.ignored { report.warnings.append("seq \(ignored.seq): \(ignored.reason); ignored") }
            if suppliedKeys.isEmpty {
                report.warnings.append(
                    "trusting the \(counted(storedKeys.count, "key")) the ledger file registers: whoever can write the file could add a key and sign a rewritten history; pass --key with the verifier key `genledger init` printed to trust only that")
            } else {
                let reached = Set(trust.reached.map(\.key.description))
                let untrusted = storedKeys.filter { !reached.contains($0.description) }
                if !untrusted.isEmpty {
                    report.warnings.append(
                        "not trusted (registered in the file, not reachable from the trust root by signed key statements): \(untrusted.map(\.description).joined(separator: ", ")); checkpoints signed only by them fail")
                }
            }
            var schedule: [CheckpointSchedule.Entry] = []

            for stored in try checkpoints() {
                let label = "checkpoint #\(stored.number)"
                let signed: SignedCheckpoint
                do { signed = try SignedCheckpoint(parsing: stored.note) } catch {
                    report.problems.append(
                        VerificationProblem(kind: .malformed, seq: nil, message: "\(label) cannot be read: \(error)"))
                    continue
                }
                guard signed.checkpoint.size == stored.treeSize, signed.checkpoint.root == stored.root,
                    signed.checkpoint.origin == origin
                else {
                    report.problems.append(
                        VerificationProblem(
                            kind: .checkpointMismatch, seq: nil,
                            message: "\(label): its signed text does not match its stored size, root or the ledger's origin"))
                    continue
                }
                do {
                    report.signaturesVerified += try signed.verify(with: trust.keys(atSize: signed.checkpoint.size)).verifiedBy.count
                } catch {
                    report.problems.append(VerificationProblem(kind: .badSignature, seq: nil, message: "\(label): \(error)"))
                }
                schedule.append(.init(label: label, checkpoint: signed.checkpoint))
            }
            for (index, signed) in supplied.enumerated() {
                let label = supplied.count == 1 ? "the supplied checkpoint" : "supplied checkpoint \(index + 1)"
                guard signed.checkpoint.origin == origin else {
                    report.problems.append(
                        VerificationProblem(
                            kind: .checkpointMismatch, seq: nil,
                            message: "\(label) is for origin '\(signed.checkpoint.origin)', not this ledger's '\(origin)'"))
                    continue
                }
                do {
                    report.signaturesVerified += try signed.verify(with: trust.keys(atSize: signed.checkpoint.size))
                        .verifiedBy.count
                } catch {
                    report.problems.append(VerificationProblem(kind: .badSignature, seq: nil, message: "\(label): \(error)"))
                }
                schedule.append(.init(label: label, checkpoint: signed.checkpoint))
            }

            var checkpointsToCheck = CheckpointSchedule(schedule)
            var checker = ChainChecker()
            checker.erased = try erasedPayloadDigests()
            if ProcessInfo.processInfo.activeProcessorCount > 1 {
                // Two threads when the ledger is sound (the usual case); any doubt, and the
                // serial pass below starts over and names the problem.
                let fast = try PipelinedVerification.run(
                    events: try db.prepare("\(Self.eventColumns) ORDER BY seq", scan: true),
                    nodes: try db.prepare("SELECT id, hash FROM merkle_nodes ORDER BY id", scan: true),
                    checker: checker, schedule: checkpointsToCheck)
                if let fast {
                    report.eventCount = fast.checker.count
                    report.root = fast.checker.root
                    report.checkpointsChecked = fast.schedule.checked
                    return report
                }
            }
            let nodes = try db.prepare("SELECT id, hash FROM merkle_nodes ORDER BY id", scan: true)
            let events = try db.prepare("\(Self.eventColumns) ORDER BY seq", scan: true)
            if let problem = checkpointsToCheck.check(at: checker) { checker.record(problem) }
            while try events.step() {
                // Most rows are sound: check them from SQLite's column buffers, without Strings.
                let seq = events.uint(0)
                let sound = checker.acceptIfSound(
                    seq: seq, payload: events.bytes(8), payloadDigest: events.digest(9) ?? .zero,
                    previousHash: events.digest(10) ?? .zero, hash: events.digest(11) ?? .zero,
                    envelope: { out in
                        EnvelopeEncoding.hashedBytes(
                            seq: seq, id: events.bytes(1), type: events.bytes(2), stream: events.bytes(3),
                            streamVersion: events.uint(4), occurredAt: events.bytes(5), recordedAt: events.bytes(6),
                            actor: events.bytes(7), payloadDigest: events.digest(9) ?? .zero,
                            previousHash: events.digest(10) ?? .zero, into: &out)
                    },
                    completedNode: { node in Self.compare(node, withNextStoredNodeIn: nodes) })
                if sound {
                    if let problem = checkpointsToCheck.check(at: checker) {
                        checker.record(problem)
                        break
                    }
                    continue
                }
                let event = try Self.readEvent(events)
                let ok = checker.check(event) { node in
                    Self.compare(node, withNextStoredNodeIn: nodes)
                }
                guard ok else { break }
                if let problem = checkpointsToCheck.check(at: checker) {
                    checker.record(problem)
                    break
                }
            }
            if checker.firstProblem == nil, try nodes.step() {
                let (level, index) = Schema.merkleNode(fromKey: nodes.int(0))
                let covered = (index + 1) << UInt64(level)
                checker.record(
                    VerificationProblem(
                        kind: .tailRemoved, seq: checker.count + 1,
                        message:
                            "the stored Merkle tree covers \(covered) events but the log ends at seq \(checker.count): events after it were removed"
                    ))
            }
            if checker.firstProblem == nil, let problem = checkpointsToCheck.finish(at: checker) {
                checker.record(problem)
            }
            if let problem = checker.firstProblem { report.problems.insert(problem, at: 0) }
            report.eventCount = checker.count
            report.root = checker.root
            report.checkpointsChecked = checkpointsToCheck.checked
            return report
        }
    }

    private static func compare(_ node: CompactRange.CompletedNode, withNextStoredNodeIn nodes: any StoreStatement)
        -> VerificationProblem?
    {
        let first = (node.index << UInt64(node.level)) + 1
        let last = (node.index + 1) << UInt64(node.level)
        let expectedKey = Schema.merkleNodeKey(level: node.level, index: node.index)
        guard (try? nodes.step()) == true else {
            return VerificationProblem(
                kind: .merkleMismatch, seq: first,
                message: "the Merkle node over seqs \(first)…\(last) is missing: proofs over these events cannot be served")
        }
        guard nodes.int(0) == expectedKey, nodes.digest(1) == node.hash else {
            return VerificationProblem(
                kind: .merkleMismatch, seq: first,
                message:
                    "the stored Merkle node over seqs \(first)…\(last) does not match the events: proofs over them would be wrong"
            )
        }
        return nil
    }

    /// The trust the log's key statements build from `roots`, in seq order.
    public func keyChain(from roots: [NoteVerifierKey]) throws -> KeyChain.Trust {
        var statements: [RecordedEvent] = []
        for action in KeyChain.Action.allCases {
            try forEachEvent(stream: KeyChain.stream, type: action.eventType) { event in
                statements.append(event)
                return true
            }
        }
        var trust = KeyChain.Trust(roots: roots)
        for event in statements.sorted(by: { $0.seq < $1.seq }) {
            trust.apply(seq: event.seq, type: event.type, payload: event.payload, origin: origin)
        }
        return trust
    }
}
