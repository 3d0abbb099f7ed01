/// The PNG container (ISO/IEC 15948; APNG for animation): chunks after an 8-byte signature,
/// each a big-endian length, a 4-character type, data and a CRC-32 of type and data. C2PA puts
/// the manifest store in a `caBX` chunk right after `IHDR`.
public enum PNG {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func isPNG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: signature) }

    public struct Chunk: Sendable, Equatable {
        public var type: String
        /// Where the chunk starts (its length field) and its total size with length, type and CRC.
        public var offset: Int
        public var size: Int
    }

    /// The file's chunks, checked to lie end to end from the signature to the end.
    public static func chunks(_ bytes: [UInt8]) throws -> [Chunk] {
        guard isPNG(bytes) else { throw ContentCredentialsError("not a PNG file (no PNG signature)") }
        var chunks: [Chunk] = []
        var offset = signature.count
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { throw ContentCredentialsError("PNG chunk at byte \(offset) runs past the end") }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - offset - 12 else {
                throw ContentCredentialsError("PNG chunk at byte \(offset) claims \(length) bytes, more than the file holds")
            }
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            chunks.append(Chunk(type: type, offset: offset, size: length + 12))
            offset += length + 12
            if type == "IEND" { break }
        }
        guard chunks.first?.type == "IHDR" else { throw ContentCredentialsError("PNG file does not start with IHDR") }
        return chunks
    }

    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return JUMBF.bigEndian(UInt32(data.count)) + typeBytes + data + JUMBF.bigEndian(crc32(typeBytes + data))
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO 3309, as PNG uses it).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// An 8-bit RGB image, or an animated one (APNG) when given more than one frame: each
    /// frame is width × height × 3 bytes, shown for `frameMilliseconds`. The pixel data is
    /// stored in uncompressed deflate blocks, which every PNG reader accepts.
    public static func image(width: Int, height: Int, frames: [[UInt8]], frameMilliseconds: Int = 100) -> [UInt8] {
        precondition(!frames.isEmpty && frames.allSatisfy { $0.count == width * height * 3 })
        var out = signature
        out += chunk("IHDR", JUMBF.bigEndian(UInt32(width)) + JUMBF.bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        let animated = frames.count > 1
        if animated { out += chunk("acTL", JUMBF.bigEndian(UInt32(frames.count)) + JUMBF.bigEndian(0)) }
        var sequence: UInt32 = 0
        for (index, frame) in frames.enumerated() {
            if animated {
                let delay = UInt16(min(frameMilliseconds, 65535))
                out += chunk(
                    "fcTL",
                    JUMBF.bigEndian(sequence) + JUMBF.bigEndian(UInt32(width)) + JUMBF.bigEndian(UInt32(height))
                        + JUMBF.bigEndian(0) + JUMBF.bigEndian(0) + [UInt8(delay >> 8), UInt8(delay & 0xFF), 0x03, 0xE8, 0, 0])
                sequence += 1
            }
            var raw: [UInt8] = []
            raw.reserveCapacity((width * 3 + 1) * height)
            for row in 0..<height {
                raw.append(0)
                raw += frame[row * width * 3..<(row + 1) * width * 3]
            }
            let compressed = zlibStored(raw)
            if index == 0 {
                out += chunk("IDAT", compressed)
            } else {
                out += chunk("fdAT", JUMBF.bigEndian(sequence) + compressed)
                sequence += 1
            }
        }
        out += chunk("IEND", [])
        return out
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65535, data.count - offset)
            let final: UInt8 = offset + count == data.count ? 1 : 0
            out += [final, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<offset + count]
            offset += count
        } while offset < data.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + JUMBF.bigEndian(b << 16 | a)
    }
}
