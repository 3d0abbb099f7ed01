import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// `gate check` and `append` read and check an event by one code path: a shared corpus of bad
/// input gets the same exit code and the same reason from both, and `append` writes nothing.
@Suite("gate check and append agree on bad input", .serialized)
struct InputParityTests {
    static let campaign = #"{"type":"campaign.opened","stream":"campaign/C-P","payload":{"campaign":"C-P","name":"x"}"#

    /// (name, the input's bytes, what both must say)
    static var corpus: [(String, [UInt8], String)] {
        [
            ("invalid UTF-8", Array(campaign.utf8).dropLast(2) + [0xC3, 0x28] + Array("\"}}".utf8), "UTF-8"),
            ("a 2000-byte actor", Array((campaign + #","actor":"\#(String(repeating: "a", count: 2000))"}"#).utf8), "field 'actor'"),
            (
                "a 1.5 MB payload",
                Array(#"{"type":"campaign.opened","stream":"campaign/C-P","payload":{"campaign":"C-P","name":"\#(String(repeating: "n", count: 1_500_000))"}}"#.utf8),
                "the limit is 1048576"
            ),
            ("a byte order mark", [0xEF, 0xBB, 0xBF] + Array((campaign + "}").utf8), "byte order mark"),
            ("a number that underflows", Array(#"{"type":"campaign.opened","stream":"campaign/C-P","payload":{"campaign":"C-P","name":"x","n":1e-400}}"#.utf8), "too small"),
            ("an unknown type", Array(#"{"type":"campaign.openned","stream":"campaign/C-P","payload":{}}"#.utf8), "unknown event type"),
            ("a missing field", Array(#"{"type":"campaign.opened","stream":"campaign/C-P","payload":{"campaign":"C-P"}}"#.utf8), "payload.name"),
            ("a line over 2 MiB", Array(#"{"a":"\#(String(repeating: "x", count: 2_200_000))"}"#.utf8), "the limit is 2097152"),
        ]
    }

    @Test("every bad input: exit 65 from both, the same reason, nothing appended")
    func parity() throws {
        let directory = TemporaryDirectory("genledger-parity")
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let size = try Ledger(opening: directory.path("genledger.db")).size()
        for (name, bytes, reason) in Self.corpus {
            let file = directory.path("input.jsonl")
            _ = FileManager.default.createFile(atPath: file, contents: Data(bytes + [0x0a]))
            let append = try GenLedgerProcess.run(["append", "--file", file], in: directory)
            let check = try GenLedgerProcess.run(["gate", "check", "--file", file], in: directory)
            #expect(append.status == 65 && check.status == 65, "\(name): append \(append.status), gate check \(check.status)")
            #expect(append.stderr.contains(reason), "\(name): append said \(append.stderr.prefix(300))")
            #expect(check.stderr.contains(reason), "\(name): gate check said \(check.stderr.prefix(300))")
            #expect(append.stderr.contains("line 1"), "\(name): the line is named: \(append.stderr.prefix(200))")
        }
        #expect(try Ledger(opening: directory.path("genledger.db")).size() == size, "nothing was appended")
        // The same valid event passes both.
        let good = directory.path("good.jsonl")
        _ = FileManager.default.createFile(atPath: good, contents: Data((Self.campaign + "}\n").utf8))
        #expect(try GenLedgerProcess.run(["gate", "check", "--file", good], in: directory).status == 0)
        #expect(try GenLedgerProcess.run(["append", "--file", good], in: directory).status == 0)
    }
}
