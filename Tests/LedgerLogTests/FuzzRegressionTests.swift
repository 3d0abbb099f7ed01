import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// Every input `make fuzz` ever failed on (Fuzz/Regressions/TARGET/), run through the property
/// its fuzz target checks, so a fixed finding stays fixed.
@Suite("Fuzzing findings, kept as regression cases")
struct FuzzRegressionTests {
    static func inputs(_ target: String) throws -> [(String, [UInt8])] {
        let folder = RepositoryFiles.path("Fuzz/Regressions/\(target)")
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { name in
            (name, Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))))
        }
    }

    @Test("fuzz-json: what parses canonicalizes to JSON that parses back to the same bytes")
    func json() throws {
        let inputs = try Self.inputs("fuzz-json")
        #expect(!inputs.isEmpty)
        for (name, bytes) in inputs {
            guard let value = try? JSONParser.parse(bytes) else { continue }
            let canonical = CanonicalJSON.bytes(of: value)
            let again = try? JSONParser.parse(canonical)
            #expect(again != nil, "\(name): its canonical form \(String(decoding: canonical, as: UTF8.self)) does not parse")
            #expect(again.map(CanonicalJSON.bytes(of:)) == canonical, "\(name): canonicalization is not idempotent")
        }
        // The first finding: 1E20 canonicalizes to an integer literal beyond 2^53 - 1, which must
        // read back (a double holds it exactly); one a double does not hold is still refused.
        #expect(try JSONParser.parse(Array("1E20".utf8)) == .number(1e20))
        #expect(try JSONParser.parse(Array("100000000000000000000".utf8)) == .number(1e20))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("12345678901234567890".utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("9007199254740993".utf8)) }
    }
}
