/// A checkpoint as stored in the ledger.
public struct StoredCheckpoint: Sendable, Equatable {
    public var number: Int64
    public var treeSize: UInt64
    public var root: SHA256Digest
    /// The signed note, exactly as issued.
    public var note: String
    public var issuedAt: String
}

extension Ledger {
    // MARK: Verifier keys

    /// Registers a verifier key: checkpoints signed by it are then checked by `verify`.
    public func addVerifierKey(_ key: NoteVerifierKey) throws {
        try writeTransaction {
            let exists = try statement("SELECT 1 FROM verifier_keys WHERE key = ?").bind(1, key.description).firstRow { _ in true
            }
            guard exists == nil else { return }
            try statement("INSERT INTO verifier_keys(key, added_at) VALUES (?, ?)")
                .bind(1, key.description).bind(2, clock().description).run()
        }
    }

    /// Every registered verifier key, oldest first.
    public func verifierKeys() throws -> [NoteVerifierKey] {
        let s = try statement("SELECT key FROM verifier_keys ORDER BY rowid")
        var keys: [NoteVerifierKey] = []
        while try s.step() {
            let text = s.text(0)
            do { keys.append(try NoteVerifierKey(parsing: text)) } catch {
                throw LedgerError(.damaged, "stored verifier key '\(text)' is malformed: \(error)")
            }
        }
        return keys
    }

    // MARK: Checkpoints

    /// Signs the current tree head with every given key and stores the checkpoint. Each key must
    /// be registered, so that `verify` can check what it signs.
    @discardableResult
    public func issueCheckpoint(signers: [NoteSignerKey]) throws -> StoredCheckpoint {
        guard !signers.isEmpty else { throw LedgerError(.keyUnavailable, "a checkpoint needs at least one signing key") }
        let known = Set(try verifierKeys())
        for signer in signers where !known.contains(signer.verifierKey) {
            throw LedgerError(
                .keyUnavailable,
                "signing key \(signer.verifierKey) is not registered in this ledger (add it with 'genledger key add')")
        }
        return try writeTransaction {
            let size = try self.size()
            let root = try proofBuilder.root(size: size)
            let signed = try SignedCheckpoint.sign(Checkpoint(origin: origin, size: size, root: root), with: signers)
            let issuedAt = clock().description
            let number = try statement("INSERT INTO checkpoints(tree_size, root, note, issued_at) VALUES (?, ?, ?, ?) RETURNING id")
                .bind(1, size).bind(2, root).bind(3, signed.note.serialized).bind(4, issuedAt).firstRow { $0.int(0) } ?? 0
            return StoredCheckpoint(
                number: number, treeSize: size, root: root, note: signed.note.serialized, issuedAt: issuedAt)
        }
    }

    public func checkpoints() throws -> [StoredCheckpoint] {
        let s = try statement("SELECT id, tree_size, root, note, issued_at FROM checkpoints ORDER BY id")
        var out: [StoredCheckpoint] = []
        while try s.step() {
            out.append(
                StoredCheckpoint(
                    number: s.int(0), treeSize: s.uint(1), root: s.digest(2) ?? .zero, note: s.text(3), issuedAt: s.text(4)))
        }
        return out
    }

    public func latestCheckpoint() throws -> StoredCheckpoint? {
        try checkpoints().last
    }

    /// Keeps a witness's cosignature line of checkpoint `number` (one per witness).
    public func addCosignature(checkpoint number: Int64, witness: String, line: String) throws {
        try writeTransaction {
            try statement("INSERT OR IGNORE INTO cosignatures(checkpoint, witness, line, added_at) VALUES (?, ?, ?, ?)")
                .bind(1, number).bind(2, witness).bind(3, line).bind(4, clock().description).run()
        }
    }

    /// The cosignature lines of checkpoint `number`, by witness name.
    public func cosignatures(checkpoint number: Int64) throws -> [String] {
        let s = try statement("SELECT line FROM cosignatures WHERE checkpoint = ? ORDER BY witness").bind(1, number)
        var lines: [String] = []
        while try s.step() { lines.append(s.text(0)) }
        return lines
    }

    /// The checkpoint's note with its witnesses' cosignature lines after the log's signatures.
    public func cosignedNote(_ checkpoint: StoredCheckpoint) throws -> String {
        checkpoint.note + (try cosignatures(checkpoint: checkpoint.number)).joined()
    }

    /// The largest tree this ledger holds a cosignature of from `witness` (0: none).
    public func lastCosignedSize(witness: String) throws -> UInt64 {
        try statement(
            "SELECT max(c.tree_size) FROM checkpoints c JOIN cosignatures w ON w.checkpoint = c.id WHERE w.witness = ?"
        ).bind(1, witness).firstRow { $0.isNull(0) ? 0 : $0.uint(0) } ?? 0
    }
}
