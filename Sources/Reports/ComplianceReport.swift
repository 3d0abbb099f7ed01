import Foundation
public import Governance
public import LedgerLog
public import Projections

/// `genledger report compliance --from D --to D [--campaign C]`.
public enum ComplianceReport {
    public static func build(_ projections: Projections, from: CalendarDate, to: CalendarDate, campaign: String?, asOf: UInt64)
        throws -> ReportDocument
    {
        let audit = try projections.complianceAudit(from: from, to: to, campaign: campaign, asOf: asOf)
        let failed = audit.rules.reduce(0) { $0 + $1.failed }
        let rows = audit.rules.map { rule in
            [
                rule.rule, String(rule.passed), String(rule.failed),
                rule.notes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "), rule.description,
            ]
        }
        let scope = "\(audit.from) to \(audit.to)" + (campaign.map { ", campaign \($0)" } ?? ", all campaigns")
        return ReportDocument(
            title: "Compliance, \(scope)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(
                    heading: "Rules",
                    paragraphs: [
                        failed == 0
                            ? "Every rule passes for every event in scope."
                            : "\(failed) finding(s); each cites the event's seq and hash, provable with `genledger prove inclusion SEQ`."
                    ],
                    table: .init(columns: ["rule", "pass", "fail", "notes", "what it checks"], rows: rows),
                    chart: .init(title: "Findings by rule", unit: "", bars: audit.rules.map { ($0.rule, Double($0.failed)) })),
                .init(
                    heading: "Findings",
                    paragraphs: audit.findings.isEmpty ? ["None."] : [],
                    table: .init(
                        columns: ["rule", "seq", "hash", "deliverable", "finding"],
                        rows: audit.findings.map { [$0.rule, String($0.seq), $0.hash, $0.deliverable, $0.what] })),
            ],
            data: [
                "from": .string(audit.from), "to": .string(audit.to), "campaign": campaign.map(JSONValue.string) ?? .null,
                "rules": .array(
                    audit.rules.map {
                        ["rule": .string($0.rule), "passed": .number(Double($0.passed)), "failed": .number(Double($0.failed))]
                    }),
                "findings": .array(
                    audit.findings.map {
                        [
                            "rule": .string($0.rule), "seq": .number(Double($0.seq)), "hash": .string($0.hash),
                            "deliverable": .string($0.deliverable), "finding": .string($0.what),
                        ]
                    }),
            ])
    }
}
