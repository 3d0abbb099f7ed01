import Foundation

import COpenSSL

extension UUID {
    /// An RFC 9562 version 7 UUID: the Unix time in milliseconds (48 bits, big-endian), then
    /// random bits. Ids the ledger gives events are time-ordered, so each insert into the id
    /// index lands at its right edge instead of at a random page (docs/FORMAT.md, `id`).
    static func version7(milliseconds: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> UUID {
        var ids = EventIDs()
        return ids.next(milliseconds: milliseconds)
    }

    /// The 36-character lowercase form the envelope stores (`uuidString` is uppercase).
    var lowercasedString: String {
        withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { text in
                var offset = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[offset] = UInt8(ascii: "-")
                        offset += 1
                    }
                    text[offset] = HexCoding.digit(byte >> 4)
                    text[offset + 1] = HexCoding.digit(byte & 0x0f)
                    offset += 2
                }
                return offset
            }
        }
    }
}

/// Version 7 ids for a run of events. The random bits of many ids come from one draw of the
/// system's generator (one draw for 64 ids, not two system calls per id); each preparing thread has
/// its own.
struct EventIDs {
    private static let poolSize = 64 * 10
    private var pool = [UInt8](repeating: 0, count: poolSize)
    private var used = poolSize

    init() {}

    mutating func next(milliseconds: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> UUID {
        if used + 10 > pool.count {
            pool.withUnsafeMutableBytes { Self.fillRandom($0) }
            used = 0
        }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { raw in
            for i in 0..<6 { raw[i] = UInt8(truncatingIfNeeded: milliseconds >> UInt64(8 * (5 - i))) }
            for i in 0..<10 { raw[6 + i] = pool[used + i] }
            raw[6] = 0x70 | (raw[6] & 0x0F)  // version 7
            raw[8] = 0x80 | (raw[8] & 0x3F)  // RFC 9562 variant
        }
        used += 10
        return UUID(uuid: bytes)
    }

    /// Cryptographically random bytes: OpenSSL's generator, seeded by the operating system.
    private static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        precondition(genledger_random_bytes(buffer.baseAddress, Int32(buffer.count)) == 1, "OpenSSL's random generator failed")
    }
}
