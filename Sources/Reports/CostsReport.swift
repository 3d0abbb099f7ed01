import Foundation
import Governance
import LedgerLog
public import Projections

/// `genledger report costs --month YYYY-MM`: the monthly cost audit.
public enum CostsReport {
    /// The cost kinds in the order every table shows them, with the words a lead reads.
    static let kinds: [(key: String, label: String)] = CostKind.allCases.map {
        ($0.rawValue, $0 == .reviewTime ? "review time" : $0 == .generation ? "model generation" : $0.rawValue)
    }

    public static func build(_ projections: Projections, month: String, asOf: UInt64) throws -> ReportDocument {
        typealias Cell = ReportDocument.Cell
        let audit = try projections.costAudit(month: month, asOf: asOf)
        let currency = audit.currencies.count == 1 ? audit.currencies[0] : try projections.accountCurrency(asOf: asOf)
        func share(_ part: Int64, _ whole: Int64) -> Cell { whole == 0 ? .missing : .percent(Double(part) / Double(whole)) }
        func table(_ groups: [String: CostGroup], _ name: String) -> ReportDocument.Table {
            .init(
                columns: [name, "spend (\(currency))"] + kinds.map { "\($0.label) (\(currency))" } + [
                    "regeneration spend (\(currency))", "regeneration share (%)", "acceptable deliverables",
                    "true cost per acceptable deliverable (\(currency))",
                ],
                rows: groups.values.sorted { $0.key < $1.key }.map { group in
                    [Cell(group.key), .money(group.spendMicros)] + kinds.map { .money(group.kindMicros[$0.key] ?? 0) } + [
                        .money(group.regenerationMicros), share(group.regenerationMicros, group.spendMicros), .count(group.accepted),
                        .money(group.trueCostPerAcceptedMicros),
                    ]
                })
        }
        func json(_ group: CostGroup) -> JSONValue {
            var object: [String: JSONValue] = [
                "key": .string(group.key), "spend_micros": .number(Double(group.spendMicros)),
                "regeneration_micros": .number(Double(group.regenerationMicros)), "accepted": .number(Double(group.accepted)),
                "true_cost_per_accepted_micros": group.trueCostPerAcceptedMicros.map { .number($0.rounded()) } ?? .null,
            ]
            for kind in kinds { object["\(kind.key)_micros"] = .number(Double(group.kindMicros[kind.key] ?? 0)) }
            return .object(object)
        }
        func json(_ groups: [String: CostGroup]) -> JSONValue { .array(groups.values.sorted { $0.key < $1.key }.map(json)) }

        let trend = try projections.monthlyTrend(through: month, count: 6, asOf: asOf)
        let total = audit.total
        let span =
            audit.costEvents == 0
            ? "no cost events" : "\(counted(audit.costEvents, "cost event")), seqs \(audit.firstCostSeq!)…\(audit.lastCostSeq!)"
        var empty: String?
        if audit.costEvents == 0 && total.accepted == 0 {
            let span = try projections.generationSpan(asOf: asOf)
            empty =
                "No cost was recorded and no output accepted in \(month) as the ledger stood at seq \(asOf)"
                + (span.map { "; its generations run from \($0.first) to \($0.last)." } ?? "; it records no generation at all.")
        }
        var notes = empty.map { [$0] } ?? []
        let byKind = kinds.map { "\($0.label) \(moneyText(total.kindMicros[$0.key] ?? 0, currency))" }.joined(separator: ", ")
        notes.append("Spend \(moneyText(total.spendMicros, currency)) over \(span): \(byKind).")
        notes.append(
            "\(counted(total.accepted, "deliverable")) reached an accepted output in \(month); true cost per acceptable deliverable \(total.trueCostPerAcceptedMicros.map { moneyText(Int64($0.rounded()), currency) } ?? "— (none accepted)")."
        )
        notes.append(
            "Regeneration share \(share(total.regenerationMicros, total.spendMicros).text) (\(moneyText(total.regenerationMicros, currency))): spend on attempts after the first and on opportunity time lost to rejections."
        )
        if let costliest = audit.byModel.values.filter({ $0.trueCostPerAcceptedMicros != nil }).max(by: {
            $0.trueCostPerAcceptedMicros! < $1.trueCostPerAcceptedMicros!
        }), audit.byModel.count > 1 {
            notes.append(
                "Highest true cost per acceptable deliverable: \(costliest.key), \(moneyText(Int64(costliest.trueCostPerAcceptedMicros!.rounded()), currency)) (regeneration share \(share(costliest.regenerationMicros, costliest.spendMicros).text)); see By model."
            )
        }
        if audit.currencies.count > 1 {
            notes.append(
                "Costs this month are recorded in \(audit.currencies.joined(separator: " and ")) (the policy's currency changed): the sums add amounts in different currencies."
            )
        }
        let definition =
            "True cost per acceptable deliverable = all spend in the month for the group / deliverables of the group whose first accepted output was reviewed in the month. Model and tier are those of the generation a cost pays for, refines or reviews. Money in \(currency), rounded to cents half away from zero; JSON carries exact micro-units."
        var document = ReportDocument(
            title: "Cost audit, \(month)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(
                    heading: "Summary", paragraphs: notes,
                    table: .init(
                        columns: ["cost kind", "spend (\(currency))", "share of spend (%)"],
                        rows: kinds.map {
                            let micros = total.kindMicros[$0.key] ?? 0
                            return [Cell($0.label), .money(micros), share(micros, total.spendMicros)]
                        } + [[Cell("total"), .money(total.spendMicros), share(total.spendMicros, total.spendMicros)]]),
                    chart: .init(
                        title: "Spend by cost kind, \(month)", unit: currency,
                        bars: kinds.map { ($0.label, Cell.money(total.kindMicros[$0.key] ?? 0)) })),
                .init(heading: "Draft vs delivery", paragraphs: [definition], table: table(audit.byStage, "stage")),
                .init(heading: "By category", table: table(audit.byCategory, "category")),
                .init(
                    heading: "By tier", table: table(audit.byTier, "tier"),
                    chart: .init(
                        title: "Spend by tier, \(month)", unit: currency,
                        bars: audit.byTier.values.sorted { $0.key < $1.key }.map { ($0.key, Cell.money($0.spendMicros)) })),
                .init(heading: "By model", table: table(audit.byModel, "model")),
                .init(
                    heading: "By campaign",
                    paragraphs: ["Budgets against spend to date: `genledger report campaign ID`."],
                    table: table(audit.byCampaign, "campaign")),
                .init(
                    heading: "Trend: cost and regeneration, six months to \(month)",
                    paragraphs: [
                        "Spend by cost date; regeneration multiplier = generations requested / generated outputs accepted, per month."
                    ],
                    table: .init(
                        columns: ["month", "spend (\(currency))", "generations", "accepted outputs", "regeneration multiplier (×)"],
                        rows: trend.map {
                            [
                                Cell($0.month), .money($0.spendMicros), .count($0.generations), .count($0.acceptedOutputs),
                                .decimal($0.regenerationMultiplier),
                            ]
                        }),
                    chart: .init(title: "Spend by month", unit: currency, bars: trend.map { ($0.month, Cell.money($0.spendMicros)) })),
                .init(
                    heading: "Trend: regeneration multiplier",
                    chart: .init(
                        title: "Regeneration multiplier by month", unit: "×",
                        bars: trend.compactMap { t in t.regenerationMultiplier.map { (t.month, Cell.decimal($0)) } })),
            ],
            data: [
                "month": .string(month), "as_of": .number(Double(asOf)), "currency": .string(currency),
                "notes": .array(notes.map(JSONValue.string)), "total": json(total),
                "by_stage": json(audit.byStage), "by_category": json(audit.byCategory), "by_tier": json(audit.byTier),
                "by_model": json(audit.byModel), "by_campaign": json(audit.byCampaign),
                "trend": .array(
                    trend.map {
                        [
                            "month": .string($0.month), "spend_micros": .number(Double($0.spendMicros)),
                            "generations": .number(Double($0.generations)),
                            "accepted_outputs": .number(Double($0.acceptedOutputs)),
                        ]
                    }),
            ])
        document.emptyPeriod = empty
        return document
    }
}
