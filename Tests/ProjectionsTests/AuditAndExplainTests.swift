import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Reports
import Testing

/// Costs, compliance and explain on the hand-built quarter of QuarterlyReviewTests.
@Suite("Cost audit, compliance and explain, figure by figure")
struct AuditAndExplainTests {
    @Test("July's cost audit: spend, regeneration share and true cost per acceptable deliverable")
    func costs() throws {
        let scenario = try QuarterlyReviewTests.Scenario()
        let projections = Projections(scenario.studio.ledger)
        let audit = try projections.costAudit(month: "2026-07", asOf: try scenario.studio.ledger.size())
        // Spend: D-1 0.28 + 2.50; D-2 0.28 + 1.25 + 5.00 + 0.28 + 1.25. Accepted in July: D-1 only (D-4 in August).
        #expect(audit.total.spendMicros == 10_840_000 && audit.total.accepted == 1)
        // Regeneration: D-2's second attempt (0.28 + 1.25) and the opportunity cost of its rejection (5.00).
        #expect(audit.total.regenerationMicros == 6_530_000)
        // By kind: generation 3 × 0.28; review time 2.50 + 1.25 + 1.25; opportunity 5.00.
        var hailuo = CostGroup(key: "hailuo-02", spendMicros: 10_840_000, regenerationMicros: 6_530_000, accepted: 1)
        hailuo.kindMicros = ["generation": 840_000, "review-time": 5_000_000, "opportunity": 5_000_000]
        #expect(audit.byModel["hailuo-02"] == hailuo && audit.total.kindMicros == hailuo.kindMicros)
        #expect(audit.currencies == ["USD"])
        #expect(audit.byTier["budget"]?.trueCostPerAcceptedMicros == 10_840_000)
        #expect(audit.byStage["draft"]?.spendMicros == 10_840_000 && audit.byStage["delivery"] == nil)
        #expect(audit.byCampaign["(none)"]?.accepted == 1)
        let august = try projections.costAudit(month: "2026-08", asOf: try scenario.studio.ledger.size())
        #expect(
            august.total.spendMicros == 0 && august.total.accepted == 1 && august.byModel["flux-1.1-pro-ultra"]?.accepted == 1)
        let trend = try projections.monthlyTrend(through: "2026-08", count: 3, asOf: try scenario.studio.ledger.size())
        #expect(trend.map(\.month) == ["2026-06", "2026-07", "2026-08"])
        #expect(trend[0] == MonthTrend(month: "2026-06", spendMicros: 0, generations: 0, acceptedOutputs: 0))
        // July: D-1 ×1, D-2 ×2, D-3 ×2 generations, one accepted output (D-1); August: D-4's six, one accepted.
        #expect(trend[1] == MonthTrend(month: "2026-07", spendMicros: 10_840_000, generations: 5, acceptedOutputs: 1))
        #expect(trend[2] == MonthTrend(month: "2026-08", spendMicros: 0, generations: 6, acceptedOutputs: 1))
        let report = try CostsReport.build(projections, month: "2026-07", asOf: try scenario.studio.ledger.size())
        // The first screen: spend with its currency, split by kind, then the regeneration share.
        let summary = report.sections[0]
        #expect(
            summary.paragraphs[0]
                == "Spend 10.84 USD over 7 cost events, seqs \(audit.firstCostSeq!)…\(audit.lastCostSeq!): model generation 0.84 USD, refinement 0.00 USD, review time 5.00 USD, opportunity 5.00 USD.")
        #expect(summary.paragraphs[2].hasPrefix("Regeneration share 60.2% (6.53 USD)"))
        #expect(
            summary.table?.texts == [
                ["model generation", "0.84", "7.7%"], ["refinement", "0.00", "0.0%"], ["review time", "5.00", "46.1%"],
                ["opportunity", "5.00", "46.1%"], ["total", "10.84", "100.0%"],
            ])
        // The same figures, plain, in the by-model CSV file; exact micro-units in JSON.
        let byModel = try #require(report.csvFiles().first { $0.name.hasSuffix("-by-model.csv") }?.text)
        #expect(byModel.contains("\r\nhailuo-02,10.84,0.84,0.00,5.00,5.00,6.53,60.2,1,10.84\r\n"))
        let json = try JSONParser.parse(report.rendered(as: .json))
        #expect(json["data"]?["total"]?["opportunity_micros"]?.integerValue == 5_000_000)
        #expect(json["data"]?["currency"]?.stringValue == "USD")
        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("compliance: per rule, what the gate allowed, warned, approved by override and denied, each finding cited")
    func compliance() throws {
        let scenario = try QuarterlyReviewTests.Scenario()
        let ledger = scenario.studio.ledger
        let projections = Projections(ledger)
        let audit = try projections.complianceAudit(
            from: CalendarDate("2026-07-01")!, to: CalendarDate("2026-09-30")!, campaign: nil, asOf: try ledger.size())
        let rules = Dictionary(uniqueKeysWithValues: audit.rules.map { ($0.rule, $0) })
        // Regenerations: D-2 attempt 2 (draft cap 8); D-4 attempts 2-5 within the cap of 5, attempt 6
        // denied once, then allowed by the override of one extra attempt.
        let cap = try #require(rules["regeneration-cap"])
        #expect(cap.count(.allowed) == 5 && cap.count(.approved) == 1 && cap.count(.denied) == 1 && cap.count(.violated) == 0)
        #expect(rules["approvers"]?.count(.allowed) == 1)
        // 11 generations, none campaign work, all on tiers allowed for their stage.
        #expect(rules["locked-seed"]?.count(.allowed) == 11 && rules["tier-by-stage"]?.count(.allowed) == 11)
        // D-3's two generations use template 'tpl', never versioned: warned (the shipped default action).
        #expect(rules["template-published"]?.count(.warned) == 2 && rules["template-published"]?.count(.allowed) == 9)
        for finding in audit.findings {
            let event = try #require(try ledger.event(seq: finding.seq))
            #expect(event.hash.hex == finding.hash)
            #expect(finding.result == .denied ? event.type == "policy.denied" : event.type == finding.type)
        }
        let denial = try #require(audit.denials.first)
        #expect(denial.rule == "regeneration-cap" && denial.type == "regeneration.requested" && denial.deliverable == "D-4")
        let report = try ComplianceReport.build(
            projections, from: CalendarDate("2026-07-01")!, to: CalendarDate("2026-09-30")!, campaign: nil, asOf: try ledger.size())
        #expect(report.sections[0].paragraphs[0].contains("1 request denied") && report.sections[0].paragraphs[0].contains("1 rule passed by an approver's override"))
        #expect(report.data["notes"]?.arrayValue?.map(\.stringValue) == report.sections[0].paragraphs.map { Optional($0) })
        // A campaign the ledger does not know is an error, not an empty report.
        #expect(throws: GovernanceError.self) {
            try projections.complianceAudit(
                from: CalendarDate("2026-07-01")!, to: CalendarDate("2026-09-30")!, campaign: "C-X", asOf: try ledger.size())
        }
        // A period with nothing judged says so.
        let empty = try ComplianceReport.build(
            projections, from: CalendarDate("2025-01-01")!, to: CalendarDate("2025-03-31")!, campaign: nil, asOf: try ledger.size())
        #expect(empty.sections[0].paragraphs[0].contains("No event judged by the gate occurred in this period"))
        // "None." stands alone: no empty findings table under it (on the page or in CSV).
        let findings = try #require(empty.sections.first { $0.heading == "Findings" })
        #expect(findings.paragraphs.first?.hasPrefix("None") == true && findings.table == nil)
        #expect(!empty.csvFiles().contains { $0.name.hasSuffix("-findings.csv") })
        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("explain: the lineage of a refined asset across an image-to-video chain, with proofs against a checkpoint", arguments: TestStore.allCases)
    func explain(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openDeliverable("D-F", category: "product-video", stage: .delivery, modality: .textToImage)
        let still = try studio.generate("D-F", attempt: 1)
        try studio.review("D-F", still)
        try studio.openDeliverable("D-V", category: "product-video", stage: .delivery, modality: .imageToVideo)
        let routed = try studio.governed.route(
            RouteRequest(deliverable: "D-V", category: "product-video", stage: .delivery, modality: .imageToVideo)
        ).decision
        guard
            case .object(var payload) = studio.generationPayload(
                "D-V", attempt: 1, model: routed.model, decision: routed.decision)
        else { return }
        payload["references"] = [["asset": .string(still), "role": "upstream-image"]]
        let requested = try studio.append(.generationRequested, "deliverable/D-V", .object(payload)).appended.seq
        try studio.append(
            .generationCompleted, "deliverable/D-V",
            [
                "deliverable": "D-V", "generation": payload["generation"]!, "asset": "V-1",
                "asset_sha256": .string(String(repeating: "1", count: 64)), "latency_ms": 5,
            ])
        try studio.append(
            .refinementApplied, "deliverable/D-V",
            [
                "deliverable": "D-V", "input_asset": "V-1", "output_asset": "V-1-up",
                "output_sha256": .string(String(repeating: "2", count: 64)), "step": "upscale", "model": "topaz-video-upscale",
            ])

        let projections = Projections(studio.ledger)
        let lineage = try projections.lineage(of: "V-1-up", asOf: try studio.ledger.size())
        #expect(lineage.assets == ["V-1-up", "V-1", still])
        #expect(
            lineage.edges.map { "\($0.from)>\($0.to):\($0.label)" }.sorted()
                == ["V-1>V-1-up:upscale", "\(still)>V-1:upstream-image"].sorted())
        let types = lineage.events.map(\.type)
        #expect(
            types.filter { $0 == "generation.requested" }.count == 2 && types.contains("refinement.applied")
                && types.contains("routing.table_published"))
        let request = try #require(lineage.events.first { $0.seq == requested && $0.role == "generation requested" })
        #expect(request.summary.hasPrefix("attempt 1 on \(payload["model"]!.stringValue!) (version v), template "))
        #expect(lineage.events.map(\.seq) == lineage.events.map(\.seq).sorted())

        let unproven = try ExplainReport.build(projections, asset: "V-1-up", asOf: try studio.ledger.size())
        func cited(_ report: ReportDocument) -> String { report.sections.first { $0.heading == "Cited events" }!.paragraphs[0] }
        #expect(cited(unproven).hasPrefix("No signed checkpoint yet"))
        let signer = try NoteSignerKey.generate(name: "studio.example/log")
        try studio.ledger.addVerifierKey(signer.verifierKey)
        let checkpoint = try studio.ledger.issueCheckpoint(signers: [signer])
        let proven = try ExplainReport.build(projections, asset: "V-1-up", asOf: try studio.ledger.size())
        #expect(
            cited(proven).hasPrefix(
                "\(lineage.events.count) of \(lineage.events.count) cited events are proven"))
        let json = try JSONParser.parse(proven.rendered(as: .json))
        for event in json["data"]?["events"]?.arrayValue ?? [] {
            let proof = try #require(event["inclusion_proof"])
            // The document `prove inclusion` prints: it proves against the checkpoint's root.
            #expect(
                proof["treeSize"]?.integerValue == Int64(checkpoint.treeSize)
                    && proof["root"]?.stringValue == checkpoint.root.base64 && proof["seq"]?.integerValue == event["seq"]?.integerValue)
        }
        let html = proven.rendered(as: .html)
        #expect(html.contains("<svg") && html.contains("V-1-up · upscale on topaz-video-upscale (explained)") && html.contains(">upstream-image</text>"))
        // Cited hashes may wrap, so the table of cited events fits the page.
        let firstHash = try #require(json["data"]?["events"]?.arrayValue?.first?["hash"]?.stringValue)
        #expect(html.contains("<td class=\"token\">\(firstHash)</td>"))
        #expect(throws: LedgerError.self) { try projections.lineage(of: "nope", asOf: try studio.ledger.size()) }
    }
}
