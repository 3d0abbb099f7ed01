extension Ledger {
    /// The hash of the perfect subtree at `level`, `index`: a leaf hash from the event's hash,
    /// or a stored interior node. One indexed read either way.
    func perfectSubtreeHash(level: Int, index: UInt64) throws -> SHA256Digest {
        if level == 0 {
            let row = try statement("SELECT hash FROM events WHERE seq = ?").bind(1, index + 1).firstRow { $0.digest(0) }
            guard let row, let hash = row else {
                throw LedgerError(.damaged, "event hash missing or malformed", seq: index + 1)
            }
            return hashing.leafHash(of: hash)
        }
        let row = try statement("SELECT hash FROM merkle_nodes WHERE id = ?").bind(
            1, Schema.merkleNodeKey(level: level, index: index)
        )
        .firstRow { $0.digest(0) }
        guard let row, let hash = row else {
            let first = (index << UInt64(level)) + 1
            throw LedgerError(.damaged, "Merkle node at level \(level), index \(index) is missing or malformed", seq: first)
        }
        return hash
    }

    var proofBuilder: MerkleProofBuilder {
        MerkleProofBuilder { [unowned self] level, index in try perfectSubtreeHash(level: level, index: index) }
    }

    /// The RFC 9162 root of the first `size` events (default: all of them).
    public func rootHash(size: UInt64? = nil) throws -> SHA256Digest {
        try readTransaction {
            let current = try self.size()
            let size = size ?? current
            guard size <= current else {
                throw LedgerError(.badInput, "tree size \(size) is beyond the \(current) events in the ledger", field: "size")
            }
            return try proofBuilder.root(size: size)
        }
    }

    /// Proves event `seq` is leaf `seq − 1` of the tree of `size` events (default: all).
    public func inclusionProof(seq: UInt64, treeSize: UInt64? = nil) throws -> InclusionProof {
        try readTransaction {
            let current = try self.size()
            let size = treeSize ?? current
            guard size <= current else {
                throw LedgerError(.badInput, "tree size \(size) is beyond the \(current) events in the ledger", field: "size")
            }
            guard seq >= 1, seq <= size else {
                throw LedgerError(.badInput, "seq \(seq) is not in a tree of \(size) events", field: "seq")
            }
            return try proofBuilder.inclusionProof(leafIndex: seq - 1, treeSize: size)
        }
    }

    /// Proves the tree of `oldSize` events is a prefix of the tree of `newSize` events.
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> ConsistencyProof {
        try readTransaction {
            let current = try self.size()
            guard newSize <= current else {
                throw LedgerError(.badInput, "tree size \(newSize) is beyond the \(current) events in the ledger", field: "new")
            }
            guard oldSize >= 1, oldSize <= newSize else {
                throw LedgerError(.badInput, "need 1 ≤ old (\(oldSize)) ≤ new (\(newSize))", field: "old")
            }
            return try proofBuilder.consistencyProof(size1: oldSize, size2: newSize)
        }
    }
}
