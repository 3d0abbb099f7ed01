import Foundation

/// What `exportEvents` wrote.
public struct ExportSummary: Sendable {
    public var eventCount: UInt64
    public var bytes: Int
}

extension Ledger {
    /// Writes events 1…`size` as JSON Lines, one RFC 8785 envelope per line, to `path`.
    /// Written to a temporary file and renamed, so a reader never sees half an export.
    public func exportEvents(through size: UInt64, to path: String) throws -> ExportSummary {
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw LedgerError(.storage, "cannot create '\(temporary)'")
        }
        guard let handle = FileHandle(forWritingAtPath: temporary) else {
            throw LedgerError(.storage, "cannot write '\(temporary)'")
        }
        var summary = ExportSummary(eventCount: 0, bytes: 0)
        do {
            var pending: [UInt8] = []
            pending.reserveCapacity(1 << 20)
            try readTransaction {
                try forEachEvent(through: size) { event in
                    // An export is canonical JSON, line by line: a row without its payload (NULL in
                    // the file) cannot be written as one, and is not what was recorded.
                    guard !event.payloadBytes.isEmpty, (try? JSONParser.parse(event.payloadBytes)) != nil else {
                        throw LedgerError(
                            .damaged,
                            "seq \(event.seq) has no readable payload in the ledger file (NULL or not JSON): the file was changed; `genledger verify` names the damage",
                            seq: event.seq)
                    }
                    pending.append(contentsOf: event.canonicalLine)
                    pending.append(0x0a)
                    summary.eventCount += 1
                    if pending.count >= 1 << 20 {
                        try handle.write(contentsOf: pending)
                        summary.bytes += pending.count
                        pending.removeAll(keepingCapacity: true)
                    }
                    return true
                }
            }
            try handle.write(contentsOf: pending)
            summary.bytes += pending.count
            try handle.synchronize()
            try handle.close()
            guard summary.eventCount == size else {
                throw LedgerError(.damaged, "the ledger has \(summary.eventCount) events where \(size) were expected")
            }
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        return summary
    }
}

/// Verifies an export with no database: the same checks as `Ledger.verify`, from the JSON Lines
/// file alone, against a signed checkpoint and the verifier keys the auditor trusts
/// (docs/FORMAT.md §6). The checkpoint's signature is checked first; if it does not verify,
/// nothing it says (its size, its root) is used. The export must be exactly the checkpoint's
/// events, each line the canonical bytes and one `\n`; with `prefix`, an export longer than
/// the checkpoint is accepted as far as the checkpoint covers it, and the report says which
/// seqs nothing covers.
public enum ExportVerifier {
    public static func verify(
        exportAt path: String,
        checkpoint: SignedCheckpoint,
        keys: [NoteVerifierKey],
        prefix: Bool = false
    ) throws -> VerificationReport {
        var report = VerificationReport(origin: checkpoint.checkpoint.origin)
        // Keys the export's own key statements vouch for, from the supplied roots (§5): their
        // signatures by trusted keys are what makes them count, and the chain is checked below.
        let trust = try keyChain(exportAt: path, roots: keys, origin: checkpoint.checkpoint.origin)
        report.trustedKeys = trust.reached.map { .init(key: $0.key.description, source: $0.addedAt == 0 ? .supplied : .rotation) }
        for ignored in trust.ignored { report.warnings.append("seq \(ignored.seq): \(ignored.reason); ignored") }
        var signed = true
        do {
            report.signaturesVerified = try checkpoint.verify(with: trust.keys(atSize: checkpoint.checkpoint.size)).verifiedBy.count
        } catch {
            signed = false
            report.problems.append(VerificationProblem(kind: .badSignature, seq: nil, message: "the checkpoint: \(error)"))
        }
        var schedule = CheckpointSchedule(signed ? [.init(label: "the checkpoint", checkpoint: checkpoint.checkpoint)] : [])
        var checker = ChainChecker()
        checker.erased = try erasedDigests(exportAt: path)
        let reader = try JSONLinesReader(path: path)
        var extra: UInt64 = 0
        var form: VerificationProblem?
        if let problem = schedule.check(at: checker) { checker.record(problem) }
        while let line = try reader.next() {
            if form == nil {
                let seq = UInt64(reader.lineNumber)
                if line.isEmpty {
                    form = VerificationProblem(kind: .malformed, seq: seq, message: "line \(reader.lineNumber) is blank; an export has one event per line and nothing else")
                } else if reader.lastEnding == .carriageReturnNewline {
                    form = VerificationProblem(kind: .malformed, seq: seq, message: "line \(reader.lineNumber) ends with CR LF; each line ends with LF (\\n) alone")
                } else if reader.lastEnding == .endOfFile {
                    form = VerificationProblem(kind: .malformed, seq: seq, message: "line \(reader.lineNumber), the last, lacks its final LF (\\n)")
                }
            }
            if signed && checker.count >= checkpoint.checkpoint.size {
                if !line.isEmpty { extra += 1 }
                continue
            }
            guard !line.isEmpty else { continue }
            let event: RecordedEvent
            do { event = try EnvelopeEncoding.parseLine(line) } catch let error as LedgerError {
                checker.record(
                    VerificationProblem(
                        kind: .malformed, seq: checker.count + 1, message: "line \(reader.lineNumber): \(error.message)"))
                break
            }
            guard checker.check(event) else { break }
            if let problem = schedule.check(at: checker) {
                checker.record(problem)
                break
            }
        }
        if checker.firstProblem == nil, let problem = schedule.finish(at: checker) { checker.record(problem) }
        if let problem = checker.firstProblem { report.problems.append(problem) }
        if let form { report.problems.append(form) }
        if extra > 0 {
            let size = checkpoint.checkpoint.size
            let seqs = "seqs \(size + 1)…\(size + extra)"
            if prefix {
                report.warnings.append(
                    "\(counted(extra, "event")) after the checkpoint's size \(size) (\(seqs)) \(extra == 1 ? "is" : "are") not covered by it and \(extra == 1 ? "was" : "were") not checked (--prefix)"
                )
            } else {
                report.problems.append(
                    VerificationProblem(
                        kind: .notCovered, seq: size + 1,
                        message:
                            "the export holds \(counted(extra, "event")) (\(seqs)) beyond the checkpoint's size \(size); nothing signed covers them. Verify a prefix explicitly with --prefix, or against a checkpoint of the export's size"
                    ))
            }
        }
        report.eventCount = checker.count
        report.root = checker.root
        report.checkpointsChecked = schedule.checked
        return report
    }

    /// The trust the export's key statements build from `roots`, read in a first pass.
    static func keyChain(exportAt path: String, roots: [NoteVerifierKey], origin: String) throws -> KeyChain.Trust {
        var trust = KeyChain.Trust(roots: roots)
        let reader = try JSONLinesReader(path: path)
        let marker = Array(#""type":"log.key_"#.utf8)
        while let line = try reader.next() {
            guard line.count > marker.count, line.firstRange(of: marker) != nil,
                let event = try? EnvelopeEncoding.parseLine(line), event.stream == KeyChain.stream
            else { continue }
            trust.apply(seq: event.seq, type: event.type, payload: event.payload, origin: origin)
        }
        return trust
    }

    /// The erasures the export records (`payload.erased`), read in a first pass: seq → digest.
    static func erasedDigests(exportAt path: String) throws -> [UInt64: SHA256Digest] {
        var digests: [UInt64: SHA256Digest] = [:]
        let reader = try JSONLinesReader(path: path)
        let marker = Array(#""type":"payload.erased""#.utf8)
        while let line = try reader.next() {
            guard line.firstRange(of: marker) != nil, let event = try? EnvelopeEncoding.parseLine(line),
                event.stream == Erasure.stream, let seq = event.payload["seq"]?.integerValue, seq >= 1, UInt64(seq) < event.seq,
                let hex = event.payload["redacted_digest"]?.stringValue, let digest = SHA256Digest(hex: hex)
            else { continue }
            digests[UInt64(seq)] = digest
        }
        return digests
    }
}
