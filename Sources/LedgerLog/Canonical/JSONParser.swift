/// A strict RFC 8259 / I-JSON (RFC 7493) parser over UTF-8 bytes. Strict because what it accepts
/// is hashed: invalid UTF-8, lone surrogates, duplicate member names, non-finite numbers and
/// integers beyond 2^53 − 1 are refused with the byte offset at fault.
public struct JSONParser {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "\(reason) (at byte \(offset + 1))" }
    }

    /// Deep enough for any real payload; shallow enough that recursion cannot exhaust the stack.
    public static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public static func parse(_ text: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { buffer throws in try parse(UnsafeRawBufferPointer(buffer)) }
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { raw throws in try parse(raw) }
    }

    public static func parse(_ raw: UnsafeRawBufferPointer) throws -> JSONValue {
        var parser = JSONParser(bytes: raw)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == raw.count else {
            throw parser.failure("unexpected text after the JSON value")
        }
        return value
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { position += 1 }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth) levels") }
        guard let c = current else { throw failure("unexpected end of input, expected a value") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected character '\(Self.printable(c))', expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw failure("invalid literal, expected '\(literal)'") }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] {
            throw failure("invalid literal, expected '\(literal)'")
        }
        position += count
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a member name in double quotes") }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after member name") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            if members.updateValue(value, forKey: key) != nil {
                throw Failure(offset: keyOffset, reason: "duplicate member name \"\(key)\"")
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: throw failure("expected ',' or '}' in object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default: throw failure("expected ',' or ']' in array")
            }
        }
    }

    private mutating func parseString() throws -> String {
        position += 1
        let start = position
        // Fast path: no escapes. Validate the UTF-8 of the run and take it whole.
        var ascii = true
        while let c = current, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
            guard c >= 0x20 else { throw failure("control character U+00\(Self.hex2(c)) must be escaped in a string") }
            if c >= 0x80 { ascii = false }
            position += 1
        }
        guard let stop = current else { throw Failure(offset: start - 1, reason: "unterminated string") }
        if stop == UInt8(ascii: "\""), ascii {
            // ASCII is valid UTF-8: build the string straight from the input, with no copy to check.
            position += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
        }
        var utf8 = Array(bytes[start..<position])
        if stop == UInt8(ascii: "\"") {
            position += 1
            return try Self.validated(utf8, at: start)
        }
        // Slow path: decode escapes.
        while true {
            guard let c = current else { throw Failure(offset: start - 1, reason: "unterminated string") }
            switch c {
            case UInt8(ascii: "\""):
                position += 1
                return try Self.validated(utf8, at: start)
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw failure("unterminated escape") }
                position += 1
                if let byte = Self.escaped(escape) {
                    utf8.append(byte)
                } else if escape == UInt8(ascii: "u") {
                    let scalar = try parseUnicodeEscape()
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                } else {
                    position -= 1
                    throw failure("invalid escape '\\\(Self.printable(escape))'")
                }
            default:
                guard c >= 0x20 else { throw failure("control character U+00\(Self.hex2(c)) must be escaped in a string") }
                utf8.append(c)
                position += 1
            }
        }
    }

    /// The byte a one-character escape stands for (`n` in `\n`: 0x0A), or nil when it is not one.
    static func escaped(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): c
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0c
        case UInt8(ascii: "n"): 0x0a
        case UInt8(ascii: "r"): 0x0d
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }

    private mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let first = try parseHex4()
        if (0xD800...0xDBFF).contains(first) {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
            else { throw failure("lone high surrogate \\u\(String(first, radix: 16)) is not valid Unicode") }
            position += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw failure("high surrogate not followed by a low surrogate")
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            return Unicode.Scalar(value)!
        }
        guard !(0xDC00...0xDFFF).contains(first), let scalar = Unicode.Scalar(first) else {
            throw failure("lone low surrogate \\u\(String(first, radix: 16)) is not valid Unicode")
        }
        return scalar
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw failure("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws -> Double {
        let start = position
        var isInteger = true
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, Self.isDigit(first) else { throw failure("invalid number, expected a digit") }
        position += 1
        if first != UInt8(ascii: "0") {
            while let c = current, Self.isDigit(c) { position += 1 }
        } else if let c = current, Self.isDigit(c) {
            throw failure("invalid number, leading zeros are not allowed")
        }
        if current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let c = current, Self.isDigit(c) else { throw failure("invalid number, expected a digit after '.'") }
            while let c = current, Self.isDigit(c) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let c = current, Self.isDigit(c) else { throw failure("invalid number, expected exponent digits") }
            while let c = current, Self.isDigit(c) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw Failure(offset: start, reason: "number \(text) is outside the range of an IEEE-754 double")
        }
        // A non-zero number too small for a double would be stored as 0 without a word.
        if value == 0 {
            let significand = bytes[start..<position].prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
            if significand.contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }) {
                throw Failure(
                    offset: start,
                    reason: "number \(text) is too small for an IEEE-754 double (it would be stored as 0); carry it as a string")
            }
        }
        // Beyond 2^53 - 1 an integer literal is refused unless the double holds it exactly, i.e.
        // RFC 8785 writes the parsed value back as the same digits. Found by fuzzing: `1E20` is
        // written `100000000000000000000`, which an outright refusal of large literals would then
        // refuse to read back (a stored payload the ledger could not fold).
        if isInteger && abs(value) > JSONValue.maxExactInteger && CanonicalJSON.string(of: .number(value)) != text {
            throw Failure(
                offset: start,
                reason: "integer \(text) is beyond 2^53-1 and would lose precision (I-JSON: it would be read as \(CanonicalJSON.string(of: .number(value)))); carry it as a string"
            )
        }
        return value
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func validated(_ utf8: [UInt8], at offset: Int) throws -> String {
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw Failure(offset: offset, reason: "string is not valid UTF-8")
        }
        return string
    }

    private static func hex2(_ c: UInt8) -> String {
        let text = String(c, radix: 16, uppercase: true)
        return text.count == 1 ? "0" + text : text
    }

    private static func printable(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7f ? String(UnicodeScalar(c)) : "0x" + hex2(c)
    }
}
