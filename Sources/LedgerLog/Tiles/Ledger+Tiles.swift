import Foundation

/// What `publishTiles` wrote.
public struct TilePublication: Sendable, Equatable {
    public var treeSize: UInt64
    public var root: SHA256Digest
    /// Tiles and entry bundles written now.
    public var written: Int
    /// Full tiles already there (full tiles never change, so they are not written again).
    public var kept: Int
}

extension Ledger {
    /// Writes the log, as of its latest checkpoint, as C2SP tlog-tiles under `directory`: hash
    /// tiles, entry bundles and then the signed `checkpoint`, so that a reader never finds a
    /// checkpoint whose tiles are not there yet. Incremental: full tiles already present are
    /// kept; partial tiles are written for the current width (older widths stay, for readers of
    /// older checkpoints). Each file is written to a temporary name and renamed.
    public func publishTiles(to directory: String) throws -> TilePublication {
        try readTransaction {
            guard let checkpoint = try latestCheckpoint() else {
                throw LedgerError(.badInput, "no checkpoint has been issued: run genledger checkpoint first")
            }
            let size = checkpoint.treeSize
            var written = 0
            var kept = 0
            let files = FileManager.default
            for tile in TileLayout.tiles(size: size) {
                let path = "\(directory)/\(tile.path)"
                if files.fileExists(atPath: path) {
                    kept += 1
                    continue
                }
                try Self.write(try tileContents(tile), to: path)
                written += 1
            }
            try Self.write(Array(checkpoint.note.utf8), to: "\(directory)/checkpoint")
            return TilePublication(treeSize: size, root: checkpoint.root, written: written, kept: kept)
        }
    }

    /// A tile's bytes: its hashes, or its entries each with a big-endian uint16 length.
    func tileContents(_ tile: TileLayout.Tile) throws -> [UInt8] {
        let first = tile.index * TileLayout.width
        var bytes: [UInt8] = []
        guard let level = tile.level else {
            bytes.reserveCapacity(tile.width * 34)
            try forEachEventHash(from: first, count: tile.width) { hash in
                bytes += [0, 32]
                bytes += hash.bytes
            }
            return bytes
        }
        bytes.reserveCapacity(tile.width * 32)
        if level == 0 {
            try forEachEventHash(from: first, count: tile.width) { hash in bytes += hashing.leafHash(of: hash).bytes }
        } else {
            for index in first..<first + UInt64(tile.width) {
                bytes += try perfectSubtreeHash(level: level * TileLayout.height, index: index).bytes
            }
        }
        return bytes
    }

    /// The hashes of events `from + 1 … from + count` (leaf indexes `from ..< from + count`), in order.
    private func forEachEventHash(from: UInt64, count: Int, _ body: (SHA256Digest) -> Void) throws {
        let statement = try statement("SELECT seq, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq")
            .bind(1, from).bind(2, from + UInt64(count))
        var expected = from + 1
        while try statement.step() {
            guard statement.uint(0) == expected, let hash = statement.digest(1) else {
                throw LedgerError(.damaged, "event hash missing or malformed", seq: expected)
            }
            body(hash)
            expected += 1
        }
        guard expected == from + UInt64(count) + 1 else {
            throw LedgerError(.damaged, "events missing from the log", seq: expected)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
            try Data(bytes).write(to: temporary)
            // rename(2) replaces atomically: a reader sees the old file or the new, never neither.
            guard rename(temporary.path, path) == 0 else {
                throw LedgerError(.storage, "cannot rename into \(path): \(String(cString: strerror(errno)))")
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storage, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
