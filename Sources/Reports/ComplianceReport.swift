import Foundation
public import Governance
import LedgerLog
public import Projections

/// `genledger report compliance --from D --to D [--campaign C]`.
public enum ComplianceReport {
    static let outcomes: [GateJudgement.Outcome] = [.allowed, .warned, .approved, .denied, .violated]

    public static func build(_ projections: Projections, from: CalendarDate, to: CalendarDate, campaign: String?, asOf: UInt64)
        throws -> ReportDocument
    {
        let audit = try projections.complianceAudit(from: from, to: to, campaign: campaign, asOf: asOf)
        let scope = "\(audit.from) to \(audit.to)" + (campaign.map { ", campaign \($0)" } ?? ", all campaigns")
        let notes = summary(audit)
        var rows: [[String]] = []
        for rule in audit.rules {
            var row = [rule.rule]
            for outcome in outcomes { row.append(String(rule.count(outcome))) }
            row.append(rule.description)
            rows.append(row)
        }
        let findingRows = audit.findings.map { finding -> [String] in
            [
                finding.rule, finding.result.rawValue, String(finding.seq), finding.hash, finding.type, finding.deliverable ?? "",
                finding.mode, finding.reason,
            ]
        }
        return ReportDocument(
            title: "Compliance, \(scope)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(heading: "Summary", paragraphs: notes),
                .init(
                    heading: "Rules",
                    paragraphs: [
                        "Each judged event counts once under every rule the gate judged it by; a denied request counts under each rule it broke."
                    ],
                    table: .init(columns: ["rule"] + outcomes.map(\.rawValue) + ["what it checks"], rows: rows),
                    chart: .init(title: "Denied and violated, by rule", unit: "", bars: audit.rules.map { ($0.rule, ReportDocument.Cell.count($0.failed)) })),
                .init(
                    heading: "Findings",
                    paragraphs: audit.findings.isEmpty
                        ? ["None: every judged event in scope passed every rule."]
                        : [
                            "Every result other than allowed; each cites the event's seq and hash, provable with `genledger prove inclusion SEQ`."
                        ],
                    // No empty table under "None.": the sentence is the answer.
                    table: findingRows.isEmpty
                        ? nil
                        : .init(columns: ["rule", "result", "seq", "hash", "type", "deliverable", "mode", "reason"], rows: findingRows)),
            ],
            data: [
                "from": .string(audit.from), "to": .string(audit.to), "campaign": campaign.map(JSONValue.string) ?? .null,
                "judged_events": .number(Double(audit.judgedEvents)),
                "notes": .array(notes.map(JSONValue.string)),
                "rules": .array(
                    audit.rules.map { rule in
                        var object: [String: JSONValue] = ["rule": .string(rule.rule), "description": .string(rule.description)]
                        for outcome in outcomes { object[outcome.rawValue] = .number(Double(rule.count(outcome))) }
                        return .object(object)
                    }),
                "findings": .array(
                    audit.findings.map {
                        [
                            "rule": .string($0.rule), "result": .string($0.result.rawValue), "seq": .number(Double($0.seq)),
                            "hash": .string($0.hash), "type": .string($0.type),
                            "deliverable": $0.deliverable.map(JSONValue.string) ?? .null, "mode": .string($0.mode),
                            "occurred_at": .string($0.occurredAt), "reason": .string($0.reason),
                        ]
                    }),
            ])
    }

    /// What a lead reads first: how much was judged, and what needs attention.
    static func summary(_ audit: ComplianceAudit) -> [String] {
        guard audit.judgedEvents > 0 else {
            return [
                "No event judged by the gate occurred in this period\(audit.campaign.map { " for campaign \($0)" } ?? ""): there is nothing to assess, which is not the same as compliance."
            ]
        }
        func count(_ outcome: GateJudgement.Outcome) -> Int { audit.rules.reduce(0) { $0 + $1.count(outcome) } }
        var notes = [
            "\(counted(audit.judgedEvents, "judged event")): \(counted(count(.violated), "rule violation")) recorded, \(counted(count(.denied), "request")) denied, \(counted(count(.approved), "rule")) passed by an approver's override, \(counted(count(.warned), "warning"))."
        ]
        let failing = audit.rules.filter { $0.failed > 0 }.sorted { $0.failed > $1.failed }
        if failing.isEmpty {
            notes.append("No rule was violated, and no request denied.")
        } else {
            notes.append(
                "Needs attention: "
                    + failing.map { "\($0.rule) (\($0.count(.violated)) violated, \($0.count(.denied)) denied)" }.joined(separator: ", ")
                    + ".")
        }
        let imported = Set(audit.findings.filter { $0.mode == "audit" }.map(\.seq)).count
        if imported > 0 { notes.append("\(imported) of the events with findings were imported history (judged in audit mode).") }
        return notes
    }
}
