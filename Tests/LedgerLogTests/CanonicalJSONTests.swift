import LedgerLog
import Testing

@Suite("Strict JSON parsing and RFC 8785 output")
struct CanonicalJSONTests {
    @Test(
        "refuses what cannot be hashed unambiguously",
        arguments: [
            (#"{"a":1,"a":2}"#, "duplicate member name"),
            (#"{"a":"\ud800"}"#, "lone high surrogate"),
            (#"{"a":"\udc00"}"#, "lone low surrogate"),
            (#"{"a":9007199254740993}"#, "beyond 2^53-1"),
            (#"{"a":1e400}"#, "outside the range"),
            (#"{"a":01}"#, "leading zeros"),
            (#"{"a":1} x"#, "unexpected text after"),
            ("{\"a\":\"tab\there\"}", "control character"),
            (#"{"a":tru}"#, "invalid literal"),
            (#"{"a":[1,]}"#, "expected a value"),
            ("", "unexpected end of input"),
        ])
    func refuses(input: String, reason: String) {
        #expect {
            _ = try JSONParser.parse(input)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("refuses invalid UTF-8 inside a string")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect {
            _ = try JSONParser.parse(bytes)
        } throws: { error in
            "\(error)".contains("not valid UTF-8")
        }
    }

    @Test("refuses nesting deeper than the limit, accepts up to it")
    func depth() throws {
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 2) + String(repeating: "]", count: JSONParser.maxDepth + 2)
        #expect(throws: JSONParser.Failure.self) { _ = try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try JSONParser.parse(ok)
    }

    @Test(
        "numbers print as ECMAScript prints them",
        arguments: [
            (1.0, "1"), (-0.0, "0"), (0.5, "0.5"), (1e21, "1e+21"), (1e20, "100000000000000000000"), (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"), (123.456, "123.456"), (-2.5e-10, "-2.5e-10"), (4.35, "4.35"), (1e-6, "0.000001"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (Double.leastNonzeroMagnitude, "5e-324"),
        ])
    func numbers(value: Double, expected: String) {
        #expect(ECMAScriptNumber.format(value) == expected)
    }

    @Test("member names sort by UTF-16 code units, not by scalars")
    func utf16Order() {
        // U+FB33 sorts after U+1F600 in UTF-16 (0xFB33 > 0xD83D) though not by scalar value.
        let value: JSONValue = ["\u{FB33}": 1, "\u{1F600}": 2]
        #expect(CanonicalJSON.string(of: value) == "{\"\u{1F600}\":2,\"\u{FB33}\":1}")
    }

    @Test("the byte-wise member order equals UTF-16 code unit order on every kind of character")
    func utf16OrderMatchesUTF16() {
        // One character from each range whose UTF-8 and UTF-16 orders could disagree, shared
        // prefixes included, so that the first difference falls at every position.
        let pool: [Character] = ["a", "z", "\u{7F}", "é", "\u{7FF}", "\u{800}", "中", "\u{D7FF}", "\u{E000}", "\u{FB33}", "\u{FFFD}",
                                 "\u{10000}", "😀", "\u{10FFFF}"]
        var generator = SystemRandomNumberGenerator()
        func word() -> String { String((0..<Int.random(in: 0...3, using: &generator)).map { _ in pool.randomElement(using: &generator)! }) }
        for _ in 0..<20_000 {
            let prefix = word()
            let (a, b) = (prefix + word(), prefix + word())
            #expect(CanonicalJSON.utf16Precedes(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
        }
    }

    @Test("strings with and without escapes, whole and from bytes, encode alike")
    func escapes() throws {
        for text in ["plain", "", "quote \" and \\", "tab\tnew\nline\u{1}\u{1F}", "é😀\u{7F}"] {
            var fromBytes: [UInt8] = []
            CanonicalJSON.appendString(utf8: Array(text.utf8), to: &fromBytes)
            var fromSequence: [UInt8] = []
            CanonicalJSON.appendString(utf8: AnySequence(text.utf8), to: &fromSequence)  // not contiguous: the byte loop
            let whole = CanonicalJSON.bytes(of: .string(text))
            #expect(whole == fromBytes && whole == fromSequence)
            #expect(try JSONParser.parse(whole) == .string(text))
        }
        #expect(CanonicalJSON.string(of: .string("a\"b\\c\u{1}\n")) == #""a\"b\\c\u0001\n""#)
    }

    @Test("parse then canonicalize is idempotent")
    func idempotent() throws {
        let input = #"{ "b" : [ 1.0 , 2e0, "x\u0041" ], "a" : { "z":null, "y":true } }"#
        let once = CanonicalJSON.string(of: try JSONParser.parse(input))
        #expect(once == #"{"a":{"y":true,"z":null},"b":[1,2,"xA"]}"#)
        #expect(CanonicalJSON.string(of: try JSONParser.parse(once)) == once)
    }
}

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test("normalizes to UTC with six fractional digits")
    func normalizes() throws {
        #expect(try Timestamp(rfc3339: "2026-09-01T14:00:00.5+02:00").description == "2026-09-01T12:00:00.500000Z")
        #expect(try Timestamp(rfc3339: "2024-02-29T23:59:59Z").description == "2024-02-29T23:59:59.000000Z")
        #expect(try Timestamp(rfc3339: "1969-12-31T23:59:59.999999Z").microsecondsSinceEpoch == -1)
    }

    @Test(
        "refuses what does not parse",
        arguments: [
            "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-09-01 12:00:00Z", "2026-09-01T12:00:00", "2026-09-01T25:00:00Z",
            "2026-09-01T12:00:00.1234567Z", "yesterday",
        ])
    func refuses(text: String) {
        #expect(throws: LedgerError.self) { _ = try Timestamp(rfc3339: text) }
    }
}
