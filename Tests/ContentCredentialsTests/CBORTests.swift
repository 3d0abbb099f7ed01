import ContentCredentials
import Foundation
import Testing

/// RFC 8949 Appendix A: every example our encoder can express, encoded and decoded back.
@Suite struct CBORTests {
    static let examples: [(CBOR, String)] = [
        (.unsigned(0), "00"), (.unsigned(1), "01"), (.unsigned(10), "0a"), (.unsigned(23), "17"), (.unsigned(24), "1818"),
        (.unsigned(25), "1819"), (.unsigned(100), "1864"), (.unsigned(1000), "1903e8"), (.unsigned(1_000_000), "1a000f4240"),
        (.unsigned(1_000_000_000_000), "1b000000e8d4a51000"), (.unsigned(UInt64.max), "1bffffffffffffffff"),
        (.negative(UInt64.max), "3bffffffffffffffff"), (.integer(-1), "20"), (.integer(-10), "29"), (.integer(-100), "3863"),
        (.integer(-1000), "3903e7"), (.double(0.0), "f90000"), (.double(-0.0), "f98000"), (.double(1.0), "f93c00"),
        (.double(1.1), "fb3ff199999999999a"), (.double(1.5), "f93e00"), (.double(65504.0), "f97bff"),
        (.double(100000.0), "fa47c35000"), (.double(3.4028234663852886e+38), "fa7f7fffff"), (.double(1.0e+300), "fb7e37e43c8800759c"),
        (.double(5.960464477539063e-8), "f90001"), (.double(0.00006103515625), "f90400"), (.double(-4.0), "f9c400"),
        (.double(-4.1), "fbc010666666666666"), (.double(.infinity), "f97c00"), (.double(-.infinity), "f9fc00"),
        (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"), (.undefined, "f7"),
        (.tagged(0, .text("2013-03-21T20:04:00Z")), "c074323031332d30332d32315432303a30343a30305a"),
        (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"), (.tagged(23, .bytes([1, 2, 3, 4])), "d74401020304"),
        (.tagged(32, .text("http://www.example.com")), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
        (.bytes([]), "40"), (.bytes([1, 2, 3, 4]), "4401020304"), (.text(""), "60"), (.text("a"), "6161"),
        (.text("IETF"), "6449455446"), (.text("\"\\"), "62225c"), (.text("\u{00fc}"), "62c3bc"), (.text("\u{6c34}"), "63e6b0b4"),
        (.text("\u{10151}"), "64f0908591"), (.array([]), "80"), (.array([.unsigned(1), .unsigned(2), .unsigned(3)]), "83010203"),
        (.array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])]), "8301820203820405"),
        (.array((1...25).map { .unsigned($0) }), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
        (.map([]), "a0"), (.map([(.unsigned(1), .unsigned(2)), (.unsigned(3), .unsigned(4))]), "a201020304"),
        (.object(["a": .unsigned(1), "b": .array([.unsigned(2), .unsigned(3)])]), "a26161016162820203"),
        (.array([.text("a"), .object(["b": .text("c")])]), "826161a161626163"),
    ]

    @Test func encodesTheRFCExamples() {
        for (item, hex) in Self.examples {
            #expect(item.encoded.hex == hex, "\(item)")
        }
    }

    @Test func decodesTheRFCExamplesBack() throws {
        for (item, hex) in Self.examples {
            #expect(try CBOR.decode(Array(hexString: hex)) == item, "\(hex)")
        }
        #expect(try CBOR.decode(Array(hexString: "f97e00")).isNaN)
    }

    @Test func refusesTruncatedIndefiniteAndHostileInput() {
        for hex in ["", "18", "4401", "9f01ff", "5f4101ff", "a1", "1a000f42", "9bffffffffffffffff", "bbffffffffffffffff00"] {
            #expect(throws: CBORDecodingError.self, "\(hex)") { try CBOR.decode(Array(hexString: hex)) }
        }
        let deep = [UInt8](repeating: 0x81, count: 100) + [0x00]
        #expect(throws: CBORDecodingError.self) { try CBOR.decode(deep) }
        #expect(throws: CBORDecodingError.self) { try CBOR.decode([0x00, 0x00]) }
    }
}

extension CBOR {
    var isNaN: Bool { if case .double(let value) = self { value.isNaN } else { false } }
}

extension Array where Element == UInt8 {
    init(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            bytes.append(UInt8(hexString[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
