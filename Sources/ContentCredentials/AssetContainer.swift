/// The file formats Content Credentials can be embedded in, and where the manifest store goes
/// in each (C2PA specification, "Embedding manifests into assets"). Other formats (MP4 and
/// other BMFF, WebP, TIFF…) take a sidecar `.c2pa` manifest store only.
public enum AssetContainer: String, Sendable, CaseIterable {
    case png
    case jpeg

    public var mediaType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        }
    }

    /// The container of `bytes`, told by their signature.
    public static func detect(_ bytes: [UInt8]) -> AssetContainer? {
        if PNG.isPNG(bytes) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// The offset where the manifest store's wrapping goes; refuses a file that already carries one.
    func insertionPoint(_ bytes: [UInt8]) throws -> Int {
        switch self {
        case .png:
            let chunks = try PNG.chunks(bytes)
            if chunks.contains(where: { $0.type == "caBX" }) {
                throw ContentCredentialsError("the PNG file already carries Content Credentials (a caBX chunk)")
            }
            return chunks[0].offset + chunks[0].size
        case .jpeg:
            var point = 2
            for segment in try JPEG.headerSegments(bytes) {
                if segment.marker == 0xE0 { point = segment.offset + segment.size }
                if segment.marker == 0xEB, JPEG.isManifestSegment(bytes, segment) {
                    throw ContentCredentialsError("the JPEG file already carries Content Credentials (APP11 JUMBF segments)")
                }
            }
            return point
        }
    }

    /// The bytes that carry `store` in this container.
    func wrap(_ store: [UInt8]) -> [UInt8] {
        switch self {
        case .png: PNG.chunk("caBX", store)
        case .jpeg: JPEG.app11Segments(store)
        }
    }
}

/// The JPEG container (ISO/IEC 10918-1): marker segments after SOI; C2PA puts the manifest
/// store in APP11 segments in the JPEG XT box format (ISO/IEC 18477-3): each segment carries
/// CI "JP", a box instance number, a packet sequence number from 1, the box's LBox and TBox,
/// then the next piece of the box.
enum JPEG {
    struct Segment {
        var marker: UInt8
        var offset: Int
        /// With its marker and length fields.
        var size: Int
    }

    /// The marker segments from SOI to the start of scan.
    static func headerSegments(_ bytes: [UInt8]) throws -> [Segment] {
        guard bytes.starts(with: [0xFF, 0xD8]) else { throw ContentCredentialsError("not a JPEG file (no SOI marker)") }
        var segments: [Segment] = []
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { throw ContentCredentialsError("JPEG marker expected at byte \(offset)") }
            let marker = bytes[offset + 1]
            if marker == 0xDA || marker == 0xD9 { return segments }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else {
                throw ContentCredentialsError("JPEG segment at byte \(offset) runs past the end")
            }
            segments.append(Segment(marker: marker, offset: offset, size: 2 + length))
            offset += 2 + length
        }
        throw ContentCredentialsError("JPEG file has no start of scan")
    }

    /// An APP11 segment whose first box is a C2PA manifest store.
    static func isManifestSegment(_ bytes: [UInt8], _ segment: Segment) -> Bool {
        let data = bytes[segment.offset + 4..<segment.offset + segment.size]
        guard data.count >= 28, data.starts(with: [0x4A, 0x50]) else { return false }
        return Array(data.dropFirst(24).prefix(4)) == Array("c2pa".utf8)
    }

    static let maximumPiece = 64000

    static func app11Segments(_ store: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var sequence: UInt32 = 1
        var offset = 0
        while offset < store.count {
            let piece = store[offset..<min(store.count, offset + maximumPiece)]
            var data: [UInt8] = [0x4A, 0x50, 0x02, 0x11] + JUMBF.bigEndian(sequence)
            if offset > 0 { data += store.prefix(8) }
            data += piece
            out += [0xFF, 0xEB, UInt8((data.count + 2) >> 8), UInt8((data.count + 2) & 0xFF)] + data
            offset += piece.count
            sequence += 1
        }
        return out
    }
}
