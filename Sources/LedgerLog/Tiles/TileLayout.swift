/// C2SP tlog-tiles: the log's Merkle tree as static files. A tile holds up to 256 consecutive
/// hashes of one tile level: level L holds the hashes of the perfect subtrees of 256^L leaves
/// (level 0: leaf hashes). Tile `N` of level `L` covers those subtrees `N·256 ..< N·256 + W`; a
/// tile with fewer than 256 is partial, named `.p/W`. Entry bundles hold the leaf data, each
/// entry a big-endian uint16 length and its bytes (here the 32 raw bytes of the event hash,
/// docs/FORMAT.md §4). Paths:
///
///     checkpoint
///     tile/<L>/<N>[.p/<W>]
///     tile/entries/<N>[.p/<W>]
///
/// `<N>` is written in groups of three digits, every group but the last prefixed with `x`
/// (1234067 → `x001/x234/067`).
public enum TileLayout {
    public static let width: UInt64 = 256
    /// Merkle levels per tile level (256 = 2^8).
    public static let height = 8

    public struct Tile: Hashable, Sendable {
        /// Tile level; nil for an entry bundle.
        public var level: Int?
        public var index: UInt64
        /// Hashes (or entries) in the tile, 1…256.
        public var width: Int

        public init(level: Int?, index: UInt64, width: Int) {
            self.level = level
            self.index = index
            self.width = width
        }

        public var isPartial: Bool { width < Int(TileLayout.width) }

        public var path: String {
            let kind = level.map(String.init) ?? "entries"
            return "tile/\(kind)/\(TileLayout.encode(index))\(isPartial ? ".p/\(width)" : "")"
        }
    }

    /// `<N>` as tlog-tiles writes it.
    public static func encode(_ index: UInt64) -> String {
        var groups: [String] = []
        var n = index
        repeat {
            let group = String(n % 1000)
            groups.insert(String(repeating: "0", count: 3 - group.count) + group, at: 0)
            n /= 1000
        } while n > 0
        return groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
    }

    /// The hashes a tree of `size` leaves has at tile level `level` (perfect subtrees of 256^level leaves).
    public static func hashCount(level: Int, size: UInt64) -> UInt64 {
        size >> UInt64(level * height)
    }

    /// Every tile (hash tiles of every level, then entry bundles) of a tree of `size` leaves.
    public static func tiles(size: UInt64) -> [Tile] {
        var tiles: [Tile] = []
        var level = 0
        while true {
            let count = hashCount(level: level, size: size)
            if count == 0 { break }
            tiles += self.tiles(level: level, count: count)
            level += 1
        }
        return tiles + self.tiles(level: nil, count: size)
    }

    private static func tiles(level: Int?, count: UInt64) -> [Tile] {
        stride(from: UInt64(0), to: count, by: Int(width)).map { start in
            Tile(level: level, index: start / width, width: Int(min(width, count - start)))
        }
    }

    /// The tile holding the hash of the perfect subtree at Merkle level `level` (a multiple of 8),
    /// index `index`, in a tree of `size` leaves.
    public static func tile(holding index: UInt64, merkleLevel level: Int, size: UInt64) -> Tile {
        precondition(level % height == 0)
        let tileLevel = level / height
        let count = hashCount(level: tileLevel, size: size)
        let tileIndex = index / width
        return Tile(level: tileLevel, index: tileIndex, width: Int(min(width, count - tileIndex * width)))
    }
}
