/// An RFC 9162 §2.1.3 inclusion proof.
public struct InclusionProof: Sendable, Equatable {
    public var leafIndex: UInt64
    public var treeSize: UInt64
    public var leafHash: SHA256Digest
    public var root: SHA256Digest
    public var path: [SHA256Digest]

    public init(leafIndex: UInt64, treeSize: UInt64, leafHash: SHA256Digest, root: SHA256Digest, path: [SHA256Digest]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.leafHash = leafHash
        self.root = root
        self.path = path
    }
}

/// An RFC 9162 §2.1.4 consistency proof.
public struct ConsistencyProof: Sendable, Equatable {
    public var size1: UInt64
    public var size2: UInt64
    public var root1: SHA256Digest
    public var root2: SHA256Digest
    public var path: [SHA256Digest]

    public init(size1: UInt64, size2: UInt64, root1: SHA256Digest, root2: SHA256Digest, path: [SHA256Digest]) {
        self.size1 = size1
        self.size2 = size2
        self.root1 = root1
        self.root2 = root2
        self.path = path
    }
}

/// Builds proofs from the hashes of perfect subtrees, so a store that keeps those answers any
/// proof in O(log n) reads without rebuilding the tree.
public struct MerkleProofBuilder {
    /// The hash of the perfect subtree at `level` and `index` (level 0 is a leaf hash).
    public typealias PerfectSubtreeHash = (_ level: Int, _ index: UInt64) throws -> SHA256Digest

    private let perfect: PerfectSubtreeHash
    private let hashing = MerkleHashing()

    public init(perfectSubtreeHash: @escaping PerfectSubtreeHash) {
        self.perfect = perfectSubtreeHash
    }

    /// MTH(D[start ..< start + count]) for a range the RFC's recursion produces: `start` is a
    /// multiple of the largest power of two ≤ `count`, so the range splits into perfect subtrees.
    public func subtreeHash(start: UInt64, count: UInt64) throws -> SHA256Digest {
        precondition(count > 0)
        if MerkleMath.isPowerOfTwo(count) {
            let level = count.trailingZeroBitCount
            return try perfect(level, start >> UInt64(level))
        }
        let k = MerkleMath.splitPoint(count)
        return hashing.nodeHash(try subtreeHash(start: start, count: k), try subtreeHash(start: start + k, count: count - k))
    }

    public func root(size: UInt64) throws -> SHA256Digest {
        size == 0 ? MerkleHashing.emptyRoot : try subtreeHash(start: 0, count: size)
    }

    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64) throws -> InclusionProof {
        precondition(leafIndex < treeSize)
        var path: [SHA256Digest] = []
        // PATH(m, D[n]) of RFC 9162 §2.1.3.1, iteratively from the root down, then reversed.
        var start: UInt64 = 0
        var count = treeSize
        var m = leafIndex
        while count > 1 {
            let k = MerkleMath.splitPoint(count)
            if m < k {
                path.append(try subtreeHash(start: start + k, count: count - k))
                count = k
            } else {
                path.append(try subtreeHash(start: start, count: k))
                start += k
                m -= k
                count -= k
            }
        }
        return InclusionProof(
            leafIndex: leafIndex,
            treeSize: treeSize,
            leafHash: try perfect(0, leafIndex),
            root: try root(size: treeSize),
            path: path.reversed()
        )
    }

    public func consistencyProof(size1: UInt64, size2: UInt64) throws -> ConsistencyProof {
        precondition(0 < size1 && size1 <= size2)
        var path: [SHA256Digest] = []
        if size1 < size2 {
            // SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1, iteratively, then reversed.
            var start: UInt64 = 0
            var count = size2
            var m = size1
            var startsAtOldRoot = true
            while m != count {
                let k = MerkleMath.splitPoint(count)
                if m <= k {
                    path.append(try subtreeHash(start: start + k, count: count - k))
                    count = k
                } else {
                    path.append(try subtreeHash(start: start, count: k))
                    start += k
                    m -= k
                    count -= k
                    startsAtOldRoot = false
                }
            }
            if !startsAtOldRoot { path.append(try subtreeHash(start: start, count: count)) }
        }
        return ConsistencyProof(
            size1: size1,
            size2: size2,
            root1: try root(size: size1),
            root2: try root(size: size2),
            path: path.reversed()
        )
    }
}

/// Checks proofs per RFC 9162 §2.1.3.2 and §2.1.4.2. Works on raw bytes, because a proof from
/// outside may carry hashes of the wrong length, which must be refused, not trapped on.
public enum MerkleProofVerifier {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static func verifyInclusion(
        leafIndex: UInt64,
        treeSize: UInt64,
        leafHash: [UInt8],
        proof: [[UInt8]],
        root: [UInt8]
    ) throws(Failure) {
        guard leafIndex < treeSize else {
            throw Failure(reason: "leaf index \(leafIndex) is not below tree size \(treeSize)")
        }
        guard leafHash.count == 32 else { throw Failure(reason: "leaf hash is \(leafHash.count) bytes, not 32") }
        try checkLengths(proof)
        let hashing = MerkleHashing()
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw Failure(reason: "proof has more hashes than the tree has levels") }
            if fn & 1 == 1 || fn == sn {
                r = hashing.nodeHash(p, r)
                climbRightEdge(&fn, &sn)
            } else {
                r = hashing.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw Failure(reason: "proof has fewer hashes than the tree has levels") }
        guard r == root else { throw Failure(reason: "computed root does not match the expected root") }
    }

    public static func verifyConsistency(
        size1: UInt64,
        size2: UInt64,
        root1: [UInt8],
        root2: [UInt8],
        proof: [[UInt8]]
    ) throws(Failure) {
        guard size1 <= size2 else { throw Failure(reason: "size1 \(size1) is larger than size2 \(size2)") }
        guard size1 > 0 else { throw Failure(reason: "a consistency proof from the empty tree proves nothing") }
        if size1 == size2 {
            guard proof.isEmpty else { throw Failure(reason: "trees of equal size need an empty proof") }
            guard root1 == root2 else { throw Failure(reason: "trees of equal size have different roots") }
            return
        }
        guard !proof.isEmpty else { throw Failure(reason: "proof is empty") }
        try checkLengths(proof)
        let hashing = MerkleHashing()
        var path = proof
        if MerkleMath.isPowerOfTwo(size1) { path.insert(root1, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw Failure(reason: "proof has more hashes than needed") }
            if fn & 1 == 1 || fn == sn {
                fr = hashing.nodeHash(c, fr)
                sr = hashing.nodeHash(c, sr)
                climbRightEdge(&fn, &sn)
            } else {
                sr = hashing.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw Failure(reason: "proof has fewer hashes than needed") }
        guard fr == root1 else { throw Failure(reason: "proof does not lead to root1") }
        guard sr == root2 else { throw Failure(reason: "proof does not lead to root2") }
    }

    /// RFC 9162's "until LSB(fn) is set or fn is 0": climb while the node is a left child on
    /// the right edge, where the path has no sibling to hash.
    private static func climbRightEdge(_ fn: inout UInt64, _ sn: inout UInt64) {
        while fn & 1 == 0 && fn != 0 {
            fn >>= 1
            sn >>= 1
        }
    }

    private static func checkLengths(_ proof: [[UInt8]]) throws(Failure) {
        for (index, hash) in proof.enumerated() where hash.count != 32 {
            throw Failure(reason: "proof hash \(index) is \(hash.count) bytes, not 32")
        }
    }
}

extension InclusionProof {
    public func verify() throws {
        try MerkleProofVerifier.verifyInclusion(
            leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash.bytes, proof: path.map(\.bytes), root: root.bytes)
    }
}

extension ConsistencyProof {
    public func verify() throws {
        try MerkleProofVerifier.verifyConsistency(
            size1: size1, size2: size2, root1: root1.bytes, root2: root2.bytes, proof: path.map(\.bytes))
    }
}
