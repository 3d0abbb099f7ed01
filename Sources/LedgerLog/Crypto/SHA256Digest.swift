import Foundation

/// A SHA-256 output, held inline (no heap allocation) so hashing millions of events stays cheap.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32

    // Raw bytes in memory order; the words carry no numeric meaning.
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0

    public static let zero = SHA256Digest()

    private init() {}

    /// Exactly 32 bytes, or nil.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var digest = SHA256Digest()
        withUnsafeMutableBytes(of: &digest) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
        self = digest
    }

    init(unsafeRaw raw: UnsafeRawBufferPointer) {
        precondition(raw.count == Self.byteCount)
        var digest = SHA256Digest()
        withUnsafeMutableBytes(of: &digest) { $0.copyMemory(from: raw) }
        self = digest
    }

    /// 64 lowercase hex digits.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let bytes = HexCoding.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// Standard base64 (with padding) of exactly 32 bytes.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: data)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try Swift.withUnsafeBytes(of: &copy) { try body($0) }
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
    public var hex: String { withUnsafeBytes { HexCoding.encode($0) } }
    public var base64: String { Data(bytes).base64EncodedString() }
    public var description: String { hex }
}

enum HexCoding {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 64 digits made on the stack and appended at once: an envelope holds two or three
    /// digests and every append and verification builds one per event.
    static func appendHex(of digest: SHA256Digest, to out: inout [UInt8]) {
        digest.withUnsafeBytes { raw in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * SHA256Digest.byteCount) { text in
                for (index, byte) in raw.enumerated() {
                    text[2 * index] = digit(byte >> 4)
                    text[2 * index + 1] = digit(byte & 0x0f)
                }
                out.append(contentsOf: UnsafeBufferPointer(text))
            }
        }
    }

    /// A nibble's lowercase digit.
    @inline(__always)
    static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble }

    /// Lowercase or uppercase hex; nil on an odd length or a non-hex character.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
