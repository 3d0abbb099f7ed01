/// Checks a log published as C2SP tlog-tiles with nothing but its files: the checkpoint's
/// signature under trusted keys, then (every tile) that each entry bundle's leaf hashes are the
/// level-0 tile and each higher tile's hashes are the Merkle hashes of the tiles below, and that
/// the tiles give the checkpoint's root; or (some seqs) an RFC 9162 inclusion proof built from
/// the few tiles on the path; and (an older checkpoint) a consistency proof built from tiles.
public final class TileVerifier {
    /// Reads one file of the publication by its path (`checkpoint`, `tile/0/000`, ...); nil when absent.
    public typealias Read = (_ path: String) throws -> [UInt8]?

    public struct Report: Sendable, Equatable {
        public var treeSize: UInt64
        public var root: SHA256Digest
        public var origin: String
        public var verifiedBy: [String]
        public var tilesRead: Int
        /// Seqs whose inclusion was proven from the tiles.
        public var included: [UInt64]
        /// The older checkpoint's size this one was proven consistent with.
        public var consistentWith: UInt64?
        public var everyTileChecked: Bool
    }

    private let read: Read
    private let hashing = MerkleHashing()
    private var cache: [String: [UInt8]] = [:]
    private var tilesChecked = 0
    private var currentBundle: (path: String, bytes: [UInt8])?

    public init(read: @escaping Read) { self.read = read }

    /// Verifies the publication. `seqs` empty: every tile; else the inclusion of each seq.
    public func verify(keys: [NoteVerifierKey], seqs: [UInt64] = [], since older: String? = nil) throws -> Report {
        guard let text = try read("checkpoint") else {
            throw LedgerError(.verificationFailed, "the publication has no checkpoint file")
        }
        let signed = try SignedCheckpoint(parsing: String(decoding: text, as: UTF8.self))
        let verification = try signed.verify(with: keys)
        let size = signed.checkpoint.size
        let root = signed.checkpoint.root
        var report = Report(
            treeSize: size, root: root, origin: signed.checkpoint.origin,
            verifiedBy: verification.verifiedBy.map(\.name), tilesRead: 0, included: [], consistentWith: nil,
            everyTileChecked: seqs.isEmpty)
        let builder = MerkleProofBuilder { [unowned self] level, index in
            try self.perfectSubtreeHash(level: level, index: index, size: size)
        }
        if seqs.isEmpty {
            try checkEveryTile(size: size)
            let computed = try builder.root(size: size)
            guard computed == root else {
                throw LedgerError(.verificationFailed, "the tiles give root \(computed.base64), not the checkpoint's \(root.base64)")
            }
        }
        for seq in seqs {
            guard seq >= 1, seq <= size else {
                throw LedgerError(.badInput, "seq \(seq) is not in the checkpoint's tree of \(size)", field: "seq")
            }
            let leaf = hashing.leafHash(of: try entry(seq - 1, size: size))
            let proof = try builder.inclusionProof(leafIndex: seq - 1, treeSize: size)
            do {
                try MerkleProofVerifier.verifyInclusion(
                    leafIndex: seq - 1, treeSize: size, leafHash: leaf.bytes, proof: proof.path.map(\.bytes), root: root.bytes)
            } catch {
                throw LedgerError(.verificationFailed, "seq \(seq): the tiles' inclusion proof fails: \(error)", seq: seq)
            }
            report.included.append(seq)
        }
        if let older {
            let old = try SignedCheckpoint(parsing: older)
            _ = try old.verify(with: keys)
            guard old.checkpoint.origin == signed.checkpoint.origin else {
                throw LedgerError(.verificationFailed, "the older checkpoint is of another log ('\(old.checkpoint.origin)')")
            }
            guard old.checkpoint.size <= size else {
                throw LedgerError(.verificationFailed, "the older checkpoint (\(old.checkpoint.size)) is larger than the published one (\(size))")
            }
            if old.checkpoint.size > 0 {
                let proof = try builder.consistencyProof(size1: old.checkpoint.size, size2: size)
                do {
                    try MerkleProofVerifier.verifyConsistency(
                        size1: old.checkpoint.size, size2: size, root1: old.checkpoint.root.bytes, root2: root.bytes,
                        proof: proof.path.map(\.bytes))
                } catch {
                    throw LedgerError(
                        .verificationFailed,
                        "the published tree is not an extension of the older checkpoint (size \(old.checkpoint.size)): \(error)")
                }
            }
            report.consistentWith = old.checkpoint.size
        }
        report.tilesRead = cache.count + tilesChecked
        return report
    }

    /// One tile's bytes, checked for its length.
    private func tile(_ tile: TileLayout.Tile) throws -> [UInt8] {
        if let cached = cache[tile.path] { return cached }
        guard let bytes = try read(tile.path) else {
            throw LedgerError(.verificationFailed, "\(tile.path) is missing from the publication")
        }
        let expected = tile.width * (tile.level == nil ? 34 : 32)
        guard bytes.count == expected else {
            throw LedgerError(.verificationFailed, "\(tile.path) is \(bytes.count) bytes, not \(expected)")
        }
        cache[tile.path] = bytes
        return bytes
    }

    /// Leaf data of leaf `index`: the event hash in its entry bundle.
    private func entry(_ index: UInt64, size: UInt64) throws -> SHA256Digest {
        let bundle = TileLayout.Tile(
            level: nil, index: index / TileLayout.width, width: Int(min(TileLayout.width, size - index / TileLayout.width * TileLayout.width)))
        let bytes = try tile(bundle)
        let offset = Int(index % TileLayout.width) * 34
        guard bytes[offset] == 0, bytes[offset + 1] == 32 else {
            throw LedgerError(.verificationFailed, "\(bundle.path): entry \(index % TileLayout.width) is not 32 bytes long", seq: index + 1)
        }
        return SHA256Digest(bytes: Array(bytes[offset + 2..<offset + 34]))!
    }

    private func hashes(level tileLevel: Int, from first: UInt64, count: Int, size: UInt64) throws -> [SHA256Digest] {
        let holder = TileLayout.tile(holding: first, merkleLevel: tileLevel * TileLayout.height, size: size)
        let bytes = try tile(holder)
        let offset = Int(first % TileLayout.width)
        return (offset..<offset + count).map { SHA256Digest(bytes: Array(bytes[$0 * 32..<$0 * 32 + 32]))! }
    }

    /// The perfect subtree at Merkle `level`, `index`, from the tile level at or below it.
    private func perfectSubtreeHash(level: Int, index: UInt64, size: UInt64) throws -> SHA256Digest {
        let tileLevel = level / TileLayout.height
        let rest = level % TileLayout.height
        var layer = try hashes(level: tileLevel, from: index << UInt64(rest), count: 1 << rest, size: size)
        while layer.count > 1 {
            layer = stride(from: 0, to: layer.count, by: 2).map { hashing.nodeHash(layer[$0], layer[$0 + 1]) }
        }
        return layer[0]
    }

    /// Every entry bundle against the level-0 tiles, and every higher tile against the level
    /// below, level by level, keeping of each level only the roots of its full tiles (32 bytes
    /// per 256 hashes), so memory stays small whatever the log's size.
    private func checkEveryTile(size: UInt64) throws {
        var below: [SHA256Digest] = []
        var level = 0
        while true {
            let count = TileLayout.hashCount(level: level, size: size)
            if count == 0 { break }
            var roots: [SHA256Digest] = []
            for start in stride(from: UInt64(0), to: count, by: Int(TileLayout.width)) {
                let tile = TileLayout.Tile(level: level, index: start / TileLayout.width, width: Int(min(TileLayout.width, count - start)))
                guard let bytes = try read(tile.path) else {
                    throw LedgerError(.verificationFailed, "\(tile.path) is missing from the publication")
                }
                guard bytes.count == tile.width * 32 else {
                    throw LedgerError(.verificationFailed, "\(tile.path) is \(bytes.count) bytes, not \(tile.width * 32)")
                }
                tilesChecked += 1
                let hashes = (0..<tile.width).map { SHA256Digest(bytes: Array(bytes[$0 * 32..<$0 * 32 + 32]))! }
                for (i, hash) in hashes.enumerated() {
                    let expected: SHA256Digest
                    if level == 0 {
                        expected = hashing.leafHash(of: try entry(inBundle: tile.index, width: tile.width, at: i, size: size))
                    } else {
                        expected = below[Int(tile.index) * Int(TileLayout.width) + i]
                    }
                    guard hash == expected else {
                        if level == 0 {
                            let seq = tile.index * TileLayout.width + UInt64(i) + 1
                            throw LedgerError(.verificationFailed, "seq \(seq): its entry does not hash to its level-0 tile hash", seq: seq)
                        }
                        throw LedgerError(.verificationFailed, "\(tile.path): hash \(i) is not the hash of the tile below it")
                    }
                }
                if tile.width == Int(TileLayout.width) {
                    var layer = hashes
                    while layer.count > 1 {
                        layer = stride(from: 0, to: layer.count, by: 2).map { hashing.nodeHash(layer[$0], layer[$0 + 1]) }
                    }
                    roots.append(layer[0])
                }
            }
            below = roots
            level += 1
        }
    }

    /// Entry `i` of entry bundle `index` (read once per bundle while checking every tile).
    private func entry(inBundle index: UInt64, width: Int, at i: Int, size: UInt64) throws -> SHA256Digest {
        let bundle = TileLayout.Tile(level: nil, index: index, width: width)
        if currentBundle?.path != bundle.path {
            guard let bytes = try read(bundle.path) else {
                throw LedgerError(.verificationFailed, "\(bundle.path) is missing from the publication")
            }
            guard bytes.count == width * 34 else {
                throw LedgerError(.verificationFailed, "\(bundle.path) is \(bytes.count) bytes, not \(width * 34)")
            }
            tilesChecked += 1
            currentBundle = (bundle.path, bytes)
        }
        let bytes = currentBundle!.bytes
        guard bytes[i * 34] == 0, bytes[i * 34 + 1] == 32 else {
            throw LedgerError(.verificationFailed, "\(bundle.path): entry \(i) is not 32 bytes long")
        }
        return SHA256Digest(bytes: Array(bytes[i * 34 + 2..<i * 34 + 34]))!
    }
}
