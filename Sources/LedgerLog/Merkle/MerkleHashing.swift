/// RFC 6962 / RFC 9162 §2.1.1 hashing: leaves and interior nodes are domain-separated so a leaf
/// can never be passed off as a node.
public struct MerkleHashing {
    private let sha = SHA256()

    public init() {}

    /// The hash of the empty tree: SHA-256 of no bytes.
    public static let emptyRoot = SHA256.hash([UInt8]())

    /// SHA-256(0x00 ‖ data).
    public func leafHash(_ data: some ContiguousBytesView) -> SHA256Digest {
        sha.start()
        sha.update(0x00)
        data.withBytes { sha.update($0) }
        return sha.finish()
    }

    /// SHA-256(0x00 ‖ digest), for leaves whose data is itself a digest.
    public func leafHash(of digest: SHA256Digest) -> SHA256Digest {
        sha.start()
        sha.update(0x00)
        sha.update(digest)
        return sha.finish()
    }

    /// SHA-256(0x01 ‖ left ‖ right).
    public func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        sha.start()
        sha.update(0x01)
        sha.update(left)
        sha.update(right)
        return sha.finish()
    }

    func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        sha.start()
        sha.update(0x01)
        left.withUnsafeBytes { sha.update($0) }
        right.withUnsafeBytes { sha.update($0) }
        return sha.finish().bytes
    }
}

/// Tree arithmetic shared by appends, proofs and verification.
public enum MerkleMath {
    /// The largest power of two strictly less than `n` (n ≥ 2), the split point of RFC 9162 §2.1.1.
    public static func splitPoint(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    public static func isPowerOfTwo(_ n: UInt64) -> Bool { n != 0 && n & (n - 1) == 0 }
}
