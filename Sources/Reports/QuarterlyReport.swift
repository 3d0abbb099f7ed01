import Foundation
import Governance
import LedgerLog
public import Projections

/// `genledger report quarterly --quarter YYYY-Qn`: the quarterly model review.
public enum QuarterlyReport {
    static let formula = """
        True cost per acceptable deliverable = cost per attempt × regeneration multiplier + refinement cost \
        per accepted output + review and opportunity time per accepted output, where cost per attempt = \
        generation spend / volume and regeneration multiplier = volume / accepted outputs; together, all \
        spend attributed to the model's outputs (and what was refined from them) / accepted outputs.
        """

    /// The quarter of the event at `seq` (the default quarter: that of the last event as of).
    /// The latest quarter with generations as of `seq` (occurred time): the default period.
    public static func quarter(of seq: UInt64, in projections: Projections) throws -> Quarter {
        guard let last = try projections.lastGenerationDate(asOf: seq) else {
            throw LedgerError(.badInput, "the ledger records no generation as of seq \(seq); name a quarter", field: "quarter")
        }
        return Quarter("\(last.year)-Q\((last.month - 1) / 3 + 1)")!
    }

    public static func build(_ projections: Projections, quarter: Quarter, asOf: UInt64) throws -> ReportDocument {
        let both = try projections.modelQuarters([quarter, quarter.previous], asOf: asOf)
        let (current, previous) = (both[0], both[1])
        let statuses = try projections.modelStatuses(asOf: asOf)
        let changes = try projections.modelChanges(quarter, asOf: asOf)
        // Switching criteria are those of the tables in force when the quarter ended.
        let tables = try projections.tablesInForce(before: quarter.bounds.end, asOf: asOf)
        let models = current.keys.sorted()

        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
        func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "—" }
        func money(_ micros: Double?) -> String { micros.map { String(format: "%.2f", $0 / 1_000_000) } ?? "—" }
        func delta(_ now: Double?, _ before: Double?, scale: Double = 1, format: String = "%+.2f") -> String {
            guard let now, let before else { return "—" }
            return String(format: format, (now - before) * scale)
        }

        var rows: [[String]] = []
        var data: [JSONValue] = []
        for model in models {
            let q = current[model]!
            let p = previous[model]
            rows.append([
                model, statuses[model]?.tier.rawValue ?? "?", String(q.volume), percent(q.failureRate),
                q.failureModes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                "\(q.fallbacksOut) / \(q.fallbacksIn)", percent(q.acceptanceRate), ratio(q.regenerationMultiplier),
                q.p50.map { String(format: "%.1f", Double($0) / 1000) } ?? "—",
                q.p95.map { String(format: "%.1f", Double($0) / 1000) } ?? "—",
                money(Double(q.spendMicros)), money(q.trueCostPerAcceptedMicros),
                delta(q.acceptanceRate, p?.acceptanceRate, scale: 100, format: "%+.1f pt"),
                delta(q.regenerationMultiplier, p?.regenerationMultiplier),
                delta(q.trueCostPerAcceptedMicros, p?.trueCostPerAcceptedMicros, scale: 1e-6),
                q.firstSeq.map { "\($0)…\(q.lastSeq!)" } ?? "",
            ])
            data.append(Self.json(q, previous: p))
        }

        // Switching criteria of the tables in force, applied to each rule's primary.
        var flags: [[String]] = []
        for table in tables {
            for rule in table.parsed.rules {
                guard let switching = rule.switching, let q = current[rule.primary] else { continue }
                func flag(_ what: String, _ measured: String, _ threshold: String) {
                    flags.append([
                        "\(table.table) v\(table.version) / \(rule.id)", rule.primary, what, measured, threshold,
                        switching.criteria,
                    ])
                }
                if let limit = switching.acceptanceRateBelow, let value = q.acceptanceRate, value < limit {
                    flag("acceptance below", percent(value), percent(limit))
                }
                if let limit = switching.regenerationMultiplierAbove, let value = q.regenerationMultiplier, value > limit {
                    flag("regeneration multiplier above", ratio(value), ratio(limit))
                }
                if let limit = switching.failureRateAbove, let value = q.failureRate, value > limit {
                    flag("failure rate above", percent(value), percent(limit))
                }
                if let limit = switching.p95LatencySecondsAbove, let value = q.p95, Double(value) / 1000 > limit {
                    flag("p95 latency above", String(format: "%.1f s", Double(value) / 1000), String(format: "%.0f s", limit))
                }
            }
        }

        var sections: [ReportDocument.Section] = [
            .init(
                heading: "Per model",
                paragraphs: [
                    "Generations requested in \(quarter) (by occurred_at), as the ledger stood at seq \(asOf); deltas against \(quarter.previous). Latency in seconds; money in the currency of the costs recorded.",
                    formula,
                ],
                table: .init(
                    columns: [
                        "model", "tier", "volume", "failure rate", "failure modes", "fallbacks out / in", "acceptance",
                        "regeneration multiplier",
                        "p50 s", "p95 s", "spend", "true cost per accepted", "Δ acceptance", "Δ multiplier", "Δ true cost",
                        "request seqs",
                    ], rows: rows),
                chart: .init(
                    title: "Acceptance by model, \(quarter)", unit: "%",
                    bars: models.compactMap { m in
                        current[m]!.acceptanceRate.map { ("\(m) (\(current[m]!.reviewed) reviewed)", ($0 * 1000).rounded() / 10) }
                    })),
            .init(
                heading: "True cost per acceptable deliverable",
                chart: .init(
                    title: "True cost per accepted output, \(quarter)", unit: "",
                    bars: models.compactMap { m in
                        current[m]!.trueCostPerAcceptedMicros.map { (m, ($0 / 10_000).rounded() / 100) }
                    })),
            .init(
                heading: "Price and version changes",
                paragraphs: changes.isEmpty ? ["None in \(quarter)."] : [],
                table: .init(columns: ["seq", "model", "change"], rows: changes.map { [String($0.seq), $0.model, $0.what] })),
            .init(
                heading: "Switching flags",
                paragraphs: [
                    flags.isEmpty
                        ? "No switching criterion of the routing tables in force at the end of \(quarter) is met."
                        : "\(flags.count == 1 ? "1 criterion" : "\(flags.count) criteria") met: the routing tables in force at the end of \(quarter) (\(tables.map { "\($0.table) v\($0.version)" }.joined(separator: ", "))) say these models should move."
                ],
                table: .init(columns: ["table / rule", "model", "criterion", "measured", "threshold", "criteria"], rows: flags)),
        ]
        var empty: String?
        if models.isEmpty {
            let span = try projections.generationSpan(asOf: asOf)
            empty =
                "No generation was requested in \(quarter) as the ledger stood at seq \(asOf)"
                + (span.map { "; its generations run from \($0.first) to \($0.last)." } ?? "; it records no generation at all.")
            sections[0].paragraphs.insert(empty!, at: 0)
        }
        var document = ReportDocument(
            title: "Quarterly model review, \(quarter)", stamp: try .of(projections.ledger, size: asOf), sections: sections,
            data: [
                "quarter": .string(quarter.description), "as_of": .number(Double(asOf)), "models": .array(data),
                "flags": .array(
                    flags.map {
                        [
                            "rule": .string($0[0]), "model": .string($0[1]), "criterion": .string($0[2]),
                            "measured": .string($0[3]),
                        ]
                    }),
            ])
        document.emptyPeriod = empty
        return document
    }

    static func json(_ q: ModelQuarter, previous: ModelQuarter?) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number(($0 * 1e6).rounded() / 1e6) } ?? .null }
        return [
            "model": .string(q.model), "volume": .number(Double(q.volume)), "completed": .number(Double(q.completed)),
            "failed": .number(Double(q.failed)), "failure_rate": number(q.failureRate),
            "failure_modes": .object(q.failureModes.mapValues { .number(Double($0)) }),
            "fallbacks_out": .number(Double(q.fallbacksOut)), "fallbacks_in": .number(Double(q.fallbacksIn)),
            "reviewed": .number(Double(q.reviewed)), "accepted": .number(Double(q.accepted)),
            "acceptance_rate": number(q.acceptanceRate),
            "regeneration_multiplier": number(q.regenerationMultiplier), "p50_ms": q.p50.map { .number(Double($0)) } ?? .null,
            "p95_ms": q.p95.map { .number(Double($0)) } ?? .null, "spend": .number(Double(q.spendMicros) / 1e6),
            "generation_spend": .number(Double(q.generationMicros) / 1e6),
            "refinement_spend": .number(Double(q.refinementMicros) / 1e6),
            "time_spend": .number(Double(q.timeMicros) / 1e6),
            "true_cost_per_accepted": number(q.trueCostPerAcceptedMicros.map { $0 / 1e6 }),
            "previous_acceptance_rate": number(previous?.acceptanceRate),
            "previous_regeneration_multiplier": number(previous?.regenerationMultiplier),
            "previous_true_cost_per_accepted": number(previous?.trueCostPerAcceptedMicros.map { $0 / 1e6 }),
        ]
    }
}
