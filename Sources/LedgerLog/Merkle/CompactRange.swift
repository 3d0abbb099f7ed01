/// The right edge of a Merkle tree: the roots of the perfect subtrees whose sizes are the binary
/// digits of the leaf count, largest first. Enough to append a leaf and to compute the root, in
/// O(log n) memory, which is what lets verification stream.
public struct CompactRange: Sendable, Equatable {
    public struct Subtree: Sendable, Equatable {
        public var level: Int
        public var hash: SHA256Digest
    }

    /// A perfect subtree that became complete while appending: `level` ≥ 1, covering leaves
    /// `index << level ..< (index + 1) << level`.
    public struct CompletedNode: Sendable, Equatable {
        public var level: Int
        public var index: UInt64
        public var hash: SHA256Digest
    }

    public private(set) var size: UInt64 = 0
    public private(set) var subtrees: [Subtree] = []

    public init() {}

    /// Rebuilds the range for `size` leaves from the hashes of its perfect subtrees, as given by
    /// `subtreeHash(level, index)`, largest first. O(log n) calls.
    public init(size: UInt64, subtreeHash: (_ level: Int, _ index: UInt64) throws -> SHA256Digest) rethrows {
        self.size = size
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << level) != 0 {
            subtrees.append(Subtree(level: level, hash: try subtreeHash(level, start >> level)))
            start += UInt64(1) << level
        }
    }

    /// Appends a leaf hash; reports every interior node it completes, lowest first.
    public mutating func append(
        leafHash: SHA256Digest,
        hashing: MerkleHashing,
        completed: (CompletedNode) throws -> Void = { _ in }
    ) rethrows {
        let leafIndex = size
        var carry = Subtree(level: 0, hash: leafHash)
        while let last = subtrees.last, last.level == carry.level {
            subtrees.removeLast()
            carry = Subtree(level: carry.level + 1, hash: hashing.nodeHash(last.hash, carry.hash))
            try completed(CompletedNode(level: carry.level, index: leafIndex >> UInt64(carry.level), hash: carry.hash))
        }
        subtrees.append(carry)
        size += 1
    }

    /// The RFC 9162 root of the leaves appended so far.
    public func root(hashing: MerkleHashing) -> SHA256Digest {
        guard var hash = subtrees.last?.hash else { return MerkleHashing.emptyRoot }
        for subtree in subtrees.dropLast().reversed() {
            hash = hashing.nodeHash(subtree.hash, hash)
        }
        return hash
    }
}
