import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Reports
import Testing

/// Replays on small ledgers built by hand. The shipped video table routes every draft to
/// hailuo-02 (budget tier) with wan-2.2 as its fallback.
@Suite("Replay: history re-routed under a candidate table, with estimates from observed rates")
struct ReplayTests {
    /// The shipped video table with `edit` applied to its text, written as a candidate file.
    static func candidate(_ studio: Studio, _ name: String, _ edit: (String) -> String) throws -> CandidateTable {
        let text = try String(contentsOfFile: RepositoryFiles.path("policies/routing/video.yaml"), encoding: .utf8)
        let path = studio.directory.path(name)
        try edit(text.replacingOccurrences(of: "version: 1", with: "version: 9")).write(
            toFile: path, atomically: true, encoding: .utf8)
        let projections = Projections(studio.ledger)
        return try CandidateTable(file: path, knownModels: try projections.registeredModels(asOf: try studio.ledger.size()))
    }

    /// The drafts rule with wan-2.2 first and hailuo-02 as its fallback.
    static func wanFirst(_ text: String) -> String {
        text.replacingOccurrences(of: "primary: hailuo-02", with: "primary: wan-2.2")
            .replacingOccurrences(of: "default: [wan-2.2]", with: "default: [hailuo-02]")
    }

    func cost(_ studio: Studio, _ deliverable: String, _ kind: String, _ amount: Double, generation: String? = nil) throws {
        var payload: [String: JSONValue] = [
            "deliverable": .string(deliverable), "kind": .string(kind), "amount": .number(amount), "currency": "USD",
        ]
        if let generation { payload["generation"] = .string(generation) }
        try studio.append(.costRecorded, "deliverable/\(deliverable)", .object(payload))
    }

    /// A generation (routed by the table; `model` forces the model used), its generation cost
    /// and its review with review time; returns the asset.
    @discardableResult
    func attempt(
        _ studio: Studio, _ deliverable: String, attempt: Int64, model: String? = nil, price: Double, accepted: Bool
    ) throws -> String {
        let asset = try studio.generate(deliverable, attempt: attempt, model: model)
        try cost(studio, deliverable, "generation", price, generation: String(asset.dropLast("-asset".count)))
        try studio.review(deliverable, asset, accepted: accepted)
        try cost(studio, deliverable, "review-time", 1)
        if !accepted { try cost(studio, deliverable, "opportunity", 0.5) }
        return asset
    }

    @Test("every re-routing and estimated figure, worked out by hand", arguments: TestStore.allCases)
    func figuresByHand(store: TestStore) throws {
        let studio = try Studio(store: store)
        // History (all concept-sketch drafts, routed to hailuo-02):
        // hailuo-02: 2 attempts (2.00 each), 1 accepted → cost/attempt 2.00, multiplier 2.
        // wan-2.2 (forced): 1 attempt at 1.00, accepted → cost/attempt 1.00, multiplier 1.
        // Category: 3 attempts, review time 3 × 1.00 + opportunity 0.50 → 3.5 / 3 per attempt.
        try studio.openDeliverable("D-1", category: "concept-sketch", stage: .draft)
        let first = try attempt(studio, "D-1", attempt: 1, price: 2, accepted: false)
        try studio.governed.append(studio.regeneration("D-1", prior: first))
        try attempt(studio, "D-1", attempt: 2, price: 2, accepted: true)
        try studio.openDeliverable("D-2", category: "concept-sketch", stage: .draft)
        try attempt(studio, "D-2", attempt: 1, model: "wan-2.2", price: 1, accepted: true)
        // The replayed window: a day later, one concept-sketch request and one key-visual request
        // (a category with no history at all: the budget tier's pooled figures stand in).
        studio.clock = try Timestamp(rfc3339: "2026-07-10T09:00:00Z")
        try studio.openDeliverable("D-3", category: "concept-sketch", stage: .draft)
        try studio.generate("D-3", attempt: 1)
        try studio.openDeliverable("D-4", category: "key-visual", stage: .draft)
        try studio.generate("D-4", attempt: 1)

        let projections = Projections(studio.ledger)
        let replay = try projections.replay(
            try Self.candidate(studio, "wan-first.yaml", Self.wanFirst), window: .init(from: CalendarDate("2026-07-10")),
            asOf: try studio.ledger.size())
        #expect(replay.requests == 2 && replay.changed == 2 && replay.unroutableRequests == 0)
        #expect(
            replay.moves.map { [$0.category, $0.from, $0.to, String($0.requests)] } == [
                ["concept-sketch", "hailuo-02", "wan-2.2", "1"], ["key-visual", "hailuo-02", "wan-2.2", "1"],
            ])
        // concept-sketch: before hailuo-02, spend 2.00, TC (2 + 3.5/3) × 2; after wan-2.2, spend
        // 1.00 × 1/2, TC (1 + 3.5/3) × 1. key-visual: both sides take the budget tier's pooled
        // figures as of D-4's request, which include D-3's attempt on hailuo-02 just before it
        // (4 attempts, 2 accepted, 5.00 spent): cost/attempt 5/4, multiplier 2, TC 5/4 × 2 (no
        // time recorded in key-visual).
        let time = 3.5 / 3
        let pooled = (cost: 5.0 / 4, multiplier: 2.0)
        func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) < 1e-6 } ?? false }
        #expect(close(replay.before.spendMicros / 1e6, 2 + pooled.cost))
        #expect(close(replay.after.spendMicros / 1e6, 0.5 + pooled.cost))
        #expect(close(replay.before.regenerationMultiplier, (2 + pooled.multiplier) / 2))
        #expect(close(replay.after.regenerationMultiplier, (1 + pooled.multiplier) / 2))
        #expect(close(replay.before.failureRate, 0) && close(replay.after.failureRate, 0))
        #expect(
            close(
                replay.before.trueCostPerAcceptableMicros.map { $0 / 1e6 },
                ((2 + time) * 2 + pooled.cost * pooled.multiplier) / 2))
        #expect(
            close(
                replay.after.trueCostPerAcceptableMicros.map { $0 / 1e6 },
                ((1 + time) * 1 + pooled.cost * pooled.multiplier) / 2))
        #expect(replay.lowConfidence == 1 && replay.withoutEstimate == 0)
        #expect(
            replay.byCategory.map { [$0.category, String($0.lowConfidence)] } == [["concept-sketch", "0"], ["key-visual", "1"]])
        let sketch = try #require(replay.byCategory.first { $0.category == "concept-sketch" })
        #expect(close(sketch.before.spendMicros / 1e6, 2) && close(sketch.after.spendMicros / 1e6, 0.5))

        // The report says it in every format, and the figures agree.
        let document = try ReplayReport.build(projections, replay)
        let json = try JSONParser.parse(document.rendered(as: .json))
        #expect(json["data"]?["changed"]?.integerValue == 2)
        #expect(json["data"]?["after"]?["spend"] == .number(((0.5 + pooled.cost) * 100).rounded() / 100))
        #expect(document.rendered(as: .md).contains("| concept-sketch | hailuo-02 (budget) | wan-2.2 (budget) | 1 |"))
        #expect(document.rendered(as: .html).contains("<svg"))
        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("the table in force as the candidate changes nothing, and estimates equal on both sides", arguments: TestStore.allCases)
    func tableInForce(store: TestStore) throws {
        let studio = try Studio(store: store)
        for i in 1...4 {
            try studio.openDeliverable("D-\(i)", category: i % 2 == 0 ? "concept-sketch" : "social-short", stage: .draft)
            try attempt(studio, "D-\(i)", attempt: 1, price: Double(i), accepted: true)
        }
        let projections = Projections(studio.ledger)
        let size = try studio.ledger.size()
        let inForce = try projections.publishedCandidate(table: "video", version: 1, asOf: size)
        let replay = try projections.replay(inForce, asOf: size)
        #expect(replay.requests == 4 && replay.changed == 0 && replay.unroutableRequests == 0 && replay.moves.isEmpty)
        #expect(replay.before == replay.after && replay.before.requests == 3)  // the first request has no history yet
        // As of the third deliverable's opening, only the first two requests had been recorded.
        let third = try #require(try studio.ledger.events(type: "deliverable.opened").dropFirst(2).first).seq
        let earlier = try projections.replay(inForce, asOf: third)
        #expect(earlier.requests == 2 && earlier.lastSeq! < third)
        #expect(try studio.ledger.size() == size)
    }

    @Test("a candidate that puts a retired model first moves all its traffic to the fallbacks for 'retired'", arguments: TestStore.allCases)
    func retiredPrimary(store: TestStore) throws {
        let studio = try Studio(store: store)
        for i in 1...3 {
            try studio.openDeliverable("D-\(i)", category: "concept-sketch", stage: .draft)
            try attempt(studio, "D-\(i)", attempt: 1, price: 1, accepted: true)
        }
        try studio.openDeliverable("H-1", category: "hero-video", stage: .delivery)
        try studio.generate("H-1", attempt: 1)
        let candidate = try Self.candidate(studio, "retired.yaml") {
            $0.replacingOccurrences(of: "primary: hailuo-02", with: "primary: legacy-gen2")
                .replacingOccurrences(of: "default: [wan-2.2]", with: "retired: [wan-2.2]\n      default: [hailuo-02]")
        }
        let replay = try Projections(studio.ledger).replay(candidate, asOf: try studio.ledger.size())
        #expect(replay.requests == 4 && replay.changed == 3)
        #expect(replay.moves.map { [$0.from, $0.to, String($0.requests)] } == [["hailuo-02", "wan-2.2", "3"]])
    }

    @Test("requests a candidate cannot route are reported with their seqs and why", arguments: TestStore.allCases)
    func unroutable(store: TestStore) throws {
        let studio = try Studio(store: store)
        var seqs: [UInt64] = []
        for i in 1...3 {
            try studio.openDeliverable("D-\(i)", category: "concept-sketch", stage: .draft)
            try studio.generate("D-\(i)", attempt: 1)
            seqs.append(try studio.ledger.events(type: "routing.decided").last!.seq)
        }
        // Only the hero rule is left: drafts match nothing.
        let candidate = try Self.candidate(studio, "hero-only.yaml") { text in
            let start = text.range(of: "  - id: drafts")!.lowerBound
            let end = text.range(of: "  - id: hero-cinematic")!.lowerBound
            let heroEnd = text.range(of: "  - id: character-series")!.lowerBound
            return String(text[..<start]) + String(text[end..<heroEnd])
        }
        let replay = try Projections(studio.ledger).replay(candidate, asOf: try studio.ledger.size())
        #expect(replay.unroutableRequests == 3 && replay.changed == 0)
        #expect(replay.unroutable.map(\.seqs) == [seqs] && replay.unroutable.first?.category == "concept-sketch")
        #expect(replay.unroutable.first?.reason.contains("no rule matches") == true)
    }

    @Test("genledger replay writes nothing; --record appends one replay.completed, projected and validated")
    func cli() throws {
        let directory = TemporaryDirectory()
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let simulate = try GenLedgerProcess.run(
            ["simulate", "--seed", "7", "--deliverables", "60", "--months", "3", "--policies", RepositoryFiles.path("policies")],
            in: directory)
        #expect(simulate.status == 0, "\(simulate.stderr)")
        func size() throws -> UInt64 { try Ledger(opening: directory.path("genledger.db")).size() }
        let before = try size()

        let plain = try GenLedgerProcess.run(["replay", "--compare-published", "video@1", "--format", "json"], in: directory)
        #expect(plain.status == 0, "\(plain.stderr)")
        let data = try JSONParser.parse(plain.stdout)["data"]
        #expect(data?["requests"]?.integerValue ?? 0 > 0 && data?["source"] == "published")
        #expect(try size() == before)

        let recorded = try GenLedgerProcess.run(
            ["replay", "--compare-published", "1", "--table", "video", "--from", "2026-01-01", "--record"], in: directory)
        #expect(recorded.status == 0 && recorded.stderr.contains("recorded as replay.completed at seq \(before + 1)"))
        #expect(try size() == before + 1)
        let event = try #require(try Ledger(opening: directory.path("genledger.db")).event(seq: before + 1))
        #expect(event.type == "replay.completed" && event.stream == "routing/video")
        #expect(event.payload["candidate_digest"] == data?["candidate_digest"] && event.payload["from"] == "2026-01-01")

        let history = try GenLedgerProcess.run(["routing", "history"], in: directory)
        #expect(history.stdout.contains("## What-ifs weighed") && history.stdout.contains("| \(before + 1) |"))

        // Bad input names what is wrong, and writes nothing.
        let missing = try GenLedgerProcess.run(["replay", "--compare-published", "video@7"], in: directory)
        #expect(missing.status == 65 && missing.stderr.contains("published: image@1, video@1"))
        let both = try GenLedgerProcess.run(["replay"], in: directory)
        #expect(both.status == 64)
        let badDate = try GenLedgerProcess.run(["replay", "--compare-published", "video@1", "--from", "July"], in: directory)
        #expect(badDate.status == 65 && badDate.stderr.contains("from"))
        #expect(try size() == before + 1)
        let rebuilt = try GenLedgerProcess.run(["rebuild", "--check"], in: directory)
        #expect(rebuilt.status == 0, "\(rebuilt.stdout)\(rebuilt.stderr)")
    }
}
