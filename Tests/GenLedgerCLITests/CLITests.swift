import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// The built `genledger` binary, run as a process the way the README tells a user to.
@Suite("genledger command line")
struct CLITests {
    static func line(_ type: String, _ stream: String, _ payload: String, extra: String = "") -> String {
        #"{"type":"\#(type)","stream":"\#(stream)","payload":\#(payload)\#(extra)}"#
    }

    static func initialized() throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory("genledger-cli")
        let result = try GenLedgerProcess.run(["init", "--origin", "cli.example/log"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let verifierKey = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("verifier key: ") })
        return (directory, String(verifierKey.dropFirst("verifier key: ".count)))
    }

    @Test("init, append, log, checkpoint, verify, prove, verify-proof, export and offline verify, end to end")
    func endToEnd() throws {
        let (directory, verifierKey) = try Self.initialized()
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path("genledger.db.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let input = ([EventLines.openDeliverable("D-1")] + (2...7).map { EventLines.cost("D-1", amount: Double($0) + 0.5) })
            .joined(separator: "\n")
        let appended = try GenLedgerProcess.run(["append", "--json"], stdin: input, in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        let acknowledgements = try appended.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(acknowledgements.map { $0["seq"]?.integerValue } == (1...7).map { Int64($0) })

        let log = try GenLedgerProcess.run(["log", "--json", "--after", "2", "--limit", "3"], in: directory)
        let logged = log.stdout.split(separator: "\n")
        #expect(logged.count == 3)
        let third = try EnvelopeEncoding.parseLine(Array(logged[0].utf8))
        #expect(third.seq == 3 && third.hash.hex == acknowledgements[2]["hash"]?.stringValue)

        let checkpoint = try GenLedgerProcess.run(["checkpoint"], in: directory)
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        #expect(checkpoint.stdout.hasPrefix("cli.example/log\n7\n"))
        try checkpoint.stdout.write(toFile: directory.path("kept.checkpoint"), atomically: true, encoding: .utf8)

        let verify = try GenLedgerProcess.run(["verify", "--json"], in: directory)
        #expect(verify.status == 0)
        let report = try JSONParser.parse(verify.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(report["ok"] == .bool(true) && report["events"]?.integerValue == 7 && report["durability"] == "FULL")

        let proof = try GenLedgerProcess.run(["prove", "inclusion", "5"], in: directory)
        try proof.stdout.write(toFile: directory.path("proof.json"), atomically: true, encoding: .utf8)
        let checked = try GenLedgerProcess.run(
            [
                "verify-proof", "proof.json", "--checkpoint", "kept.checkpoint", "--key", verifierKey,
                "--event-hash", acknowledgements[4]["hash"]!.stringValue!,
            ], in: directory)
        #expect(checked.status == 0, "\(checked.stderr)")
        let wrongEvent = try GenLedgerProcess.run(
            ["verify-proof", "proof.json", "--event-hash", acknowledgements[3]["hash"]!.stringValue!], in: directory)
        #expect(wrongEvent.status == 2)

        let consistency = try GenLedgerProcess.run(["prove", "consistency", "3", "7"], in: directory)
        try consistency.stdout.write(toFile: directory.path("consistency.json"), atomically: true, encoding: .utf8)
        #expect(try GenLedgerProcess.run(["verify-proof", "consistency.json"], in: directory).status == 0)
        var tampered = try JSONParser.parse(consistency.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue!
        tampered["size1"] = 4
        try CanonicalJSON.string(of: .object(tampered)).write(
            toFile: directory.path("bad.json"), atomically: true, encoding: .utf8)
        #expect(try GenLedgerProcess.run(["verify-proof", "bad.json"], in: directory).status == 2)

        #expect(
            try GenLedgerProcess.run(["append"], stdin: EventLines.cost("D-1", amount: 1), in: directory).status == 0)
        let export = try GenLedgerProcess.run(["export", "--out", "export.jsonl"], in: directory)
        #expect(export.status == 0, "\(export.stderr)")
        let offline = try GenLedgerProcess.run(
            ["verify", "--export", "export.jsonl", "--checkpoint", "export.jsonl.checkpoint", "--key", verifierKey], in: directory
        )
        #expect(offline.status == 0, "\(offline.stdout)\(offline.stderr)")
        #expect(offline.stdout.hasPrefix("OK: 8 events"))
        let againstOld = try GenLedgerProcess.run(
            ["verify", "--checkpoint", "kept.checkpoint", "--key", verifierKey], in: directory)
        #expect(againstOld.status == 0, "\(againstOld.stdout)")
    }

    @Test("an append whose read models cannot catch up is still recorded: exit 0, its seq printed, and a warning")
    func appendOutlivesAFailedCatchUp() throws {
        let (directory, _) = try Self.initialized()
        #expect(try GenLedgerProcess.run(["append"], stdin: EventLines.openDeliverable("D-1") + "\n", in: directory).status == 0)
        // Someone replaced a read model with something it cannot insert into.
        try SQLClient(path: directory.path("genledger.db")).execute(
            "DROP TABLE proj_costs; CREATE VIEW proj_costs AS SELECT 1 AS seq")
        let appended = try GenLedgerProcess.run(["append"], stdin: EventLines.cost("D-1", amount: 2.5) + "\n", in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout.hasPrefix("seq 2 hash "), "\(appended.stdout)")
        #expect(appended.stderr.contains("warning: the events are recorded, but the read models did not catch up"), "\(appended.stderr)")
        let log = try GenLedgerProcess.run(["log", "--type", "cost.recorded", "--json"], in: directory)
        #expect(log.stdout.split(separator: "\n").count == 1)
    }

    @Test("the ledger path comes from --ledger, else GENLEDGER_LEDGER, else genledger.db")
    func ledgerPath() throws {
        let directory = TemporaryDirectory("genledger-cli")
        #expect(try GenLedgerProcess.run(["init", "--ledger", "a.db"], in: directory).status == 0)
        #expect(try GenLedgerProcess.run(["init"], environment: ["GENLEDGER_LEDGER": "b.db"], in: directory).status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.path("a.db.key")))
        #expect(FileManager.default.fileExists(atPath: directory.path("b.db")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("genledger.db")))
        let refused = try GenLedgerProcess.run(["init", "--ledger", "a.db"], in: directory)
        #expect(refused.status == 73 && refused.stderr.contains("refusing to overwrite"))
    }

    @Test(
        "bad input: a clear error naming the line and field, its exit code, and nothing written",
        arguments: [
            (
                "{\"type\":\"a\",\"stream\":\"s\",\"payload\":{}}\n{\"type\":\"a\",\"stream\":\"s\",\"payload\":{}", 65, "line 2",
                "malformed JSON"
            ),
            ("{\"type\":\"a\",\"stream\":\"s\"}", 65, "field 'payload'", "required"),
            ("{\"type\":\"a\",\"stream\":\"s\",\"payload\":[1]}", 65, "field 'payload'", "object"),
            ("{\"type\":7,\"stream\":\"s\",\"payload\":{}}", 65, "field 'type'", "string"),
            ("{\"type\":\"a\",\"stream\":\"s\",\"payload\":{},\"colour\":1}", 65, "field 'colour'", "unknown"),
            ("{\"type\":\"a\",\"stream\":\"s\",\"payload\":{},\"id\":\"nope\"}", 65, "field 'id'", "UUID"),
            (
                "{\"type\":\"a\",\"stream\":\"s\",\"payload\":{},\"occurred_at\":\"2026-02-30T00:00:00Z\"}", 65,
                "field 'occurred_at'", "day 30"
            ),
            (
                "{\"type\":\"a\",\"stream\":\"s\",\"payload\":{},\"expected_version\":-1}", 65, "field 'expected_version'",
                "non-negative"
            ),
            (
                EventLines.openDeliverable("D-1") + "\n" + EventLines.cost("D-1", amount: 1).dropLast()
                    + #","expected_version":0}"#,
                3, "line 2", "expected 0"
            ),
        ])
    func badInput(input: String, status: Int32, location: String, reason: String) throws {
        let (directory, _) = try Self.initialized()
        let result = try GenLedgerProcess.run(["append"], stdin: input, in: directory)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(location) && result.stderr.contains(reason), "\(result.stderr)")
        #expect(try GenLedgerProcess.run(["log"], in: directory).stdout.isEmpty)
    }

    @Test("invalid UTF-8 and an oversized event are refused with the line")
    func invalidBytes() throws {
        let (directory, _) = try Self.initialized()
        var bytes = Array(#"{"type":"a","stream":"s","payload":{"k":""#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"}}\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: directory.path("bad.jsonl")))
        let result = try GenLedgerProcess.run(["append", "--file", "bad.jsonl"], in: directory)
        #expect(result.status == 65 && result.stderr.contains("line 1") && result.stderr.contains("UTF-8"), "\(result.stderr)")

        let huge =
            EventLines.openDeliverable("D-1") + "\n"
            + EventLines.cost(
                "D-1", amount: 1, extra: ",\"note\":\"\(String(repeating: "x", count: EnvelopeEncoding.maxPayloadBytes))\"")
        try huge.write(toFile: directory.path("huge.jsonl"), atomically: true, encoding: .utf8)
        let big = try GenLedgerProcess.run(["append", "--file", "huge.jsonl"], in: directory)
        #expect(big.status == 65 && big.stderr.contains("line 2") && big.stderr.contains("limit"), "\(big.stderr)")
        #expect(try GenLedgerProcess.run(["log"], in: directory).stdout.isEmpty)
    }

    @Test("a duplicate id returns the original; the same id with other content is a conflict (exit 3)")
    func duplicateIDs() throws {
        let (directory, _) = try Self.initialized()
        let id = UUID().uuidString
        let event = EventLines.openCampaign("C-1", extra: #","id":"\#(id)""#)
        let first = try GenLedgerProcess.run(["append"], stdin: event, in: directory)
        let again = try GenLedgerProcess.run(["append"], stdin: event, in: directory)
        #expect(again.status == 0 && again.stdout.contains("already recorded"))
        #expect(first.stdout.split(separator: " ")[1] == again.stdout.split(separator: " ")[1])
        let other = EventLines.openCampaign("C-2", extra: #","id":"\#(id)""#)
        let conflict = try GenLedgerProcess.run(["append"], stdin: other, in: directory)
        #expect(conflict.status == 3 && conflict.stderr.contains("different content"), "\(conflict.stderr)")
    }

    @Test("missing ledger, non-ledger file, missing key and a failed verification have their exit codes")
    func exitCodes() throws {
        let directory = TemporaryDirectory("genledger-cli")
        let missing = try GenLedgerProcess.run(["log"], in: directory)
        #expect(missing.status == 66 && missing.stderr.contains("no ledger"))
        try "just text, not a database".write(toFile: directory.path("genledger.db"), atomically: true, encoding: .utf8)
        let notLedger = try GenLedgerProcess.run(["verify"], in: directory)
        #expect(notLedger.status == 66 && notLedger.stderr.contains("not"), "\(notLedger.stderr)")

        let (initialized, _) = try Self.initialized()
        try FileManager.default.removeItem(atPath: initialized.path("genledger.db.key"))
        let noKey = try GenLedgerProcess.run(["checkpoint"], in: initialized)
        #expect(noKey.status == 66 && noKey.stderr.contains("genledger.db.key"), "\(noKey.stderr)")
        try "PRIVATE+KEY+garbage".write(toFile: initialized.path("genledger.db.key"), atomically: true, encoding: .utf8)
        let badKey = try GenLedgerProcess.run(["checkpoint"], in: initialized)
        #expect(badKey.status == 66, "\(badKey.stderr)")

        #expect(try GenLedgerProcess.run(["append"], stdin: EventLines.openCampaign("C-1"), in: initialized).status == 0)
        try Attacker(path: initialized.path("genledger.db")).execute("UPDATE events SET type = 'b' WHERE seq = 1")
        let failed = try GenLedgerProcess.run(["verify"], in: initialized)
        #expect(failed.status == 2 && failed.stdout.contains("first bad seq 1: edited"), "\(failed.stdout)")
        #expect(try GenLedgerProcess.run(["log", "--limit", "0"], in: initialized).status == 64)
    }

    @Test("verify-proof reads the transparency-dev vector format as it is")
    func readsVectorFormat() throws {
        let directory = TemporaryDirectory("genledger-cli")
        // rfc9162/inclusion/1/happy-path.json of the shared vectors (transparency-dev/merkle).
        let happy = """
            {"leafIdx":0,"treeSize":8,"root":"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
             "leafHash":"bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
             "proof":["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=","Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
                      "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="],"desc":"happy path","wantErr":false}
            """
        try happy.write(toFile: directory.path("happy.json"), atomically: true, encoding: .utf8)
        let accepted = try GenLedgerProcess.run(["verify-proof", "happy.json"], in: directory)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        try happy.replacingOccurrences(of: "\"leafIdx\":0", with: "\"leafIdx\":1")
            .write(toFile: directory.path("moved.json"), atomically: true, encoding: .utf8)
        let refused = try GenLedgerProcess.run(["verify-proof", "moved.json"], in: directory)
        #expect(refused.status == 2 && refused.stderr.contains("does not verify"), "\(refused.stderr)")
    }
}
