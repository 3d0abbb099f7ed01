import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// The hand-written spring campaign of Tests/Fixtures/campaign-history (82 events, its lines
/// numbered below as in the file), imported as history and appended live, every figure and
/// finding worked out here by hand.
///
/// Lines: 1 policy v2 (key-visual delivery cap 2, require-approval; approver:lena's key);
/// 2-5 templates; 6-11 campaign C-SPRING (seed 777 locked) and D-HERO, D-KV, D-PROD, D-SOC;
/// D-HERO 12-31: veo-3.1 times out (13-14), fallback to sora-2-pro (15-16), rejected (19),
/// regeneration (22), attempt 2 on veo-3.1 accepted, upscaled, asked and delivered;
/// 32 veo-3.1's price change; D-KV 33-56: two rejected attempts, the third denied at the cap
/// (45, the gate's record), lena's signed override (46), attempt 3 approved (47), delivered;
/// D-PROD 57-63: image-to-video from D-KV's upscaled still, delivered without an upscale (63);
/// D-SOC 64-75: one generation on budget-tier hailuo-02 with seed 1234 (65: two violations,
/// and a warning: the decision chose kling), failed (66), then kling with the locked seed;
/// 76-82 campaign C-OTHER: a draft delivered with no accepted review (82).
@Suite("Recording what happened: import, live appends, compliance per rule, signed overrides", .serialized)
struct HistoryImportTests {
    static let history = RepositoryFiles.path("Tests/Fixtures/campaign-history/history.jsonl")

    static func lines() throws -> [String] {
        try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// A ledger with the shipped policies published at the history's start.
    static func ledger() throws -> (TemporaryDirectory, UInt64) {
        let directory = TemporaryDirectory("genledger-history")
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let publish = try GenLedgerProcess.run(
            ["policy", "publish", RepositoryFiles.path("policies"), "--occurred-at", "2026-06-01"], in: directory)
        #expect(publish.status == 0, "\(publish.stderr)")
        return (directory, try size(directory))
    }

    static func size(_ directory: TemporaryDirectory) throws -> UInt64 {
        try Ledger(opening: directory.path("genledger.db")).size()
    }

    static func run(_ arguments: [String], stdin: String? = nil, in directory: TemporaryDirectory) throws -> GenLedgerProcess.Result {
        try GenLedgerProcess.run(arguments, stdin: stdin, in: directory)
    }

    static func json(_ arguments: [String], in directory: TemporaryDirectory) throws -> JSONValue {
        let result = try run(arguments + ["--format", "json"], in: directory)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try JSONParser.parse(result.stdout)
    }

    /// rule → [allowed, warned, approved, denied, violated] from the compliance JSON.
    static func counts(_ report: JSONValue) -> [String: [Int64]] {
        var counts: [String: [Int64]] = [:]
        for rule in report["data"]?["rules"]?.arrayValue ?? report["rules"]?.arrayValue ?? [] {
            counts[rule["rule"]!.stringValue!] = ["allowed", "warned", "approved", "denied", "violated"].map {
                rule[$0]?.integerValue ?? -1
            }
        }
        return counts
    }

    static func findings(_ report: JSONValue) -> [String] {
        (report["data"]?["findings"]?.arrayValue ?? report["findings"]?.arrayValue ?? []).map {
            "\($0["rule"]!.stringValue!) \($0["result"]!.stringValue!) \($0["seq"]!.integerValue!)"
        }
    }

    @Test("import: every event kept with its time, judged in audit mode, every violation a finding; a re-import adds nothing")
    func importHistory() throws {
        let (directory, base) = try Self.ledger()
        let imported = try Self.run(["import", Self.history], in: directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported 82 of 82 events (seq \(base + 1)–\(base + 82))"), "\(imported.stdout)")
        #expect(imported.stdout.contains("judged by the gate (audit mode): 18 allowed, 1 approved, 3 violated"), "\(imported.stdout)")
        #expect(try Self.size(directory) == base + 82)
        let again = try Self.run(["import", Self.history], in: directory)
        #expect(again.status == 0 && again.stdout.contains("imported 0 of 82 events; 82 already recorded"), "\(again.stdout)")
        #expect(try Self.size(directory) == base + 82)

        // Every event keeps its occurred_at; the line at seq base + n is line n.
        let ledger = try Ledger(opening: directory.path("genledger.db"))
        for (index, line) in try Self.lines().enumerated() {
            let recorded = try #require(try ledger.event(seq: base + UInt64(index) + 1))
            let given = try JSONParser.parse(line)
            #expect(recorded.type == given["type"]?.stringValue && recorded.occurredAt.hasPrefix(String(given["occurred_at"]!.stringValue!.prefix(16))))
        }
        let denied = try #require(try ledger.event(seq: base + 65))
        #expect(denied.payload["gate"]?["mode"] == "audit" && denied.payload["gate"]?["outcome"] == "violated")

        // Compliance, by hand: 10 generations (9 in C-SPRING, D-OTH's one), 3 regenerations and the
        // imported denial, 3 delivery requests, 5 deliveries, 1 override.
        let report = try Self.json(["report", "compliance", "--from", "2026-07-01", "--to", "2026-07-31"], in: directory)
        let counts = Self.counts(report)
        #expect(counts["model-status"] == [10, 0, 0, 0, 0])
        #expect(counts["attempt-granted"] == [10, 0, 0, 0, 0])
        #expect(counts["tier-by-stage"] == [9, 0, 0, 0, 1])
        #expect(counts["locked-seed"] == [9, 0, 0, 0, 1])
        #expect(counts["template-published"] == [10, 0, 0, 0, 0])
        #expect(counts["routing-followed"] == [9, 1, 0, 0, 0])
        #expect(counts["deliverable-budget"] == [10, 0, 0, 0, 0])
        #expect(counts["campaign-budget"] == [10, 0, 0, 0, 0])
        #expect(counts["regeneration-cap"] == [2, 0, 1, 1, 0])
        #expect(counts["refinement-before-delivery"] == [7, 0, 0, 0, 1])
        #expect(counts["review-before-delivery"] == [7, 0, 0, 0, 1])
        #expect(counts["approvers"] == [1, 0, 0, 0, 0])
        #expect(
            Self.findings(report) == [
                "regeneration-cap denied \(base + 45)", "regeneration-cap approved \(base + 47)",
                "refinement-before-delivery violated \(base + 63)", "tier-by-stage violated \(base + 65)",
                "locked-seed violated \(base + 65)", "routing-followed warned \(base + 65)",
                "review-before-delivery violated \(base + 82)",
            ])
        for finding in report["data"]?["findings"]?.arrayValue ?? [] {
            let event = try #require(try ledger.event(seq: UInt64(finding["seq"]!.integerValue!)))
            #expect(event.hash.hex == finding["hash"]?.stringValue)
        }
        let noteValues = try #require(report["data"]?["notes"]?.arrayValue)
        let notes = noteValues.compactMap(\.stringValue)
        #expect(notes.first == "23 judged events: 4 rule violations recorded, 1 request denied, 1 rule passed by an approver's override, 1 warning.")
        // The Markdown says the same.
        let markdown = try Self.run(["report", "compliance", "--from", "2026-07-01", "--to", "2026-07-31"], in: directory).stdout
        #expect(markdown.contains("| tier-by-stage | 9 | 0 | 0 | 0 | 1 |"))
        #expect(markdown.contains("| regeneration-cap | 2 | 0 | 1 | 1 | 0 |"))
        #expect(markdown.contains("| locked-seed | violated | \(base + 65) |"))
        for note in notes { #expect(markdown.contains(note), "the JSON note '\(note)' is in the Markdown") }

        // --campaign: only that campaign's figures; an unknown campaign is an error.
        let spring = try Self.json(
            ["report", "compliance", "--from", "2026-07-01", "--to", "2026-07-31", "--campaign", "C-SPRING"], in: directory)
        // Three delivery requests and four deliveries, all reviewed: D-OTH's violation is C-OTHER's.
        #expect(Self.counts(spring)["review-before-delivery"] == [7, 0, 0, 0, 0])
        #expect(Self.counts(spring)["model-status"] == [9, 0, 0, 0, 0])
        #expect(!Self.findings(spring).contains("review-before-delivery violated \(base + 82)"))
        let other = try Self.json(
            ["report", "compliance", "--from", "2026-07-01", "--to", "2026-07-31", "--campaign", "C-OTHER"], in: directory)
        #expect(Self.findings(other) == ["review-before-delivery violated \(base + 82)"])
        let unknown = try Self.run(
            ["report", "compliance", "--from", "2026-07-01", "--to", "2026-07-31", "--campaign", "C-9999"], in: directory)
        #expect(unknown.status == 65 && unknown.stderr.contains("campaign 'C-9999' is not in the ledger"), "\(unknown.stderr)")
        let empty = try Self.run(["report", "compliance", "--from", "2025-01-01", "--to", "2025-01-31"], in: directory)
        #expect(empty.status == 0 && empty.stdout.contains("No event judged by the gate occurred in this period"))

        try Self.expectSpend(directory)
        #expect(try Self.run(["rebuild", "--check"], in: directory).status == 0)
        #expect(try Self.run(["verify"], in: directory).status == 0)
    }

    /// Spend per deliverable and cost kind, and attempts, from the fixture's cost lines.
    static func expectSpend(_ directory: TemporaryDirectory) throws {
        // micros: generation, refinement, review-time, opportunity; attempts; generations.
        let expected: [String: ([Int64], Int64, Int)] = [
            // 10.00 (sora) + 8.00 (veo); upscale 1.60; reviews 3.00 + 3.00; the rejected take's 20.00.
            "D-HERO": ([18_000_000, 1_600_000, 6_000_000, 20_000_000], 2, 3),
            // three stills at 0.06; upscale 0.20; three reviews at 1.00.
            "D-KV": ([180_000, 200_000, 3_000_000, 0], 3, 3),
            "D-PROD": ([500_000, 0, 2_000_000, 0], 1, 1),
            // the failed hailuo run recorded no cost; kling 0.70; upscale 0.80; review 1.00.
            "D-SOC": ([700_000, 800_000, 1_000_000, 0], 1, 2),
        ]
        let kinds = ["generation", "refinement", "review-time", "opportunity"]
        for (deliverable, (spend, attempts, generations)) in expected {
            let report = try json(["report", "deliverable", deliverable], in: directory)
            let data = try #require(report["data"])
            #expect(kinds.map { data["spend"]?["\($0)_micros"]?.integerValue ?? -1 } == spend, "\(deliverable)")
            #expect(data["spend"]?["total_micros"]?.integerValue == spend.reduce(0, +))
            #expect(data["attempts"]?.integerValue == attempts && data["generations"]?.arrayValue?.count == generations)
        }
        let campaign = try json(["report", "campaign", "C-SPRING"], in: directory)
        #expect(
            kinds.map { campaign["data"]?["spend"]?["\($0)_micros"]?.integerValue ?? -1 } == [
                19_380_000, 2_600_000, 12_000_000, 20_000_000,
            ])
        let markdown = try run(["report", "campaign", "C-SPRING"], in: directory).stdout
        #expect(markdown.contains("Spend 53.98 USD: generation 19.38 USD, refinement 2.60 USD, review time 12.00 USD, opportunity 20.00 USD."))
        #expect(!markdown.contains("D-OTH") && !markdown.contains("| 0.28 |"), "C-OTHER's deliverable and spend are not C-SPRING's")
        #expect(markdown.contains("Campaign budget 5,000.00 USD: 1.1% used."))
        #expect(markdown.contains("| total |  |  | 7 | 9 | 19.38 | 2.60 | 12.00 | 20.00 | 53.98 | 5,000.00 | 1.1% | 3 | 1 | 4 delivered |"))
        #expect(try run(["report", "deliverable", "D-NONE"], in: directory).status == 65)
        #expect(try run(["report", "campaign", "C-NONE"], in: directory).status == 65)
    }

    @Test("the same history appended live: requests denied and recorded, facts recorded with their violations")
    func liveAppends() throws {
        let (directory, _) = try Self.ledger()
        let lines = try Self.lines()
        func append(_ range: ClosedRange<Int>) throws {
            let result = try Self.run(["append", "--each"], stdin: lines[(range.lowerBound - 1)...(range.upperBound - 1)].joined(separator: "\n"), in: directory)
            #expect(result.status == 0, "lines \(range): \(result.stderr)")
        }
        try append(1...44)
        // Line 45 is the gate's record of a request: live, the request itself is judged, and denied.
        let judged = try JSONParser.parse(lines[44])["payload"]?["judged"]
        let request = CanonicalJSON.string(of: try #require(judged))
        let denied = try Self.run(["append"], stdin: request, in: directory)
        #expect(denied.status == 4 && denied.stderr.contains("rule 'regeneration-cap'"), "\(denied.stderr)")
        try append(46...64)
        let budgetTier = try Self.run(["append"], stdin: lines[64], in: directory)
        #expect(budgetTier.status == 4, "\(budgetTier.stderr)")
        #expect(budgetTier.stderr.contains("budget-tier model 'hailuo-02'") && budgetTier.stderr.contains("locked-seed: seed 1234"), "\(budgetTier.stderr)")
        // The failure of a generation that was never allowed is an unknown reference, not a policy matter.
        let orphan = try Self.run(["append"], stdin: lines[65], in: directory)
        #expect(orphan.status == 65 && orphan.stderr.contains("generation 'G-S1' was never requested"), "\(orphan.stderr)")
        try append(67...82)

        let report = try Self.json(["report", "compliance", "--from", "2026-07-01", "--to", "2026-07-31"], in: directory)
        let counts = Self.counts(report)
        #expect(counts["tier-by-stage"] == [9, 0, 0, 1, 0])
        #expect(counts["locked-seed"] == [9, 0, 0, 1, 0])
        #expect(counts["routing-followed"] == [9, 1, 0, 0, 0])
        #expect(counts["model-status"] == [9, 0, 0, 0, 0], "the denied generation's passing rules are not counted")
        #expect(counts["regeneration-cap"] == [2, 0, 1, 1, 0])
        #expect(counts["refinement-before-delivery"] == [7, 0, 0, 0, 1])
        #expect(counts["review-before-delivery"] == [7, 0, 0, 0, 1])
        let log = try Self.run(["log", "--type", "policy.denied", "--json"], in: directory).stdout
        #expect(log.split(separator: "\n").count == 2)
        #expect(try Self.run(["rebuild", "--check"], in: directory).status == 0)
        #expect(try Self.run(["verify"], in: directory).status == 0)
    }

    @Test("an import with a bad line names it and writes nothing; history needs its times")
    func badImports() throws {
        let (directory, base) = try Self.ledger()
        var lines = try Self.lines()
        lines[29] = lines[29].replacingOccurrences(of: "\"asset\":\"A-H2-UP\"", with: "\"asset\":\"A-NOWHERE\"")
        let file = directory.path("bad.jsonl")
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try Self.run(["import", file], in: directory)
        #expect(bad.status == 65 && bad.stderr.contains("line 30") && bad.stderr.contains("A-NOWHERE"), "\(bad.stderr)")
        #expect(try Self.size(directory) == base, "nothing of the import was written")
        let timeless = directory.path("timeless.jsonl")
        try EventLines.openCampaign("C-T").write(toFile: timeless, atomically: true, encoding: .utf8)
        let noTime = try Self.run(["import", timeless], in: directory)
        #expect(noTime.status == 65 && noTime.stderr.contains("occurred_at"), "\(noTime.stderr)")
    }

    @Test("overrides prove their approver: unsigned or foreign-key overrides are refused, a registered key's signature accepted")
    func signedOverrides() throws {
        let (directory, _) = try Self.ledger()
        #expect(try Self.run(["import", Self.history], in: directory).status == 0)
        let unsigned =
            #"{"type":"policy.override_granted","stream":"deliverable/D-OTH","payload":{"deliverable":"D-OTH","policy":"governance","rule":"regeneration-cap","approver":"approver:lena","reason":"deadline","extra_attempts":2}}"#
        let refused = try Self.run(["append"], stdin: unsigned, in: directory)
        #expect(refused.status == 4 && refused.stderr.contains("is not proven"), "\(refused.stderr)")

        let key = try Self.run(["key", "approver", "--name", "approver:lena", "--out", "lena.key"], in: directory)
        #expect(key.status == 0, "\(key.stderr)")
        let verifier = try #require(key.stdout.split(separator: "\n").first { $0.hasPrefix("verifier key: ") }).dropFirst(14)
        let override = ["override", "--deliverable", "D-OTH", "--rule", "regeneration-cap", "--extra-attempts", "2",
                        "--key-file", "lena.key", "--reason", "client deadline"]
        // The policy in force registers another key for lena: this signature does not verify.
        let foreign = try Self.run(override, in: directory)
        #expect(foreign.status == 4 && foreign.stderr.contains("does not verify"), "\(foreign.stderr)")

        // Register the new key (policy v3), then the same command is accepted and attributed.
        let policies = try RepositoryFiles.copyOfPolicies(in: directory)
        let governance = (policies as NSString).appendingPathComponent("governance.yaml")
        try String(contentsOfFile: governance, encoding: .utf8)
            .replacingOccurrences(of: "version: 1", with: "version: 3")
            .replacingOccurrences(
                of: "approvers: [approver:lena, approver:marcus]", with: "approvers: [{id: \"approver:lena\", key: \"\(verifier)\"}, approver:marcus]")
            .write(toFile: governance, atomically: true, encoding: .utf8)
        let publish = try Self.run(["policy", "publish", policies], in: directory)
        #expect(publish.status == 0, "\(publish.stderr)")
        let granted = try Self.run(override, in: directory)
        #expect(granted.status == 0, "\(granted.stderr)")
        let recorded = try Self.run(["log", "--type", "policy.override_granted", "--json"], in: directory).stdout
        let lastLine = try #require(recorded.split(separator: "\n").last)
        let last = try JSONParser.parse(String(lastLine))
        #expect(last["actor"] == "approver:lena")
        #expect(last["payload"]?["gate"]?["approval"]?["proven_by"]?.stringValue?.hasPrefix("signature approver:lena+") == true)
        // A key file of another name cannot sign for lena.
        #expect(try Self.run(["key", "approver", "--name", "approver:marcus", "--out", "marcus.key"], in: directory).status == 0)
        let impostor = try Self.run(override.map { $0 == "lena.key" ? "marcus.key" : $0 } + ["--approver", "approver:lena"], in: directory)
        #expect(impostor.status == 65, "\(impostor.stderr)")
    }

    @Test("command-line writers record a real actor, never 'unknown'")
    func actors() throws {
        let (directory, _) = try Self.ledger()
        let result = try GenLedgerProcess.run(
            ["append", "--json"], stdin: EventLines.openCampaign("C-A"), environment: ["USER": "", "GENLEDGER_ACTOR": ""],
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let log = try Self.run(["log", "--type", "campaign.opened", "--json"], in: directory).stdout
        let line = try #require(log.split(separator: "\n").last)
        let actor = try #require(try JSONParser.parse(String(line))["actor"]?.stringValue)
        #expect(actor.hasPrefix("cli:") && actor != "cli:unknown" && actor.count > 4, "\(actor)")
    }
}
