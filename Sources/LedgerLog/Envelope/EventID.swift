import Foundation

extension UUID {
    /// An RFC 9562 version 7 UUID: the Unix time in milliseconds (48 bits, big-endian), then
    /// random bits. Ids the ledger gives events are time-ordered, so each insert into the id
    /// index lands at its right edge instead of at a random page (docs/FORMAT.md, `id`).
    static func version7(milliseconds: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> UUID {
        // Two draws from the system's generator give the 74 random bits (one getrandom each).
        var generator = SystemRandomNumberGenerator()
        let high = generator.next()
        let low = generator.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> UInt64(8 * i))
            bytes[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(8 * i))
        }
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> UInt64(8 * (5 - i))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
