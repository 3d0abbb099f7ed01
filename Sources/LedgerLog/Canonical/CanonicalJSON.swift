/// RFC 8785 JSON Canonicalization Scheme: members sorted by their UTF-16 code units, no
/// insignificant white space, strings with the minimal escapes, numbers as ECMAScript prints them.
public enum CanonicalJSON {
    public static func bytes(of value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        append(value, to: &out)
        return out
    }

    public static func string(of value: JSONValue) -> String {
        String(decoding: bytes(of: value), as: UTF8.self)
    }

    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): out.append(contentsOf: ECMAScriptNumber.format(number).utf8)
        case .string(let string): appendString(string, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Sorted as pairs: no lookup of each value again by its name.
            for (index, member) in members.sorted(by: { utf16Precedes($0.key, $1.key) }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// RFC 8785 §3.2.3: member names compare as arrays of UTF-16 code units.
    ///
    /// Compared on their UTF-8 bytes, which order as code points do; UTF-16 differs from code
    /// point order only between U+E000…U+FFFF and the supplementary planes (written as
    /// surrogates, 0xD800…, they sort first). Where the first differing bytes are the leads of
    /// one such character each (0xEE/0xEF against 0xF0…0xF4), the order is the other way round.
    public static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let count = min(x.count, y.count)
                var i = 0
                while i < count, x[i] == y[i] { i += 1 }
                guard i < count else { return x.count < y.count }
                let (p, q) = (x[i], y[i])
                if (p == 0xEE || p == 0xEF) && q >= 0xF0 { return false }
                if p >= 0xF0 && (q == 0xEE || q == 0xEF) { return true }
                return p < q
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// RFC 8785 §3.2.2.2: escape only '"', '\\' and C0 controls; everything else as UTF-8.
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(utf8: $0, to: &out) }
    }

    /// A string given as its UTF-8 bytes (a column buffer read without making a String).
    public static func appendString(utf8: some Sequence<UInt8>, to out: inout [UInt8]) {
        // Most strings need no escape: copy them whole.
        if let copied = utf8.withContiguousStorageIfAvailable({ bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }), copied {
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5c, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: [0x5c, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20), which RFC 8785 §3.2.2.3 adopts.
/// Swift's `description` already yields the shortest digits that round-trip; only the layout
/// (where the point goes, when to use an exponent) differs, and that is what this rewrites.
public enum ECMAScriptNumber {
    public static func format(_ value: Double) -> String {
        precondition(value.isFinite, "JSON has no representation for \(value)")
        if value == 0 { return "0" }  // both +0 and -0
        if value.rounded(.towardZero) == value, abs(value) < 1e21, let exact = Int64(exactly: value) {
            return String(exact)  // fast path for the integers most payloads carry
        }
        var (digits, pointPosition) = decompose(abs(value).description)
        let k = digits.count
        let n = pointPosition
        var result = value < 0 ? "-" : ""
        if k <= n && n <= 21 {
            result += digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            let split = digits.index(digits.startIndex, offsetBy: n)
            result += digits[..<split] + "." + digits[split...]
        } else if -6 < n && n <= 0 {
            result += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let exponent = n - 1
            let first = digits.removeFirst()
            result += String(first) + (digits.isEmpty ? "" : "." + digits)
            result += "e" + (exponent < 0 ? "-" : "+") + String(abs(exponent))
        }
        return result
    }

    /// Significant digits (no leading or trailing zeros) and the position of the decimal point
    /// relative to their start, from a Swift description such as "1.2345e-07" or "120.5".
    private static func decompose(_ text: String) -> (digits: String, pointPosition: Int) {
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        var integerPart = mantissa
        var fractionPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = Array(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), pointPosition)
    }
}
