import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Reports
import Testing

/// A hand-built 2026-Q3 whose every figure is worked out below, independently of the code.
@Suite("Quarterly model review: every figure of a hand-built quarter")
struct QuarterlyReviewTests {
    final class Scenario {
        let studio: Studio
        var seqs: [String: UInt64] = [:]

        init() throws {
            studio = try Studio()
            // D-1: accepted on its first attempt (hailuo-02, draft).
            try studio.openDeliverable("D-1", category: "social-short", stage: .draft)
            let a1 = try studio.generate("D-1", attempt: 1, model: "hailuo-02")
            try cost("D-1", .generation, 0.28, generation: "D-1-G1")
            try studio.review("D-1", a1)
            try cost("D-1", .reviewTime, 2.50, asset: a1)

            // D-2: never accepted (two rejected attempts).
            try studio.openDeliverable("D-2", category: "social-short", stage: .draft)
            let a2 = try studio.generate("D-2", attempt: 1, model: "hailuo-02")
            try cost("D-2", .generation, 0.28, generation: "D-2-G2")
            try studio.review("D-2", a2, accepted: false)
            try cost("D-2", .reviewTime, 1.25, asset: a2)
            try cost("D-2", .opportunity, 5.00, asset: a2)
            try studio.governed.append(studio.regeneration("D-2", prior: a2))
            let a3 = try studio.generate("D-2", attempt: 2, model: "hailuo-02")
            try cost("D-2", .generation, 0.28, generation: "D-2-G3")
            try studio.review("D-2", a3, accepted: false)
            try cost("D-2", .reviewTime, 1.25, asset: a3)

            // D-3: veo-3.1 fails (timeout), the fallback on sora-2-pro fails too (content-filter).
            try studio.openDeliverable("D-3", category: "hero-video", stage: .delivery)
            let decision = try studio.governed.route(
                RouteRequest(deliverable: "D-3", category: "hero-video", stage: .delivery, modality: .textToVideo)
            )
            .decision.decision
            try studio.append(
                .generationRequested, "deliverable/D-3", generation("D-3", "G-veo", model: "veo-3.1", decision: decision))
            try studio.append(
                .generationFailed, "deliverable/D-3",
                ["deliverable": "D-3", "generation": "G-veo", "failure_mode": "timeout", "latency_ms": 600000])
            try fallback("G-veo", from: "veo-3.1", to: "sora-2-pro", mode: "timeout")
            var second = generation("D-3", "G-sora", model: "sora-2-pro", decision: decision)
            if case .object(var members) = second {
                members["fallback_from"] = ["generation": "G-veo", "failure_mode": "timeout"]; second = .object(members)
            }
            try studio.append(.generationRequested, "deliverable/D-3", second)
            try studio.append(
                .generationFailed, "deliverable/D-3",
                ["deliverable": "D-3", "generation": "G-sora", "failure_mode": "content-filter"])
            try fallback("G-sora", from: "sora-2-pro", to: "veo-3.1", mode: "content-filter")

            // Mid-quarter: a price change and a version change.
            studio.clock = try Timestamp(rfc3339: "2026-08-15T09:00:00Z")
            seqs["price"] = try studio.append(
                .modelPricingChanged, "model/veo-3.1",
                [
                    "model": "veo-3.1", "pricing": ["unit": "per-second", "amount": 0.35, "currency": "USD"],
                    "effective": "2026-08-15",
                ]
            ).appended.seq
            seqs["version"] = try studio.append(
                .modelVersionChanged, "model/kling-2.5-turbo",
                ["model": "kling-2.5-turbo", "version": "2.6", "effective": "2026-08-20"]
            ).appended.seq

            // D-4: key-visual delivery, cap 5 (require approval): five rejections, an override, accepted on the sixth.
            try studio.openDeliverable("D-4", category: "key-visual", stage: .delivery, modality: .textToImage)
            var asset = try studio.generate("D-4", attempt: 1)
            for attempt in Int64(2)...6 {
                try studio.review("D-4", asset, accepted: false)
                if attempt == 6 {
                    #expect(studio.refusal([studio.regeneration("D-4", prior: asset)])?.rule?.rule == "regeneration-cap")
                    try studio.grant(studio.override("D-4", rule: "regeneration-cap", extraAttempts: 1))
                }
                try studio.governed.append(studio.regeneration("D-4", prior: asset))
                asset = try studio.generate("D-4", attempt: attempt)
            }
            try studio.review("D-4", asset)
        }

        func cost(_ deliverable: String, _ kind: CostKind, _ amount: Double, generation: String? = nil, asset: String? = nil)
            throws
        {
            var payload: [String: JSONValue] = [
                "deliverable": .string(deliverable), "kind": .string(kind.rawValue), "amount": .number(amount), "currency": "USD",
            ]
            if let generation { payload["generation"] = .string(generation) }
            if let asset { payload["asset"] = .string(asset) }
            try studio.append(.costRecorded, "deliverable/\(deliverable)", .object(payload))
        }

        func generation(_ deliverable: String, _ id: String, model: String, decision: String) -> JSONValue {
            [
                "deliverable": .string(deliverable), "generation": .string(id), "attempt": 1, "model": .string(model),
                "model_version": "v",
                "template": "tpl", "template_version": 1, "seed": 1,
                "parameters": ["aspect_ratio": "16:9", "duration_seconds": 10],
                "routing_decision": .string(decision),
            ]
        }

        func fallback(_ generation: String, from: String, to: String, mode: String) throws {
            try studio.append(
                .fallbackTriggered, "deliverable/D-3",
                [
                    "deliverable": "D-3", "generation": .string(generation), "from_model": .string(from), "to_model": .string(to),
                    "failure_mode": .string(mode), "table": "video", "rule": "hero-cinematic",
                ])
        }
    }

    @Test("every figure of 2026-Q3, worked out by hand; then the digest check")
    func figures() throws {
        let scenario = try Scenario()
        let projections = Projections(scenario.studio.ledger)
        let size = try scenario.studio.ledger.size()
        let q3 = try projections.modelQuarters(Quarter("2026-Q3")!, asOf: size)
        #expect(Set(q3.keys) == ["hailuo-02", "veo-3.1", "sora-2-pro", "flux-1.1-pro-ultra"])

        // hailuo-02: D-1 (1 attempt, accepted) and D-2 (2 attempts, both rejected).
        let hailuo = try #require(q3["hailuo-02"])
        #expect(hailuo.volume == 3 && hailuo.completed == 3 && hailuo.failed == 0)
        #expect(hailuo.reviewed == 3 && hailuo.accepted == 1)
        #expect(hailuo.acceptanceRate == 1.0 / 3.0 && hailuo.regenerationMultiplier == 3.0)
        #expect(hailuo.generationMicros == 840_000)  // 3 × 0.28
        #expect(hailuo.timeMicros == 10_000_000)  // review 2.50 + 1.25 + 1.25, opportunity 5.00
        #expect(hailuo.reviewTimeMicros == 5_000_000 && hailuo.opportunityMicros == 5_000_000)
        #expect(hailuo.trueCostPerAcceptedMicros == 10_840_000)  // (0.84 + 10.00) / 1 accepted
        #expect(hailuo.costPerAttemptMicros == 280_000)
        #expect(hailuo.p50 == 1000 && hailuo.p95 == 1000)

        // veo-3.1 fails and falls back to sora-2-pro, whose fallback fails too and falls back again.
        let veo = try #require(q3["veo-3.1"])
        #expect(veo.volume == 1 && veo.failed == 1 && veo.failureRate == 1.0 && veo.failureModes == ["timeout": 1])
        #expect(
            veo.fallbacksOut == 1 && veo.fallbacksIn == 1 && veo.acceptanceRate == nil && veo.trueCostPerAcceptedMicros == nil)
        #expect(veo.p50 == nil)
        let sora = try #require(q3["sora-2-pro"])
        #expect(sora.volume == 1 && sora.failureModes == ["content-filter": 1] && sora.fallbacksIn == 1 && sora.fallbacksOut == 1)

        // flux-1.1-pro-ultra: six attempts on D-4, the sixth past the cap by override, one accepted.
        let flux = try #require(q3["flux-1.1-pro-ultra"])
        #expect(flux.volume == 6 && flux.reviewed == 6 && flux.accepted == 1 && flux.regenerationMultiplier == 6.0)
        #expect(flux.acceptanceRate == 1.0 / 6.0 && flux.spendMicros == 0)

        // Every change inside the quarter, with its seq: the studio's status change and its two
        // routing tables (published in Q3), then the price and version changes; registrations
        // (the catalog's own prices, set at registration) are not changes.
        let changes = try projections.modelChanges(Quarter("2026-Q3")!, asOf: size)
        #expect(changes.map(\.kind) == ["status", "routing table", "routing table", "price", "version"])
        #expect(changes.suffix(2).map(\.seq) == [scenario.seqs["price"]!, scenario.seqs["version"]!])
        #expect(changes[1].model == "routing table image" || changes[1].model == "routing table video")
        #expect(
            changes[3].what.hasPrefix("0.35 USD per-second from 2026-08-15") && changes[4].what.hasPrefix("2.6 from 2026-08-20"))

        // An empty quarter, and the report as of a seq before D-4.
        #expect(try projections.modelQuarters(Quarter("2026-Q4")!, asOf: size).isEmpty)
        let before = try projections.modelQuarters(Quarter("2026-Q3")!, asOf: scenario.seqs["version"]!)
        #expect(before["flux-1.1-pro-ultra"] == nil && before["hailuo-02"] == hailuo)

        let report = try QuarterlyReport.build(projections, quarter: Quarter("2026-Q3")!, asOf: size)
        // Outcomes, then spend: three reviews are a small sample, and the figures resting on them say so.
        let row = try #require(report.sections[1].table?.rows.first { $0[0].text == "hailuo-02" }).map(\.text)
        #expect(row[2] == "3" && row[6] == "3" && row[7] == "33.3% (small sample)" && row[8] == "3.00 (small sample)")
        let cost = try #require(report.sections[2].table?.rows.first { $0[0].text == "hailuo-02" })
        // By kind: generation 3 × 0.28, review time 5.00, opportunity 5.00; then the total and true cost.
        #expect(cost[1].text == "0.84" && cost[2].text == "0.00" && cost[3].text == "5.00" && cost[4].text == "5.00")
        #expect(cost[5].text == "10.84" && cost[6].text == "10.84 (small sample)" && cost[6].plain == "10.84")
        // A totals row under each per-model table: 3 + 1 + 1 + 6 generations, 2 failed, 1 + 1 of 3 + 6 accepted.
        let totals = try #require(report.sections[1].table?.texts.last)
        #expect(totals[0] == "total" && totals[2] == "11" && totals[6] == "9" && totals[7] == "22.2% (small sample)")
        // Per category and model: the same figures split by the deliverables' categories.
        let perCategory = try #require(report.sections.first { $0.heading == "Per category and model" }?.table?.texts)
        #expect(perCategory.map { "\($0[0]) \($0[1]) \($0[2])" } == [
            "hero-video sora-2-pro 1", "hero-video veo-3.1 1", "key-visual flux-1.1-pro-ultra 6", "social-short hailuo-02 3",
        ])
        let empty = try QuarterlyReport.build(projections, quarter: Quarter("2026-Q4")!, asOf: size)
        #expect(empty.sections[1].table?.rows.isEmpty == true && empty.emptyPeriod != nil)

        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("a switching criterion met is flagged with its rule")
    func switchingFlag() throws {
        let scenario = try Scenario()
        let projections = Projections(scenario.studio.ledger)
        // hailuo-02 is the primary of video/drafts: multiplier 3.00 is not above 3.0; its failure rate 0 is under 10%.
        // flux-1.1-pro-ultra is the primary of image/key-visual, whose criterion is acceptance below 60%: 16.7% is.
        let report = try QuarterlyReport.build(projections, quarter: Quarter("2026-Q3")!, asOf: try scenario.studio.ledger.size())
        // The flags open the report, in its summary.
        #expect(report.sections[0].heading == "Summary")
        let flags = try #require(report.sections[0].table?.rows).map { $0.map(\.text) }
        #expect(flags.count == 1)
        #expect(
            flags.first?[0] == "image v1 / key-visual" && flags.first?[1] == "flux-1.1-pro-ultra"
                && flags.first?[3] == "16.7% (small sample)" && flags.first?[5] == "6")
        #expect(report.sections[0].paragraphs.contains { $0.hasPrefix("Needs a decision: 1 switching criterion met") })
        #expect(try projections.check().mismatched.isEmpty)
    }
}
