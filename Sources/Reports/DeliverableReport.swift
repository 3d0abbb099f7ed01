import Foundation
import Governance
import LedgerLog
public import Projections

/// `genledger report deliverable ID` and `genledger report campaign ID`: per-deliverable truth.
public enum DeliverableReport {
    static let kinds = CostKind.allCases

    static func money(_ micros: Int64, _ currency: Currency) -> String { moneyText(micros, currency.rawValue) }

    /// An amount without its currency, for table cells under a heading that names it.
    static func amount(_ micros: Int64) -> ReportDocument.Cell { .money(micros) }

    static func kindLabel(_ kind: CostKind) -> String { kind == .reviewTime ? "review time" : kind.rawValue }

    public static func build(_ projections: Projections, deliverable: String, asOf: UInt64) throws -> ReportDocument {
        let story = try projections.deliverableStory(deliverable, asOf: asOf)
        let currency = story.currency
        let failed = story.generations.filter { $0.outcome == "failed" }.count
        let split = kinds.map { "\(kindLabel($0)) \(money(story.spendByKindMicros[$0] ?? 0, currency))" }.joined(separator: ", ")
        var notes = [
            "\(story.deliverable) (\(story.category), \(story.stage)\(story.campaign.map { ", campaign \($0)" } ?? "")): "
                + (story.deliveredAsset.map { "delivered \($0) at seq \(story.deliveredSeq!)." } ?? "not delivered."),
            "\(counted(Int(story.attempts), "attempt")), \(counted(story.generations.count, "generation")) (\(failed) failed), \(counted(story.regenerations, "regeneration")).",
            "Spend \(money(story.spendMicros, currency)): \(split).",
        ]
        if let budget = story.budgetMicros {
            let allowed = budget + story.extraBudgetMicros
            let share = allowed > 0 ? ReportDocument.Cell.percent(Double(story.spendMicros) / Double(allowed)).text : "—"
            notes.append(
                "Budget \(money(budget, currency))\(story.extraBudgetMicros > 0 ? " + \(money(story.extraBudgetMicros, currency)) granted by override" : ""): \(share) used"
                    + (story.spendMicros > allowed ? ", over budget by \(money(story.spendMicros - allowed, currency))." : "."))
        } else {
            notes.append("No budget applies to this deliverable.")
        }
        notes.append(findingNote(story.findings))
        let data = withNotes(json(story), notes)
        return ReportDocument(
            title: "Deliverable \(story.deliverable)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(heading: "Summary", paragraphs: notes),
                .init(
                    heading: "Generations",
                    paragraphs: story.generations.isEmpty ? ["No generation was requested."] : [],
                    table: .init(
                        columns: ["generation", "attempt", "model", "seed", "seq", "outcome", "failure", "asset", "verdict", "fallback from"],
                        rows: story.generations.map {
                            [
                                $0.generation, String($0.attempt), $0.model, String($0.seed), String($0.seq), $0.outcome,
                                $0.failureMode ?? "", $0.asset ?? "", $0.verdict ?? "", $0.fallbackFrom ?? "",
                            ]
                        })),
                .init(
                    heading: "Spend by cost kind (\(currency.rawValue))",
                    table: .init(
                        columns: ["kind", "amount"],
                        rows: kinds.map { [ReportDocument.Cell(kindLabel($0)), amount(story.spendByKindMicros[$0] ?? 0)] }
                            + [[ReportDocument.Cell("total"), amount(story.spendMicros)]]),
                    chart: .init(
                        title: "Spend by cost kind", unit: currency.rawValue,
                        bars: kinds.map { (kindLabel($0), ReportDocument.Cell.money(story.spendByKindMicros[$0] ?? 0)) })),
                findingsSection(story.findings),
            ],
            data: data)
    }

    public static func buildCampaign(_ projections: Projections, campaign: String, asOf: UInt64) throws -> ReportDocument {
        guard try projections.campaignIDs(asOf: asOf).contains(campaign) else {
            throw GovernanceError(.invalidEvent, "campaign '\(campaign)' is not in the ledger (as of seq \(asOf))", field: "campaign")
        }
        let stories = try projections.deliverables(campaign: campaign, asOf: asOf).map {
            try projections.deliverableStory($0, asOf: asOf)
        }
        let currency = stories.first?.currency ?? .USD
        var totals: [CostKind: Int64] = [:]
        for story in stories { for (kind, micros) in story.spendByKindMicros { totals[kind, default: 0] += micros } }
        let total = totals.values.reduce(0, +)
        let findings = stories.flatMap(\.findings).sorted { $0.seq < $1.seq }
        typealias Cell = ReportDocument.Cell
        func count(_ outcome: GateJudgement.Outcome, in list: [ComplianceAudit.Finding]) -> Cell {
            .count(list.filter { $0.result == outcome }.count)
        }
        var rows: [[Cell]] = []
        for story in stories {
            var row: [Cell] = [Cell(story.deliverable), Cell(story.category), Cell(story.stage), .count(Int(story.attempts))]
            row.append(.count(story.generations.count))
            for kind in kinds { row.append(amount(story.spendByKindMicros[kind] ?? 0)) }
            row.append(amount(story.spendMicros))
            row.append(story.budgetMicros.map { amount($0 + story.extraBudgetMicros) } ?? .missing)
            row.append(
                story.budgetMicros.map { $0 + story.extraBudgetMicros }.map { $0 > 0 ? .percent(Double(story.spendMicros) / Double($0)) : .missing }
                    ?? .missing)
            row.append(count(.violated, in: story.findings))
            row.append(count(.denied, in: story.findings))
            row.append(Cell(story.deliveredAsset ?? ""))
            rows.append(row)
        }
        let delivered = stories.filter { $0.deliveredAsset != nil }.count
        var totalRow: [Cell] = [Cell("total"), Cell(""), Cell(""), .count(Int(stories.map(\.attempts).reduce(0, +)))]
        totalRow.append(.count(stories.map(\.generations.count).reduce(0, +)))
        for kind in kinds { totalRow.append(amount(totals[kind] ?? 0)) }
        let campaignBudget = try projections.campaignBudgetMicros(campaign, asOf: asOf)
        totalRow += [
            amount(total), campaignBudget.map(amount) ?? .missing,
            campaignBudget.map { $0 > 0 ? .percent(Double(total) / Double($0)) : .missing } ?? .missing,
            count(.violated, in: findings), count(.denied, in: findings), Cell("\(delivered) delivered"),
        ]
        var notes = [
            "Campaign \(campaign): \(stories.count) deliverables, \(stories.filter { $0.deliveredAsset != nil }.count) delivered.",
            "Spend \(money(total, currency)): "
                + kinds.map { "\(kindLabel($0)) \(money(totals[$0] ?? 0, currency))" }.joined(separator: ", ") + ".",
        ]
        if let budget = campaignBudget {
            let share = budget > 0 ? ReportDocument.Cell.percent(Double(total) / Double(budget)).text : "—"
            notes.append(
                "Campaign budget \(money(budget, currency)): \(share) used"
                    + (total > budget ? ", over budget by \(money(total - budget, currency))." : "."))
        }
        if stories.isEmpty { notes.append("The campaign has no deliverables yet.") }
        notes.append(findingNote(findings))
        let data = withNotes(json(campaign: campaign, stories: stories, totals: totals, currency: currency), notes)
        return ReportDocument(
            title: "Campaign \(campaign)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(heading: "Summary", paragraphs: notes),
                .init(
                    heading: "Deliverables (\(currency.rawValue))",
                    table: .init(
                        columns: ["deliverable", "category", "stage", "attempts", "generations"] + kinds.map(kindLabel)
                            + ["spend", "budget", "budget used (%)", "violated", "denied", "delivered"],
                        rows: rows + [totalRow])),
                findingsSection(findings),
            ],
            data: data)
    }

    /// The figures with the summary's notes beside them: the JSON form says what the Markdown says.
    static func withNotes(_ data: JSONValue, _ notes: [String]) -> JSONValue {
        guard case .object(var object) = data else { return data }
        object["notes"] = .array(notes.map(JSONValue.string))
        return .object(object)
    }

    static func findingNote(_ findings: [ComplianceAudit.Finding]) -> String {
        guard !findings.isEmpty else { return "The gate found nothing: every judged event passed every rule." }
        func count(_ outcome: GateJudgement.Outcome) -> Int { findings.filter { $0.result == outcome }.count }
        return
            "Gate findings: \(count(.violated)) violated, \(count(.denied)) denied, \(count(.approved)) approved by override, \(count(.warned)) warned."
    }

    static func findingsSection(_ findings: [ComplianceAudit.Finding]) -> ReportDocument.Section {
        .init(
            heading: "Violations, denials, approvals and warnings",
            paragraphs: findings.isEmpty ? ["None."] : ["Each cites its event's seq and hash (`genledger prove inclusion SEQ`)."],
            table: .init(
                columns: ["seq", "rule", "result", "type", "hash", "reason"],
                rows: findings.map { [String($0.seq), $0.rule, $0.result.rawValue, $0.type, $0.hash, $0.reason] }))
    }

    static func findingJSON(_ finding: ComplianceAudit.Finding) -> JSONValue {
        [
            "seq": .number(Double(finding.seq)), "hash": .string(finding.hash), "rule": .string(finding.rule),
            "result": .string(finding.result.rawValue), "type": .string(finding.type), "mode": .string(finding.mode),
            "reason": .string(finding.reason),
        ]
    }

    static func spendJSON(_ spend: [CostKind: Int64], currency: Currency) -> JSONValue {
        var object: [String: JSONValue] = ["currency": .string(currency.rawValue)]
        for kind in kinds { object["\(kind.rawValue)_micros"] = .number(Double(spend[kind] ?? 0)) }
        object["total_micros"] = .number(Double(spend.values.reduce(0, +)))
        return .object(object)
    }

    static func json(_ story: DeliverableStory) -> JSONValue {
        [
            "deliverable": .string(story.deliverable), "campaign": story.campaign.map(JSONValue.string) ?? .null,
            "category": .string(story.category), "stage": .string(story.stage), "opened_seq": .number(Double(story.openedSeq)),
            "attempts": .number(Double(story.attempts)), "regenerations": .number(Double(story.regenerations)),
            "generations": .array(
                story.generations.map {
                    [
                        "generation": .string($0.generation), "attempt": .number(Double($0.attempt)), "model": .string($0.model),
                        "seed": .number(Double($0.seed)), "seq": .number(Double($0.seq)), "outcome": .string($0.outcome),
                        "failure_mode": $0.failureMode.map(JSONValue.string) ?? .null,
                        "asset": $0.asset.map(JSONValue.string) ?? .null, "verdict": $0.verdict.map(JSONValue.string) ?? .null,
                        "fallback_from": $0.fallbackFrom.map(JSONValue.string) ?? .null,
                    ]
                }),
            "spend": spendJSON(story.spendByKindMicros, currency: story.currency),
            "budget_micros": story.budgetMicros.map { .number(Double($0)) } ?? .null,
            "extra_budget_micros": .number(Double(story.extraBudgetMicros)),
            "delivered_asset": story.deliveredAsset.map(JSONValue.string) ?? .null,
            "delivered_seq": story.deliveredSeq.map { .number(Double($0)) } ?? .null,
            "findings": .array(story.findings.map(findingJSON)),
        ]
    }

    static func json(campaign: String, stories: [DeliverableStory], totals: [CostKind: Int64], currency: Currency) -> JSONValue {
        [
            "campaign": .string(campaign), "deliverables": .array(stories.map(json)),
            "spend": spendJSON(totals, currency: currency),
        ]
    }
}
