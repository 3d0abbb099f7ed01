import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// An auditor is never told "OK" when the evidence does not support it (issue 17's findings):
/// an export longer than its checkpoint, an export not in the exact form, a forged checkpoint,
/// a proof whose claims disagree with it, an unsigned checkpoint.
@Suite("verification is strict", .serialized)
struct StrictVerificationTests {
    static func ledgerWithExport() throws -> (TemporaryDirectory, String) {
        let (directory, key) = try CLITests.initialized()
        let input = ([EventLines.openDeliverable("D-1")] + (2...5).map { EventLines.cost("D-1", amount: Double($0)) })
            .joined(separator: "\n")
        #expect(try GenLedgerProcess.run(["append"], stdin: input, in: directory).status == 0)
        let export = try GenLedgerProcess.run(["export", "--out", "five.jsonl"], in: directory)
        #expect(export.status == 0, "\(export.stderr)")
        return (directory, key)
    }

    static func verify(_ directory: TemporaryDirectory, _ export: String, _ checkpoint: String, _ key: String, _ extra: [String] = [])
        throws -> (status: Int32, report: JSONValue)
    {
        let result = try GenLedgerProcess.run(
            ["verify", "--export", export, "--checkpoint", checkpoint, "--key", key, "--json"] + extra, in: directory)
        return (result.status, try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("an export longer than its checkpoint fails unless a prefix is asked for, naming the seqs nothing covers")
    func longerExport() throws {
        let (directory, key) = try Self.ledgerWithExport()
        #expect(try GenLedgerProcess.run(["append"], stdin: EventLines.cost("D-1", amount: 9), in: directory).status == 0)
        #expect(try GenLedgerProcess.run(["export", "--out", "six.jsonl"], in: directory).status == 0)
        // Six events against the five-event checkpoint.
        let strict = try Self.verify(directory, "six.jsonl", "five.jsonl.checkpoint", key)
        #expect(strict.status == 2 && strict.report["first_problem"] == "not-covered" && strict.report["first_bad_seq"]?.integerValue == 6)
        let prefix = try Self.verify(directory, "six.jsonl", "five.jsonl.checkpoint", key, ["--prefix"])
        #expect(prefix.status == 0)
        #expect(prefix.report["warnings"]?.arrayValue?.first?.stringValue?.contains("seqs 6…6") == true)
        // The export and its own checkpoint agree.
        #expect(try Self.verify(directory, "six.jsonl", "six.jsonl.checkpoint", key).status == 0)
    }

    @Test("CRLF line ends, a missing final newline and a trailing blank line are refused")
    func exactForm() throws {
        let (directory, key) = try Self.ledgerWithExport()
        let text = try String(contentsOfFile: directory.path("five.jsonl"), encoding: .utf8)
        #expect(try Self.verify(directory, "five.jsonl", "five.jsonl.checkpoint", key).status == 0)
        for (name, variant) in [
            ("crlf", text.replacingOccurrences(of: "\n", with: "\r\n")), ("no-final-newline", String(text.dropLast())),
            ("blank-line", text + "\n"),
        ] {
            try variant.write(toFile: directory.path("\(name).jsonl"), atomically: true, encoding: .utf8)
            let result = try Self.verify(directory, "\(name).jsonl", "five.jsonl.checkpoint", key)
            #expect(result.status == 2 && result.report["first_problem"] == "malformed", "\(name): \(result.report)")
        }
    }

    @Test("a forged checkpoint is reported as a bad signature first, and an unsigned one exits 2")
    func forgedCheckpoint() throws {
        let (directory, key) = try Self.ledgerWithExport()
        let checkpoint = try String(contentsOfFile: directory.path("five.jsonl.checkpoint"), encoding: .utf8)
        var lines = checkpoint.components(separatedBy: "\n")
        lines[1] = "7"  // claims seven events: the signature no longer covers the text
        try lines.joined(separator: "\n").write(toFile: directory.path("forged.checkpoint"), atomically: true, encoding: .utf8)
        let forged = try Self.verify(directory, "five.jsonl", "forged.checkpoint", key)
        #expect(forged.status == 2 && forged.report["first_problem"] == "bad-signature", "\(forged.report)")
        // Nothing the unsigned text says is used: no "events were removed" from its size.
        #expect(forged.report["problems"]?.arrayValue?.contains { $0["kind"] == "tail-removed" } == false)
        let unsigned = checkpoint.components(separatedBy: "\n\n")[0] + "\n"
        try unsigned.write(toFile: directory.path("unsigned.checkpoint"), atomically: true, encoding: .utf8)
        let result = try GenLedgerProcess.run(
            ["verify", "--export", "five.jsonl", "--checkpoint", "unsigned.checkpoint", "--key", key], in: directory)
        #expect(result.status == 2 && result.stderr.contains("unsigned"), "\(result.stderr)")
    }

    @Test("verify-proof holds a proof document's seq, eventHash and origin to the proof")
    func proofClaims() throws {
        let (directory, key) = try Self.ledgerWithExport()
        let proof = try GenLedgerProcess.run(["prove", "inclusion", "3"], in: directory).stdout
        let document = try JSONParser.parse(proof)
        func variant(_ name: String, _ change: (inout [String: JSONValue]) -> Void) throws -> String {
            guard case .object(var members) = document else { fatalError() }
            change(&members)
            try CanonicalJSON.string(of: .object(members)).write(toFile: directory.path(name), atomically: true, encoding: .utf8)
            return name
        }
        let good = try variant("good.json") { _ in }
        #expect(try GenLedgerProcess.run(["verify-proof", good, "--checkpoint", "five.jsonl.checkpoint", "--key", key], in: directory).status == 0)
        let otherEvent = try GenLedgerProcess.run(["prove", "inclusion", "4"], in: directory).stdout
        let otherHash = try #require(try JSONParser.parse(otherEvent)["eventHash"])
        for (name, change, message) in [
            ("seq.json", { (members: inout [String: JSONValue]) in members["seq"] = 4 }, "says seq 4"),
            ("hash.json", { (members: inout [String: JSONValue]) in members["eventHash"] = otherHash }, "is not the event"),
            ("origin.json", { (members: inout [String: JSONValue]) in members["origin"] = "other.example/log" }, "is for log"),
        ] as [(String, (inout [String: JSONValue]) -> Void, String)] {
            let file = try variant(name, change)
            let result = try GenLedgerProcess.run(
                ["verify-proof", file, "--checkpoint", "five.jsonl.checkpoint", "--key", key], in: directory)
            #expect(result.status == 2 && result.stderr.contains(message), "\(name): \(result.stderr)")
        }
    }
}
