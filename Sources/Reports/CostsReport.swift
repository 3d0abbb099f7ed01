import Foundation
import LedgerLog
public import Projections

/// `genledger report costs --month YYYY-MM`: the monthly cost audit.
public enum CostsReport {
    public static func build(_ projections: Projections, month: String, asOf: UInt64) throws -> ReportDocument {
        let audit = try projections.costAudit(month: month, asOf: asOf)
        func money(_ micros: Int64) -> String { String(format: "%.2f", Double(micros) / 1e6) }
        func share(_ part: Int64, _ whole: Int64) -> String {
            whole == 0 ? "—" : String(format: "%.1f%%", Double(part) / Double(whole) * 100)
        }
        func table(_ groups: [String: CostGroup], _ name: String) -> ReportDocument.Table {
            .init(
                columns: [
                    name, "spend", "regeneration spend", "regeneration share", "acceptable deliverables",
                    "true cost per acceptable deliverable",
                ],
                rows: groups.values.sorted { $0.key < $1.key }.map {
                    [
                        $0.key, money($0.spendMicros), money($0.regenerationMicros), share($0.regenerationMicros, $0.spendMicros),
                        String($0.accepted),
                        $0.trueCostPerAcceptedMicros.map { String(format: "%.2f", $0 / 1e6) } ?? "—",
                    ]
                })
        }
        func json(_ groups: [String: CostGroup]) -> JSONValue {
            .array(
                groups.values.sorted { $0.key < $1.key }.map {
                    [
                        "key": .string($0.key), "spend": .number(Double($0.spendMicros) / 1e6),
                        "regeneration_spend": .number(Double($0.regenerationMicros) / 1e6),
                        "accepted": .number(Double($0.accepted)),
                        "true_cost_per_accepted": $0.trueCostPerAcceptedMicros.map { .number(($0 / 1e4).rounded() / 100) }
                            ?? .null,
                    ]
                })
        }
        let trend = try projections.monthlyTrend(through: month, count: 6, asOf: asOf)
        let total = audit.total
        let span =
            audit.costEvents == 0
            ? "no cost events" : "\(audit.costEvents) cost events, seqs \(audit.firstCostSeq!)…\(audit.lastCostSeq!)"
        var empty: String?
        if audit.costEvents == 0 && total.accepted == 0 {
            let span = try projections.generationSpan(asOf: asOf)
            empty =
                "No cost was recorded and no output accepted in \(month) as the ledger stood at seq \(asOf)"
                + (span.map { "; its generations run from \($0.first) to \($0.last)." } ?? "; it records no generation at all.")
        }
        var document = ReportDocument(
            title: "Cost audit, \(month)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(
                    heading: "Summary",
                    paragraphs: (empty.map { [$0] } ?? []) + [
                        "Spend \(money(total.spendMicros)) over \(span); \(total.accepted) deliverables reached an accepted output in \(month); true cost per acceptable deliverable \(total.trueCostPerAcceptedMicros.map { String(format: "%.2f", $0 / 1e6) } ?? "—").",
                        "Regeneration share \(share(total.regenerationMicros, total.spendMicros)): spend on attempts after the first (their generation, refinement and review costs) and on opportunity time lost to rejections.",
                        "True cost per acceptable deliverable = all spend in the month for the group / deliverables of the group whose first accepted output was reviewed in the month. Model and tier are those of the generation a cost pays for, refines or reviews.",
                    ],
                    table: table(audit.byStage, "stage (draft vs delivery)")),
                .init(heading: "By category", table: table(audit.byCategory, "category")),
                .init(
                    heading: "By tier", table: table(audit.byTier, "tier"),
                    chart: .init(
                        title: "Spend by tier, \(month)", unit: "",
                        bars: audit.byTier.values.sorted { $0.key < $1.key }.map { ($0.key, Double($0.spendMicros) / 1e6) })),
                .init(heading: "By model", table: table(audit.byModel, "model")),
                .init(heading: "By campaign", table: table(audit.byCampaign, "campaign")),
                .init(
                    heading: "Trend: cost and regeneration, six months to \(month)",
                    paragraphs: [
                        "Spend by cost date; regeneration multiplier = generations requested / generated outputs accepted, per month."
                    ],
                    table: .init(
                        columns: ["month", "spend", "generations", "accepted outputs", "regeneration multiplier"],
                        rows: trend.map {
                            [
                                $0.month, money($0.spendMicros), String($0.generations), String($0.acceptedOutputs),
                                $0.regenerationMultiplier.map { String(format: "%.2f", $0) } ?? "—",
                            ]
                        }),
                    chart: .init(title: "Spend by month", unit: "", bars: trend.map { ($0.month, Double($0.spendMicros) / 1e6) })),
                .init(
                    heading: "Trend: regeneration multiplier",
                    chart: .init(
                        title: "Regeneration multiplier by month", unit: "×",
                        bars: trend.compactMap { t in t.regenerationMultiplier.map { (t.month, ($0 * 100).rounded() / 100) } })),
            ],
            data: [
                "month": .string(month), "as_of": .number(Double(asOf)), "spend": .number(Double(total.spendMicros) / 1e6),
                "regeneration_spend": .number(Double(total.regenerationMicros) / 1e6),
                "accepted": .number(Double(total.accepted)),
                "by_stage": json(audit.byStage), "by_category": json(audit.byCategory), "by_tier": json(audit.byTier),
                "by_model": json(audit.byModel), "by_campaign": json(audit.byCampaign),
                "trend": .array(
                    trend.map {
                        [
                            "month": .string($0.month), "spend": .number(Double($0.spendMicros) / 1e6),
                            "generations": .number(Double($0.generations)),
                            "accepted_outputs": .number(Double($0.acceptedOutputs)),
                        ]
                    }),
            ])
        document.emptyPeriod = empty
        return document
    }
}
