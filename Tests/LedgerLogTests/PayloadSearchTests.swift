@testable import LedgerLog
import Testing

/// The byte search that decides whether a feed needs to run for an event (`requiring`).
@Suite("Payload search: a feed's required bytes found wherever they are")
struct PayloadSearchTests {
    static func naive(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    @Test("agrees with a plain scan over 20 000 random haystacks of quotes and a few letters")
    func agreesWithAPlainScan() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("\"fig:,".utf8)
        let needles = ["\"findings\"", "\"f\"", "\"", "fi", "\"\"", "g\"", "\"gif\""].map { Array($0.utf8) }
        var found = 0
        for _ in 0..<20_000 {
            let haystack = (0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            for needle in needles {
                let expected = Self.naive(haystack, needle)
                let actual = haystack.withUnsafeBytes { $0.contains(bytes: needle) }
                #expect(actual == expected, "\(String(decoding: needle, as: UTF8.self)) in \(String(decoding: haystack, as: UTF8.self))")
                if expected { found += 1 }
            }
        }
        #expect(found > 20_000, "the haystacks hold the needles often enough to test both answers")
    }

    @Test("at the edges: first and last bytes, an empty haystack, a needle longer than it")
    func edges() {
        func has(_ haystack: String, _ needle: String) -> Bool {
            Array(haystack.utf8).withUnsafeBytes { $0.contains(bytes: Array(needle.utf8)) }
        }
        #expect(has(#""findings":[]"#, #""findings""#))
        #expect(has(#"{"a":1,"findings""#, #""findings""#))
        #expect(!has(#"{"a":1,"finding""#, #""findings""#))
        #expect(!has("", "\"x\""))
        #expect(has("", ""))
        #expect(!has("\"x", "\"x\""))
        #expect(has(#"""""#, #""""#))
    }
}
