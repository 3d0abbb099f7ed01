import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// `explain` reproduces an asset, and the command line answers mistakes the same way everywhere
/// (issue 14).
@Suite("explain reproduces an asset; the command line is consistent", .serialized)
struct ExplainAndCommandLineTests {
    /// The EVENTS.md story (docs/examples/sample-events.jsonl) on the repository's policies.
    static func sampleLedger() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory("genledger-explain")
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let published = try GenLedgerProcess.run(
            ["policy", "publish", RepositoryFiles.path("policies"), "--occurred-at", "2026-06-01"], in: directory)
        #expect(published.status == 0, "\(published.stderr)")
        // History: imported (its override carries no approver's signature, so it is recorded as
        // the violation it is rather than refused).
        let appended = try GenLedgerProcess.run(["import", RepositoryFiles.path("docs/examples/sample-events.jsonl")], in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(try GenLedgerProcess.run(["checkpoint"], in: directory).status == 0)
        return directory
    }

    @Test("explain by deliverable or by file SHA-256: parameters, template body and values, prompt, seed lock, every attempt, cost by kind")
    func explainReproduces() throws {
        let directory = try Self.sampleLedger()
        func run(_ arguments: [String]) throws -> GenLedgerProcess.Result { try GenLedgerProcess.run(arguments, in: directory) }

        let byDeliverable = try run(["explain", "D-118", "--json"])
        #expect(byDeliverable.status == 0, "\(byDeliverable.stderr)")
        let json = try JSONParser.parse(byDeliverable.stdout)
        let data = try #require(json["data"])
        #expect(data["asset"]?.stringValue == "A-118-1-up")
        #expect(data["found_by"]?.stringValue == "deliverable D-118: its delivered asset")
        let recipe = try #require(data["recipe"])
        #expect(recipe["generation"]?.stringValue == "G-118-2")
        #expect(recipe["request"]?["parameters"]?["steps"]?.integerValue == 40)
        #expect(recipe["request"]?["template_values"]?["subject"]?.stringValue == "red sneaker on wet asphalt")
        #expect(recipe["request"]?["prompt"]?.stringValue?.hasPrefix("red sneaker on wet asphalt, hero shot") == true)
        #expect(recipe["template_body"]?.stringValue == "{subject}, hero shot, {camera_move}, cinematic lighting, brand palette {palette}")
        #expect(recipe["seed_lock"]?["seed"]?.integerValue == 421_337 && recipe["seed_lock"]?["scope"]?.stringValue == "campaign")
        #expect(recipe["refinements"]?.arrayValue?.first?["step"]?.stringValue == "upscale")
        // The asset's own cost: its generation (15.00) and the upscale's cost, by kind; every
        // attempt, the failed one on veo-3.1 too, and the denied regeneration.
        #expect(recipe["cost"]?["generation_micros"]?.integerValue == 15_000_000)
        let attempts = try #require(data["attempts"]?.arrayValue)
        #expect(attempts.map { $0["generation"]?.stringValue } == ["G-118-1", "G-118-2"])
        #expect(attempts[0]["outcome"]?.stringValue == "failed" && attempts[0]["failure_mode"]?.stringValue == "timeout")
        #expect(data["denials"]?.arrayValue?.count == 1 && data["denials"]?.arrayValue?.first?["rule"]?.stringValue == "locked-seed")
        // Each proof is the document `prove inclusion` prints, which `verify-proof` reads.
        let first = try #require(data["events"]?.arrayValue?.first)
        #expect(first["inclusion_proof"]?["leafIdx"] != nil)
        try CanonicalJSON.string(of: first["inclusion_proof"]!).write(
            toFile: directory.path("proof.json"), atomically: true, encoding: .utf8)
        let checked = try run(["verify-proof", "proof.json", "--event-hash", first["hash"]!.stringValue!])
        #expect(checked.status == 0, "\(checked.stderr)")

        // The Markdown says the same on its first screen.
        let markdown = try run(["explain", "D-118"]).stdout
        #expect(markdown.contains("Found by deliverable D-118: its delivered asset: A-118-1-up."))
        #expect(markdown.contains("| parameter cfg_scale | 7.5 |") && markdown.contains("| variable camera_move | slow dolly-in |"))
        #expect(markdown.contains("denied: locked-seed") && markdown.contains("1 request of this deliverable was denied"))

        // By the file's SHA-256 (the generated output's), upper case too.
        let sha = "0c31315cea51cd997a557ecf3365c491457d"
        let line = try #require(
            try String(contentsOfFile: RepositoryFiles.path("docs/examples/sample-events.jsonl"), encoding: .utf8)
                .split(separator: "\n").first { $0.contains(sha) })
        let digest = try #require(try JSONParser.parse(String(line))["payload"]?["asset_sha256"]?.stringValue)
        let bySHA = try JSONParser.parse(try run(["explain", digest.uppercased(), "--json"]).stdout)
        #expect(bySHA["data"]?["asset"]?.stringValue == "A-118-1")
        // Unknown names exit 65 and say what was tried.
        let unknown = try run(["explain", "D-999"])
        #expect(unknown.status == 65 && unknown.stderr.contains("not a recorded asset id, deliverable id or file SHA-256"))
        let noFile = try run(["explain", String(repeating: "ab", count: 32)])
        #expect(noFile.status == 65 && noFile.stderr.contains("no asset with SHA-256"))
    }

    @Test("CSV: one file per table with plain numbers into --out DIR; without a directory it is a usage error")
    func csvPerTable() throws {
        let directory = try Self.sampleLedger()
        let refused = try GenLedgerProcess.run(["report", "costs", "--month", "2026-07", "--format", "csv"], in: directory)
        #expect(refused.status == 64 && refused.stderr.contains("one file per table"))
        let written = try GenLedgerProcess.run(
            ["report", "costs", "--month", "2026-07", "--format", "csv", "--out", "costs-csv"], in: directory)
        #expect(written.status == 0, "\(written.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path("costs-csv")).sorted()
        #expect(files.first == "01-summary.csv" && files.contains("notes.csv") && files.contains("05-by-model.csv"))
        let byModel = try String(contentsOfFile: directory.path("costs-csv/05-by-model.csv"), encoding: .utf8)
        let header = byModel.split(separator: "\r\n")[0]
        #expect(header.hasPrefix("model,spend (USD),model generation (USD)") && header.contains("regeneration share (%)"))
        #expect(!byModel.contains("%\r\n") && !byModel.contains("%,"), "shares are plain numbers: \(byModel)")
    }

    @Test("a malformed --as-of is a usage error (64), as a malformed --month is; a seq past the end is bad input (65)")
    func asOfExitCodes() throws {
        let directory = try Self.sampleLedger()
        let malformed = try GenLedgerProcess.run(["report", "costs", "--month", "2026-07", "--as-of", "yesterday"], in: directory)
        #expect(malformed.status == 64 && malformed.stderr.contains("--as-of"))
        let badMonth = try GenLedgerProcess.run(["report", "costs", "--month", "July"], in: directory)
        #expect(badMonth.status == 64)
        let past = try GenLedgerProcess.run(["report", "costs", "--month", "2026-07", "--as-of", "999999"], in: directory)
        #expect(past.status == 65 && past.stderr.contains("past the end of the log"))
    }

    @Test("replay --quarter is the quarter's window; it and --from cannot be mixed")
    func replayQuarter() throws {
        let directory = try Self.sampleLedger()
        let quarter = try GenLedgerProcess.run(["replay", "--compare-published", "video@1", "--quarter", "2026-Q3", "--json"], in: directory)
        let days = try GenLedgerProcess.run(
            ["replay", "--compare-published", "video@1", "--from", "2026-07-01", "--to", "2026-09-30", "--json"], in: directory)
        #expect(quarter.status == 0 && quarter.stdout == days.stdout, "\(quarter.stderr)")
        let data = try JSONParser.parse(quarter.stdout)["data"]
        // The ledger's own generation spend for the window's one request: G-118-2's 15.00 (G-118-1 failed, no cost).
        #expect(data?["actual_spend_micros"]?.integerValue == 15_000_000 && data?["requests"]?.integerValue == 1)
        let mixed = try GenLedgerProcess.run(
            ["replay", "--compare-published", "video@1", "--quarter", "2026-Q3", "--from", "2026-07-01"], in: directory)
        #expect(mixed.status == 64)
    }

    @Test("policy check reports every wrong entry of a file, and with --ledger what publish would append")
    func policyCheck() throws {
        let directory = TemporaryDirectory("genledger-policy-check")
        let policies = directory.path("policies")
        try FileManager.default.copyItem(atPath: RepositoryFiles.path("policies"), toPath: policies)
        let routing = try FileManager.default.contentsOfDirectory(atPath: policies + "/routing").sorted()
        let file = policies + "/routing/" + routing[0]
        var text = try String(contentsOfFile: file, encoding: .utf8)
        // Two wrong rules in one file: both are reported.
        var count = 0
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.contains("tier:"), line.trimmingCharacters(in: .whitespaces).hasPrefix("tier:"), count < 2 else { return String(line) }
            count += 1
            return line.replacingOccurrences(of: line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces), with: "platinum-\(count)")
        }.joined(separator: "\n")
        #expect(count == 2)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let checked = try GenLedgerProcess.run(["policy", "check", policies], in: directory)
        #expect(checked.status == 65)
        #expect(checked.stderr.contains("platinum-1") && checked.stderr.contains("platinum-2"), "\(checked.stderr)")

        // Against a ledger: what publish would append, then nothing once published.
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let plan = try GenLedgerProcess.run(["policy", "check", RepositoryFiles.path("policies"), "--ledger", "genledger.db"], in: directory)
        #expect(plan.status == 0 && plan.stdout.contains("publish would append") && plan.stdout.contains("policy.published"), "\(plan.stderr)")
        #expect(try GenLedgerProcess.run(["log"], in: directory).stdout.isEmpty, "a check appends nothing")
        #expect(try GenLedgerProcess.run(["policy", "publish", RepositoryFiles.path("policies")], in: directory).status == 0)
        let after = try GenLedgerProcess.run(["policy", "check", RepositoryFiles.path("policies"), "--ledger", "genledger.db"], in: directory)
        #expect(after.stdout.contains("publish would append nothing"))
    }

    @Test("help text is written for ArgumentParser's wrapping: no line broken short inside a paragraph")
    func helpWraps() throws {
        let directory = TemporaryDirectory("genledger-help")
        let commands = [
            [], ["init"], ["append"], ["import"], ["log"], ["checkpoint"], ["verify"], ["prove"], ["verify-proof"], ["export"],
            ["policy", "check"], ["policy", "publish"], ["route"], ["gate", "check"], ["override"], ["key", "approver"],
            ["routing", "current"], ["routing", "history"], ["routing", "diff"], ["report", "quarterly"], ["report", "costs"],
            ["report", "compliance"], ["replay"], ["explain"], ["rebuild"], ["serve"], ["simulate"],
        ]
        for command in commands {
            let help = try GenLedgerProcess.run(["help"] + command, environment: ["COLUMNS": "200"], in: directory)
            let lines = help.stdout.components(separatedBy: "\n").prefix { !$0.hasPrefix("USAGE:") }
            for (a, b) in zip(lines, lines.dropFirst()) where !a.isEmpty && !b.isEmpty && !b.hasPrefix(" ") && !a.hasPrefix(" ") {
                let nextWord = b.split(separator: " ").first.map(String.init) ?? ""
                #expect(
                    a.count + 1 + nextWord.count > 170 || a.hasSuffix(":"),
                    "genledger \(command.joined(separator: " ")): a hard line break inside a sentence: '\(a)' / '\(b)'")
            }
        }
    }
}
