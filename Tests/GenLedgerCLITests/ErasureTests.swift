import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// `genledger erase`: a leaked secret in a template's body and a pipeline's own field removed on
/// the record; afterwards verify, an export's verification, proofs, `rebuild --check` and every
/// report still pass, no byte of the secret is left in the file, what is erased is refused to be
/// anything the governance reads, and an edit of what remains is caught.
@Suite struct ErasureTests {
    static let secret = "sk-LEAKED-0123456789"

    @Test("erased fields leave the file; verify, export, proofs, rebuild --check and every report still hold")
    func eraseAndEverythingStillHolds() throws {
        let directory = TemporaryDirectory("genledger-erase")
        let ledger = directory.path("ledger.db")
        let env = ["GENLEDGER_LEDGER": ledger]
        func run(_ arguments: [String], stdin: String? = nil) throws -> GenLedgerProcess.Result {
            try GenLedgerProcess.run(arguments, stdin: stdin, environment: env, in: directory)
        }
        let created = try run(["init", "--origin", "erase.example/log"])
        let root = String(try #require(created.stdout.split(separator: "\n").first { $0.hasPrefix("trust root: ") }).dropFirst(12).prefix { $0 != " " })
        // The studio's policy allows erasing one field the governance reads (the asset an
        // opportunity cost names) and, to no effect, a required one (its amount).
        let policies = directory.path("policies")
        try FileManager.default.copyItem(atPath: RepositoryFiles.path("policies"), toPath: policies)
        try (try String(contentsOfFile: "\(policies)/governance.yaml", encoding: .utf8)
            + "\nerasure:\n  allow:\n    cost.recorded: [asset, amount]\n    model.pricing_changed: [reason]\n").write(
                toFile: "\(policies)/governance.yaml", atomically: true, encoding: .utf8)
        let simulated = try run(["simulate", "--seed", "5", "--deliverables", "30", "--months", "2", "--policies", policies])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let digest = String(repeating: "ab", count: 32)
        let template = #"{"type":"template.versioned","stream":"template/tpl-leak","payload":{"template":"tpl-leak","version":1,"body":"A {subject}; api_key=\#(Self.secret)","body_digest":"\#(digest)","variables":["subject"]}}"#
        let campaign = #"{"type":"campaign.opened","stream":"campaign/C-LEAK","payload":{"campaign":"C-LEAK","name":"Leak","client_contact":"jane.doe@example.com"}}"#
        #expect(try run(["append"], stdin: template + "\n" + campaign + "\n").status == 0)
        let seqs = try run(["log", "--stream", "template/tpl-leak", "--json"]).stdout + (try run(["log", "--stream", "campaign/C-LEAK", "--json"])).stdout
        let parsed = seqs.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let templateSeq = try #require(parsed.first?["seq"]?.integerValue)
        let campaignSeq = try #require(parsed.last?["seq"]?.integerValue)
        #expect(try run(["checkpoint"]).status == 0)

        // What the governance reads is refused, by name; so is a field the event does not have.
        let refused = try run(["erase", String(templateSeq), "--field", "template", "--reason", "x"])
        #expect(refused.status == 65 && refused.stderr.contains("'template' of template.versioned cannot be erased"))
        let absent = try run(["erase", String(campaignSeq), "--field", "nope", "--reason", "x"])
        #expect(absent.status == 65)
        let appended = try run(["append"], stdin: #"{"type":"payload.erased","stream":"log/erasures","payload":{"seq":1}}"# + "\n")
        #expect(appended.status == 65 && appended.stderr.contains("written by genledger erase"))

        let erased = try run(["erase", String(templateSeq), "--field", "body", "--reason", "a secret leaked into a template", "--by", "security@studio"])
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(try run(["erase", String(campaignSeq), "--field", "client_contact", "--reason", "right to erasure"]).status == 0)

        // Nothing of the secret is left in the file (or beside it).
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path("")) where file.hasPrefix("ledger.db") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path(file)))
            #expect(bytes.range(of: Data(Self.secret.utf8)) == nil, "\(file) still holds the secret")
            #expect(bytes.range(of: Data("jane.doe@example.com".utf8)) == nil, "\(file) still holds the contact")
        }
        let story = try run(["log", "--stream", "template/tpl-leak", "--json"]).stdout
        #expect(!story.contains(Self.secret) && story.contains("body_digest"))

        // The chain, proofs and an export still verify from the trust root alone.
        let verified = try run(["verify", "--key", root])
        #expect(verified.status == 0, "\(verified.stdout)")
        let proof = try run(["prove", "inclusion", String(templateSeq)])
        #expect(try run(["verify-proof", "-"], stdin: proof.stdout).status == 0)
        #expect(try run(["export", "--out", directory.path("export.jsonl")]).status == 0)
        let export = try run(["verify", "--export", directory.path("export.jsonl"), "--checkpoint", directory.path("export.jsonl.checkpoint"), "--key", root])
        #expect(export.status == 0, "\(export.stdout)")
        #expect(!(try String(contentsOfFile: directory.path("export.jsonl"), encoding: .utf8)).contains(Self.secret))
        #expect(try run(["rebuild", "--check"]).status == 0)
        for report in [
            ["routing", "current"], ["report", "quarterly", "--quarter", "2026-Q2"], ["report", "costs", "--month", "2026-05"],
            ["report", "compliance", "--from", "2026-01-01", "--to", "2026-12-31"], ["report", "deliverable", "D-000001"],
            ["report", "campaign", "C-LEAK"], ["explain", "D-000001"],
        ] {
            let result = try run(report)
            #expect(result.status == 0, "\(report.joined(separator: " ")): \(result.stderr)")
        }

        // The policy allows more: a field the governance reads (an opportunity cost's asset), never
        // a required one (its amount); the read models are then folded again from what remains.
        let cost = try #require(
            try run(["log", "--type", "cost.recorded", "--json"]).stdout.split(separator: "\n")
                .compactMap { try? JSONParser.parse(String($0)) }
                .first { $0["payload"]?["kind"] == "opportunity" && $0["payload"]?["asset"] != nil })
        let costSeq = String(try #require(cost["seq"]?.integerValue))
        let amount = try run(["erase", costSeq, "--field", "amount", "--reason", "x"])
        #expect(amount.status == 65 && amount.stderr.contains("'amount'"), "a required field stays: \(amount.stderr)")
        let asset = try run(["erase", costSeq, "--field", "asset", "--reason", "the asset id named a person"])
        #expect(asset.status == 0, "\(asset.stderr)")
        #expect(try run(["rebuild", "--check"]).status == 0, "the read models agree with what remains")
        #expect(try run(["verify", "--key", root]).status == 0)

        // The read models held the erased value too: the rows folded again replace them, and the
        // pages the old rows lived in are zeroed, not only freed.
        let named = "negotiated by jane.doe 5c1e"
        let model = try #require(
            try run(["log", "--type", "model.registered", "--limit", "1", "--json"]).stdout.split(separator: "\n")
                .compactMap { try? JSONParser.parse(String($0)) }.first?["payload"]?["model"]?.stringValue)
        let price = #"{"type":"model.pricing_changed","stream":"model/\#(model)","payload":{"model":"\#(model)","effective":"2026-07-01","pricing":{"amount":0.05,"currency":"USD","unit":"per-generation"},"reason":"\#(named)"}}"#
        let appendedPrice = try run(["append"], stdin: price + "\n")
        #expect(appendedPrice.status == 0, "\(appendedPrice.stderr)")
        let priceSeq = try #require(
            try run(["log", "--type", "model.pricing_changed", "--newest", "--limit", "1", "--json"]).stdout.split(separator: "\n")
                .compactMap { try? JSONParser.parse(String($0)) }.first?["seq"]?.integerValue)
        #expect(try run(["routing", "current"]).status == 0)
        let erasedReason = try run(["erase", String(priceSeq), "--field", "reason", "--reason", "names a person"])
        #expect(erasedReason.status == 0, "\(erasedReason.stderr)")
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path("")) where file.hasPrefix("ledger.db") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path(file)))
            #expect(bytes.range(of: Data(named.utf8)) == nil, "\(file) still holds the erased reason")
        }
        #expect(try run(["rebuild", "--check"]).status == 0)

        // What remains is bound to the chain by the erasure's redacted_digest: an edit is caught at its seq.
        try Attacker(path: ledger).execute(
            "UPDATE events SET payload = CAST('{\"campaign\":\"C-LEAK\",\"name\":\"Forged\"}' AS BLOB) WHERE seq = \(campaignSeq)")
        let caught = try run(["verify", "--key", root, "--json"])
        #expect(caught.status == 2 && caught.stdout.contains("\"first_bad_seq\":\(campaignSeq)"), "\(caught.stdout)")
    }
}
