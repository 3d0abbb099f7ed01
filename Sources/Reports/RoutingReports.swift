import Foundation
public import Governance
import LedgerLog
public import Projections

/// `genledger routing current|history|diff` as report documents.
public enum RoutingReports {
    /// The tables in force, the models that are not active, and the routes therefore live.
    /// `on`: the tables in force on that day (occurred time) instead of the latest the ledger knew.
    public static func current(_ projections: Projections, asOf: UInt64, on day: CalendarDate? = nil) throws -> ReportDocument {
        let tables = try day.map { try projections.tablesInForce(on: $0, asOf: asOf) } ?? projections.tablesInForce(asOf: asOf)
        if tables.isEmpty, let day {
            throw LedgerError(.badInput, "no routing table had been published by \(day) (as of seq \(asOf))", field: "on")
        }
        let models = try projections.modelStatuses(asOf: asOf)
        var sections: [ReportDocument.Section] = []
        var data: [JSONValue] = []
        var rerouted: [String] = []
        var stranded: [String] = []
        for published in tables {
            var rows: [[String]] = []
            var ruleData: [JSONValue] = []
            for rule in published.parsed.rules {
                let primary = models[rule.primary]
                let mode: FailureMode? = primary?.status == .active ? nil : (primary?.failureMode ?? .retired)
                let candidates = [rule.primary] + rule.fallbacks(for: mode)
                let live = candidates.first { models[$0]?.status == .active }
                if live == nil {
                    stranded.append("\(published.table)/\(rule.id)")
                } else if let live, live != rule.primary {
                    rerouted.append(
                        "\(published.table)/\(rule.id) runs on \(live) (\(rule.primary) \(primary?.status.rawValue ?? "not in catalog")\(mode.map { ": \($0.rawValue)" } ?? ""))")
                }
                let statusText =
                    primary.map {
                        $0.status == .active
                            ? "active" : "\($0.status.rawValue) (\($0.failureMode?.rawValue ?? "-"), seq \($0.seq))"
                    } ?? "not in catalog"
                rows.append([
                    rule.id, Self.describe(rule.match), rule.tier.rawValue, rule.primary, statusText,
                    live.map { $0 == rule.primary ? $0 : "\($0) (fallback for \(mode?.rawValue ?? "default"))" }
                        ?? "none: no active candidate",
                    rule.fallbacks.keys.sorted().map { "\($0): \(rule.fallbacks[$0]!.joined(separator: ", "))" }.joined(
                        separator: "; "),
                ])
                ruleData.append([
                    "rule": .string(rule.id), "tier": .string(rule.tier.rawValue), "primary": .string(rule.primary),
                    "primary_status": .string(primary?.status.rawValue ?? "unknown"), "live": live.map(JSONValue.string) ?? .null,
                ])
            }
            sections.append(
                ReportDocument.Section(
                    heading: "Table \(published.table) v\(published.version)",
                    paragraphs: [
                        "Published at seq \(published.seq) (\(published.occurredAt)) by \(published.author): \(published.rationale)",
                        "Serves \(published.parsed.modalities.map(\.rawValue).joined(separator: ", ")); the first matching rule wins.",
                    ],
                    table: .init(
                        columns: ["rule", "match", "tier", "primary", "primary status", "live route", "fallbacks"], rows: rows)))
            data.append([
                "table": .string(published.table), "version": .number(Double(published.version)),
                "seq": .number(Double(published.seq)),
                "rules": .array(ruleData),
            ])
        }
        let inactive = models.values.filter { $0.status != .active }.sorted { $0.model < $1.model }
        var notes = [
            "\(counted(tables.count, "table")) in force"
                + (day.map { " on \($0)" } ?? "") + ": "
                + tables.map { "\($0.table) v\($0.version) (published \($0.occurredAt.prefix(10)) by \($0.author))" }.joined(separator: ", ") + "."
        ]
        if !stranded.isEmpty {
            notes.append("Needs action: \(counted(stranded.count, "rule")) \(stranded.count == 1 ? "has" : "have") no active candidate, so requests it matches cannot be routed: \(stranded.joined(separator: ", ")).")
        }
        notes.append(
            rerouted.isEmpty
                ? "Every rule runs on its primary model."
                : "\(counted(rerouted.count, "rule")) \(rerouted.count == 1 ? "runs" : "run") on a fallback because the primary is not active: \(rerouted.joined(separator: "; ")).")
        notes.append("\(counted(models.count, "registered model")), \(inactive.count) not active\(inactive.isEmpty ? "" : ": " + inactive.map { "\($0.model) (\($0.status.rawValue))" }.joined(separator: ", ")).")
        sections.insert(ReportDocument.Section(heading: "Summary", paragraphs: notes), at: 0)
        sections.append(
            ReportDocument.Section(
                heading: "Models not active",
                paragraphs: inactive.isEmpty ? ["Every registered model is active."] : [],
                table: .init(
                    columns: ["model", "tier", "status", "failure mode", "since seq", "reason"],
                    rows: inactive.map {
                        [
                            $0.model, $0.tier.rawValue, $0.status.rawValue, $0.failureMode?.rawValue ?? "", String($0.seq),
                            $0.reason ?? "",
                        ]
                    })))
        return ReportDocument(
            title: "Routing in force as of seq \(asOf)", stamp: try .of(projections.ledger, size: asOf), sections: sections,
            data: [
                "tables": .array(data), "inactive_models": .array(inactive.map { .string($0.model) }),
                "notes": .array(notes.map(JSONValue.string)),
            ])
    }

    /// Every version of every table, who published it and why.
    public static func history(_ projections: Projections, asOf: UInt64) throws -> ReportDocument {
        // In the order they took effect: a version backfilled later still reads in its place.
        let versions = try projections.tableVersions(asOf: asOf).sorted { ($0.occurredAt, $0.seq) < ($1.occurredAt, $1.seq) }
        let replays = try projections.recordedReplays(asOf: asOf)
        let rows = versions.map {
            [$0.table, "v\($0.version)", String($0.seq), $0.occurredAt, $0.author, $0.rationale, String($0.digest.prefix(16))]
        }
        var notes = ["\(counted(versions.count, "version")) of \(counted(Set(versions.map(\.table)).count, "table"))."]
        if let latest = versions.last {
            notes.append(
                "The latest change: table \(latest.table) v\(latest.version), in force from \(latest.occurredAt.prefix(10)) (seq \(latest.seq)), by \(latest.author): \(latest.rationale)")
        }
        notes.append(
            replays.isEmpty
                ? "No what-if replay recorded." : "\(counted(replays.count, "what-if replay")) recorded (listed below).")
        return ReportDocument(
            title: "Routing table history as of seq \(asOf)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(heading: "Summary", paragraphs: notes),
                .init(
                    heading: "Versions",
                    paragraphs: ["In the order they took effect."],
                    table: .init(columns: ["table", "version", "seq", "published", "author", "rationale", "digest"], rows: rows)),
                .init(
                    heading: "What-ifs weighed (replays recorded)",
                    paragraphs: replays.isEmpty
                        ? ["None recorded: `genledger replay … --record` appends one replay.completed per what-if."] : [],
                    table: replays.isEmpty
                        ? nil
                        : .init(
                            columns: [
                                "seq", "recorded", "table", "candidate", "source", "requests", "changed", "unroutable",
                                "estimated spend before → after",
                            ],
                            rows: replays.map {
                                [
                                    String($0.seq), $0.occurredAt, $0.table,
                                    "v\($0.candidateVersion) (\($0.candidateDigest.prefix(16)))", $0.source, String($0.requests),
                                    String($0.changed), String($0.unroutable),
                                    String(format: "%.2f → %.2f %@", $0.spendBefore, $0.spendAfter, $0.currency),
                                ]
                            })),
            ],
            data: .array(
                versions.map {
                    [
                        "table": .string($0.table), "version": .number(Double($0.version)), "seq": .number(Double($0.seq)),
                        "occurred_at": .string($0.occurredAt), "author": .string($0.author), "rationale": .string($0.rationale), "digest": .string($0.digest),
                    ]
                }))
    }

    /// Rule by rule, what changed between two versions of one table.
    public static func diff(_ projections: Projections, table: String, from: Int64, to: Int64, asOf: UInt64) throws
        -> ReportDocument
    {
        let versions = try projections.tableVersions(asOf: asOf).filter { $0.table == table }
        func version(_ number: Int64) throws -> PublishedTable {
            guard let found = versions.first(where: { $0.version == number }) else {
                let known = versions.map { "v\($0.version)" }.joined(separator: ", ")
                throw LedgerError(
                    .badInput, "table '\(table)' has no version \(number) (published: \(known.isEmpty ? "none" : known))")
            }
            return found
        }
        let old = try version(from)
        let new = try version(to)
        let changes = RoutingDiff.between(old.document, new.document)
        let rows = changes.flatMap { change in
            change.fields.map { [change.rule, change.kind.rawValue, $0.field, $0.before, $0.after] }
        }
        return ReportDocument(
            title: "Routing table \(table): v\(from) → v\(to)", stamp: try .of(projections.ledger, size: asOf),
            sections: [
                .init(
                    heading: "Summary",
                    paragraphs: [
                        changes.isEmpty
                            ? "The two versions route identically."
                            : "\(counted(changes.count, "rule")) \(changes.count == 1 ? "differs" : "differ"): "
                                + changes.map { "\($0.rule) (\($0.kind.rawValue))" }.joined(separator: ", ") + ".",
                        "v\(from): seq \(old.seq), \(old.author): \(old.rationale)",
                        "v\(to): seq \(new.seq), \(new.author): \(new.rationale)",
                    ]),
                .init(heading: "Changes", table: .init(columns: ["rule", "change", "field", "before", "after"], rows: rows)),
            ],
            data: .array(
                changes.map { change in
                    [
                        "rule": .string(change.rule), "change": .string(change.kind.rawValue),
                        "fields": .array(
                            change.fields.map {
                                ["field": .string($0.field), "before": .string($0.before), "after": .string($0.after)]
                            }),
                    ]
                }))
    }

    static func describe(_ match: RuleMatch) -> String {
        var parts: [String] = []
        parts.append("category " + (match.categories?.joined(separator: "|") ?? "*"))
        if let stages = match.stages { parts.append("stage " + stages.map(\.rawValue).joined(separator: "|")) }
        if let modalities = match.modalities { parts.append("modality " + modalities.map(\.rawValue).joined(separator: "|")) }
        if let d = match.durationSeconds {
            parts.append(
                "duration \(ReportDocument.number(d.lowerBound))–\(d.upperBound > 1e15 ? "∞" : ReportDocument.number(d.upperBound)) s"
            )
        }
        if let c = match.characters {
            parts.append(
                "characters \(ReportDocument.number(c.lowerBound))–\(c.upperBound > 1e15 ? "∞" : ReportDocument.number(c.upperBound))"
            )
        }
        return parts.joined(separator: ", ")
    }
}
