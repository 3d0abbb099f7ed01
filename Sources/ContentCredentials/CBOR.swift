/// A CBOR data item (RFC 8949): what C2PA claims, assertions and COSE structures are made of.
/// Maps keep the order they are built in (C2PA hashes the bytes as written, so the order is
/// ours to choose and stays stable); integers, lengths and tags take their shortest form
/// (RFC 8949 §4.2.1, preferred serialization).
public indirect enum CBOR: Sendable, Equatable {
    case unsigned(UInt64)
    /// The negative integer −1 − n, for n as given.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([(CBOR, CBOR)])
    case tagged(UInt64, CBOR)
    case bool(Bool)
    case null
    case undefined
    case double(Double)

    public static func integer(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// A map with text keys, in the order given.
    public static func object(_ pairs: KeyValuePairs<String, CBOR>) -> CBOR {
        .map(pairs.map { (.text($0.key), $0.value) })
    }

    public static func == (lhs: CBOR, rhs: CBOR) -> Bool {
        switch (lhs, rhs) {
        case let (.unsigned(a), .unsigned(b)), let (.negative(a), .negative(b)): a == b
        case let (.bytes(a), .bytes(b)): a == b
        case let (.text(a), .text(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.map(a), .map(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.tagged(t, a), .tagged(u, b)): t == u && a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null), (.undefined, .undefined): true
        case let (.double(a), .double(b)): a.bitPattern == b.bitPattern
        default: false
        }
    }

    /// The value under a text key of a map.
    public subscript(key: String) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.0 == .text(key) }?.1
    }

    /// The value under an integer key of a map (COSE header labels).
    public subscript(label: Int64) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.0 == .integer(label) }?.1
    }
}

// MARK: - Encoding

extension CBOR {
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let value): Self.head(0, value, &out)
        case .negative(let value): Self.head(1, value, &out)
        case .bytes(let bytes):
            Self.head(2, UInt64(bytes.count), &out)
            out += bytes
        case .text(let text):
            let utf8 = Array(text.utf8)
            Self.head(3, UInt64(utf8.count), &out)
            out += utf8
        case .array(let items):
            Self.head(4, UInt64(items.count), &out)
            for item in items { item.encode(into: &out) }
        case .map(let pairs):
            Self.head(5, UInt64(pairs.count), &out)
            for (key, value) in pairs {
                key.encode(into: &out)
                value.encode(into: &out)
            }
        case .tagged(let tag, let item):
            Self.head(6, tag, &out)
            item.encode(into: &out)
        case .bool(let value): out.append(value ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .undefined: out.append(0xF7)
        case .double(let value): Self.encodeFloat(value, &out)
        }
    }

    private static func head(_ major: UInt8, _ argument: UInt64, _ out: inout [UInt8]) {
        let type = major << 5
        switch argument {
        case 0..<24: out.append(type | UInt8(argument))
        case 24...0xFF: out += [type | 24, UInt8(argument)]
        case 0x100...0xFFFF: out += [type | 25, UInt8(argument >> 8), UInt8(argument & 0xFF)]
        case 0x1_0000...0xFFFF_FFFF:
            out.append(type | 26)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((argument >> UInt64(shift)) & 0xFF)) }
        default:
            out.append(type | 27)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((argument >> UInt64(shift)) & 0xFF)) }
        }
    }

    /// The shortest of half, single and double precision that holds the value exactly (§4.2.2).
    private static func encodeFloat(_ value: Double, _ out: inout [UInt8]) {
        if value.isNaN {
            out += [0xF9, 0x7E, 0x00]
            return
        }
        let single = Float(value)
        if Double(single) == value {
            if let half = halfBits(single) {
                out += [0xF9, UInt8(half >> 8), UInt8(half & 0xFF)]
                return
            }
            let bits = single.bitPattern
            out.append(0xFA)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((bits >> UInt32(shift)) & 0xFF)) }
            return
        }
        let bits = value.bitPattern
        out.append(0xFB)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((bits >> UInt64(shift)) & 0xFF)) }
    }

    /// The IEEE 754 half-precision bits of `value` when it converts exactly, else nil.
    private static func halfBits(_ value: Float) -> UInt16? {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200) }
        if exponent == 0 && mantissa == 0 { return sign }
        let unbiased = exponent - 127
        if (-14...15).contains(unbiased) {
            guard mantissa & 0x1FFF == 0 else { return nil }
            return sign | UInt16(unbiased + 15) << 10 | UInt16(mantissa >> 13)
        }
        if (-24 ..< -14).contains(unbiased) {
            // A subnormal half: the implicit bit joins the mantissa, shifted into place.
            let full = mantissa | 0x80_0000
            let shift = UInt32(-unbiased - 14 + 13)
            guard full & ((1 << shift) - 1) == 0 else { return nil }
            return sign | UInt16(full >> shift)
        }
        return nil
    }
}

// MARK: - Decoding

public struct CBORDecodingError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "CBOR at byte \(offset): \(reason)" }
}

extension CBOR {
    /// Decodes exactly one data item that fills `bytes`. Nesting is bounded (`maxDepth`), and
    /// every length is checked against the bytes left, so hostile input cannot exhaust memory.
    public static func decode(_ bytes: [UInt8], maxDepth: Int = 64) throws -> CBOR {
        var reader = Reader(bytes: bytes, maxDepth: maxDepth)
        let item = try reader.item(depth: 0)
        guard reader.offset == bytes.count else {
            throw CBORDecodingError(offset: reader.offset, reason: "\(bytes.count - reader.offset) bytes after the data item")
        }
        return item
    }

    private struct Reader {
        let bytes: [UInt8]
        let maxDepth: Int
        var offset = 0

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw CBORDecodingError(offset: offset, reason: "ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: UInt64) throws -> [UInt8] {
            guard count <= UInt64(bytes.count - offset) else {
                throw CBORDecodingError(offset: offset, reason: "a length of \(count) runs past the end")
            }
            defer { offset += Int(count) }
            return Array(bytes[offset..<offset + Int(count)])
        }

        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                var value: UInt64 = 0
                for _ in 0..<(1 << (info - 24)) { value = value << 8 | UInt64(try byte()) }
                return value
            default: throw CBORDecodingError(offset: offset - 1, reason: "indefinite lengths are not accepted")
            }
        }

        mutating func item(depth: Int) throws -> CBOR {
            guard depth <= maxDepth else { throw CBORDecodingError(offset: offset, reason: "nested deeper than \(maxDepth)") }
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1F
            if major == 7 {
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                case 23: return .undefined
                case 25:
                    let bits = UInt16(try argument(25))
                    return .double(Double(Self.halfToFloat(bits)))
                case 26: return .double(Double(Float(bitPattern: UInt32(try argument(26)))))
                case 27: return .double(Double(bitPattern: try argument(27)))
                default: throw CBORDecodingError(offset: offset - 1, reason: "simple value \(info) is not accepted")
                }
            }
            let value = try argument(info)
            switch major {
            case 0: return .unsigned(value)
            case 1: return .negative(value)
            case 2: return .bytes(try take(value))
            case 3:
                guard let text = String(validating: try take(value), as: UTF8.self) else {
                    throw CBORDecodingError(offset: offset, reason: "a text string is not UTF-8")
                }
                return .text(text)
            case 4:
                guard value <= UInt64(bytes.count - offset) else {
                    throw CBORDecodingError(offset: offset, reason: "an array of \(value) items runs past the end")
                }
                return .array(try (0..<value).map { _ in try item(depth: depth + 1) })
            case 5:
                guard value <= UInt64(bytes.count - offset) / 2 else {
                    throw CBORDecodingError(offset: offset, reason: "a map of \(value) pairs runs past the end")
                }
                return .map(try (0..<value).map { _ in (try item(depth: depth + 1), try item(depth: depth + 1)) })
            default: return .tagged(value, try item(depth: depth + 1))
            }
        }

        static func halfToFloat(_ bits: UInt16) -> Float {
            let sign: Float = bits & 0x8000 == 0 ? 1 : -1
            let exponent = Int((bits >> 10) & 0x1F)
            let mantissa = Float(bits & 0x3FF)
            switch exponent {
            case 0: return sign * mantissa * Float(sign: .plus, exponent: -24, significand: 1)
            case 31: return mantissa == 0 ? sign * .infinity : .nan
            default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
            }
        }
    }
}
