import Foundation
import Governance
import LedgerLog
public import Projections

/// `genledger report quarterly --quarter YYYY-Qn`: the quarterly model review. It opens with
/// what needs deciding (the switching flags) and the quarter's totals, then the figures per
/// model and per category and model, then everything that changed in the quarter.
public enum QuarterlyReport {
    static let formula = """
        True cost per acceptable deliverable = cost per attempt × regeneration multiplier + refinement cost \
        per accepted output + review and opportunity time per accepted output, where cost per attempt = \
        generation spend / volume and regeneration multiplier = volume / accepted outputs; together, all \
        spend attributed to the model's outputs (and what was refined from them) / accepted outputs.
        """

    /// Below this many reviews, a model's acceptance (and what is derived from it) is marked as a
    /// small sample (docs/REPORTS.md).
    public static let smallSample = 20

    /// The latest quarter with generations as of `seq` (occurred time): the default period.
    public static func quarter(of seq: UInt64, in projections: Projections) throws -> Quarter {
        guard let last = try projections.lastGenerationDate(asOf: seq) else {
            throw LedgerError(.badInput, "the ledger records no generation as of seq \(seq); name a quarter", field: "quarter")
        }
        return Quarter("\(last.year)-Q\((last.month - 1) / 3 + 1)")!
    }

    typealias Cell = ReportDocument.Cell

    /// A figure resting on fewer reviews than `smallSample` says so where it is read.
    static func sampled(_ cell: Cell, reviews: Int) -> Cell {
        guard reviews < smallSample, cell != .missing else { return cell }
        var marked = cell
        marked.text += " (small sample)"
        return marked
    }

    public static func build(_ projections: Projections, quarter: Quarter, asOf: UInt64) throws -> ReportDocument {
        let both = try projections.modelQuarters([quarter, quarter.previous], asOf: asOf)
        let (current, previous) = (both[0], both[1])
        let perCategory = try projections.modelQuarters([quarter], asOf: asOf, perCategory: true)[0]
        let statuses = try projections.modelStatuses(asOf: asOf)
        let changes = try projections.modelChanges(quarter, asOf: asOf)
        let currency = try projections.accountCurrency(asOf: asOf)
        // Switching criteria are those of the tables in force when the quarter ended.
        let tables = try projections.tablesInForce(before: quarter.bounds.end, asOf: asOf)
        let models = current.keys.sorted()
        var total = ModelQuarter(model: "total")
        for q in current.values {
            total.volume += q.volume
            total.completed += q.completed
            total.failed += q.failed
            total.reviewed += q.reviewed
            total.accepted += q.accepted
            total.generationMicros += q.generationMicros
            total.refinementMicros += q.refinementMicros
            total.reviewTimeMicros += q.reviewTimeMicros
            total.opportunityMicros += q.opportunityMicros
            total.fallbacksOut += q.fallbacksOut
            total.fallbacksIn += q.fallbacksIn
        }

        let flags = switchingFlags(tables: tables, current: current)
        var summary: [String] = []
        var empty: String?
        if models.isEmpty {
            let span = try projections.generationSpan(asOf: asOf)
            empty =
                "No generation was requested in \(quarter) as the ledger stood at seq \(asOf)"
                + (span.map { "; its generations run from \($0.first) to \($0.last)." } ?? "; it records no generation at all.")
            summary.append(empty!)
        }
        summary.append(
            flags.isEmpty
                ? "No switching criterion of the routing tables in force at the end of \(quarter) is met: no model needs to move."
                : "Needs a decision: \(counted(flags.count, "switching criterion", plural: "switching criteria")) met — "
                    + flags.map { "\($0.model) (\($0.rule): \($0.criterion) \($0.measured.text), threshold \($0.threshold.text))" }
                    .joined(separator: "; ") + ".")
        if !models.isEmpty {
            summary.append(
                "\(counted(total.volume, "generation")) on \(counted(models.count, "model")) in \(quarter): \(total.failed) failed, \(total.accepted) of \(total.reviewed) reviewed outputs accepted (\(Cell.percent(total.acceptanceRate).text)); spend \(moneyText(total.spendMicros, currency)) (model generation \(moneyText(total.generationMicros, currency)), refinement \(moneyText(total.refinementMicros, currency)), review time \(moneyText(total.reviewTimeMicros, currency)), opportunity \(moneyText(total.opportunityMicros, currency)))."
            )
            if let best = models.compactMap({ current[$0] }).filter({ $0.trueCostPerAcceptedMicros != nil && $0.reviewed >= smallSample })
                .min(by: { $0.trueCostPerAcceptedMicros! < $1.trueCostPerAcceptedMicros! })
            {
                summary.append(
                    "Lowest true cost per accepted output among models with at least \(smallSample) reviews: \(best.model), \(moneyText(Int64(best.trueCostPerAcceptedMicros!.rounded()), currency)).")
            }
            let small = models.filter { current[$0]!.reviewed < smallSample }
            if !small.isEmpty {
                summary.append(
                    "Small samples (fewer than \(smallSample) reviews; their rates and deltas are marked and should not decide a switch on their own): \(small.map { "\($0) (\(current[$0]!.reviewed))" }.joined(separator: ", ")).")
            }
        }
        summary.append(
            changes.isEmpty
                ? "No price, version, status or routing-table change in \(quarter)."
                : "\(counted(changes.count, "change")) in \(quarter): "
                    + ["price", "version", "status", "routing table"].compactMap { kind in
                        let n = changes.filter { $0.kind == kind }.count
                        return n == 0 ? nil : "\(n) \(kind)"
                    }.joined(separator: ", ") + " (listed under Changes).")

        var outcomeRows: [[Cell]] = []
        var costRows: [[Cell]] = []
        var data: [JSONValue] = []
        for model in models {
            let q = current[model]!
            outcomeRows.append(outcomeRow(q, tier: statuses[model]?.tier.rawValue ?? "?"))
            costRows.append(costRow(q, previous: previous[model]))
            data.append(Self.json(q, previous: previous[model]))
        }
        if models.count > 1 {
            outcomeRows.append(outcomeRow(total, tier: ""))
            costRows.append(costRow(total, previous: nil))
        }
        let categoryRows: [[Cell]] = perCategory.values.sorted { ($0.category ?? "", $0.model) < ($1.category ?? "", $1.model) }.map {
            [
                Cell($0.category ?? "?"), Cell($0.model), .count($0.volume), .count($0.reviewed),
                sampled(.percent($0.acceptanceRate), reviews: $0.reviewed),
                sampled(.decimal($0.regenerationMultiplier), reviews: $0.reviewed), .money($0.spendMicros),
                sampled(.money($0.trueCostPerAcceptedMicros), reviews: $0.reviewed),
            ]
        }

        let sections: [ReportDocument.Section] = [
            .init(
                heading: "Summary", paragraphs: summary,
                table: .init(
                    columns: ["table / rule", "model", "criterion", "measured", "threshold", "reviews", "criteria"],
                    rows: flags.map {
                        [Cell($0.rule), Cell($0.model), Cell($0.criterion), $0.measured, $0.threshold, .count($0.reviews), Cell($0.criteria)]
                    })),
            .init(
                heading: "Per model: outcomes",
                paragraphs: [
                    "Generations requested in \(quarter) (by occurred_at), as the ledger stood at seq \(asOf). Latency in seconds. A rate on fewer than \(smallSample) reviews is marked small sample."
                ],
                table: .init(
                    columns: [
                        "model", "tier", "volume", "failure rate (%)", "failure modes", "fallbacks out / in", "reviews",
                        "acceptance (%)", "regeneration multiplier (×)", "p50 (s)", "p95 (s)",
                    ], rows: outcomeRows),
                chart: .init(
                    title: "Acceptance by model, \(quarter)", unit: "%",
                    bars: models.compactMap { m in
                        let q = current[m]!
                        return q.acceptanceRate.map { ("\(m) (\(counted(q.reviewed, "review")))", sampled(.percent($0), reviews: q.reviewed)) }
                    })),
            .init(
                heading: "Per model: spend and change since \(quarter.previous)",
                paragraphs: [formula, "Money in \(currency). Δ acceptance in percentage points."],
                table: .init(
                    columns: [
                        "model", "model generation (\(currency))", "refinement (\(currency))", "review time (\(currency))", "opportunity (\(currency))",
                        "spend (\(currency))", "true cost per accepted (\(currency))", "Δ acceptance (pt)", "Δ multiplier",
                        "Δ true cost (\(currency))", "request seqs",
                    ], rows: costRows),
                chart: .init(
                    title: "True cost per accepted output, \(quarter)", unit: currency,
                    bars: models.compactMap { m in
                        let q = current[m]!
                        return q.trueCostPerAcceptedMicros.map { (m, sampled(.money($0), reviews: q.reviewed)) }
                    })),
            .init(
                heading: "Per category and model",
                paragraphs: ["The same figures for each deliverable category a model served in \(quarter)."],
                table: .init(
                    columns: [
                        "category", "model", "volume", "reviews", "acceptance (%)", "regeneration multiplier (×)", "spend (\(currency))",
                        "true cost per accepted (\(currency))",
                    ], rows: categoryRows)),
            .init(
                heading: "Changes in \(quarter)",
                paragraphs: [
                    changes.isEmpty
                        ? "None: no price, version or status change took effect and no routing table was published in \(quarter)."
                        : "Price, version and status changes effective in \(quarter), and routing-table versions published in it. A model's registration is not a change."
                ],
                table: .init(
                    columns: ["seq", "kind", "model or table", "change"],
                    rows: changes.map { [.count(Int($0.seq)), Cell($0.kind), Cell($0.model), Cell($0.what)] })),
        ]
        var document = ReportDocument(
            title: "Quarterly model review, \(quarter)", stamp: try .of(projections.ledger, size: asOf), sections: sections,
            data: [
                "quarter": .string(quarter.description), "as_of": .number(Double(asOf)), "currency": .string(currency),
                "small_sample_reviews": .number(Double(smallSample)), "notes": .array(summary.map(JSONValue.string)),
                "models": .array(data), "total": json(total, previous: nil),
                "per_category": .array(
                    perCategory.values.sorted { ($0.category ?? "", $0.model) < ($1.category ?? "", $1.model) }.map {
                        json($0, previous: nil)
                    }),
                "changes": .array(
                    changes.map {
                        ["seq": .number(Double($0.seq)), "kind": .string($0.kind), "subject": .string($0.model), "change": .string($0.what)]
                    }),
                "flags": .array(
                    flags.map {
                        [
                            "rule": .string($0.rule), "model": .string($0.model), "criterion": .string($0.criterion),
                            "measured": .string($0.measured.plain), "threshold": .string($0.threshold.plain),
                            "reviews": .number(Double($0.reviews)), "small_sample": .bool($0.reviews < smallSample),
                        ]
                    }),
            ])
        document.emptyPeriod = empty
        return document
    }

    static func outcomeRow(_ q: ModelQuarter, tier: String) -> [Cell] {
        [
            Cell(q.model), Cell(tier), .count(q.volume), .percent(q.failureRate),
            Cell(q.failureModes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            Cell("\(q.fallbacksOut) / \(q.fallbacksIn)"), .count(q.reviewed),
            sampled(.percent(q.acceptanceRate), reviews: q.reviewed),
            sampled(.decimal(q.regenerationMultiplier), reviews: q.reviewed),
            .decimal(q.p50.map { Double($0) / 1000 }, places: 1), .decimal(q.p95.map { Double($0) / 1000 }, places: 1),
        ]
    }

    static func costRow(_ q: ModelQuarter, previous p: ModelQuarter?) -> [Cell] {
        func change(_ now: Double?, _ before: Double?) -> Double? {
            guard let now, let before else { return nil }
            return now - before
        }
        return [
            Cell(q.model), .money(q.generationMicros), .money(q.refinementMicros), .money(q.reviewTimeMicros), .money(q.opportunityMicros),
            .money(q.spendMicros),
            sampled(.money(q.trueCostPerAcceptedMicros), reviews: q.reviewed),
            .points(change(q.acceptanceRate, p?.acceptanceRate)),
            .decimal(change(q.regenerationMultiplier, p?.regenerationMultiplier), signed: true),
            .moneyChange(change(q.trueCostPerAcceptedMicros, p?.trueCostPerAcceptedMicros)),
            Cell(q.firstSeq.map { "\($0)…\(q.lastSeq!)" } ?? ""),
        ]
    }

    struct Flag {
        var rule: String
        var model: String
        var criterion: String
        var measured: Cell
        var threshold: Cell
        var reviews: Int
        var criteria: String
    }

    /// Switching criteria of the tables in force, applied to each rule's primary.
    static func switchingFlags(tables: [PublishedTable], current: [String: ModelQuarter]) -> [Flag] {
        var flags: [Flag] = []
        for table in tables {
            for rule in table.parsed.rules {
                guard let switching = rule.switching, let q = current[rule.primary] else { continue }
                func flag(_ what: String, _ measured: Cell, _ threshold: Cell) {
                    flags.append(
                        Flag(
                            rule: "\(table.table) v\(table.version) / \(rule.id)", model: rule.primary, criterion: what,
                            measured: measured, threshold: threshold, reviews: q.reviewed, criteria: switching.criteria))
                }
                if let limit = switching.acceptanceRateBelow, let value = q.acceptanceRate, value < limit {
                    flag("acceptance below", sampled(.percent(value), reviews: q.reviewed), .percent(limit))
                }
                if let limit = switching.regenerationMultiplierAbove, let value = q.regenerationMultiplier, value > limit {
                    flag("regeneration multiplier above", sampled(.decimal(value), reviews: q.reviewed), .decimal(limit))
                }
                if let limit = switching.failureRateAbove, let value = q.failureRate, value > limit {
                    flag("failure rate above", .percent(value), .percent(limit))
                }
                if let limit = switching.p95LatencySecondsAbove, let value = q.p95, Double(value) / 1000 > limit {
                    var measured = Cell.decimal(Double(value) / 1000, places: 1)
                    measured.text += " s"
                    var threshold = Cell.decimal(limit, places: 1)
                    threshold.text += " s"
                    flag("p95 latency above", measured, threshold)
                }
            }
        }
        return flags
    }

    static func json(_ q: ModelQuarter, previous: ModelQuarter?) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number(($0 * 1e6).rounded() / 1e6) } ?? .null }
        func micros(_ value: Double?) -> JSONValue { value.map { .number($0.rounded()) } ?? .null }
        var object: [String: JSONValue] = [
            "model": .string(q.model), "volume": .number(Double(q.volume)), "completed": .number(Double(q.completed)),
            "failed": .number(Double(q.failed)), "failure_rate": number(q.failureRate),
            "failure_modes": .object(q.failureModes.mapValues { .number(Double($0)) }),
            "fallbacks_out": .number(Double(q.fallbacksOut)), "fallbacks_in": .number(Double(q.fallbacksIn)),
            "reviewed": .number(Double(q.reviewed)), "accepted": .number(Double(q.accepted)),
            "small_sample": .bool(q.reviewed < smallSample),
            "acceptance_rate": number(q.acceptanceRate),
            "regeneration_multiplier": number(q.regenerationMultiplier), "p50_ms": q.p50.map { .number(Double($0)) } ?? .null,
            "p95_ms": q.p95.map { .number(Double($0)) } ?? .null, "spend_micros": .number(Double(q.spendMicros)),
            "generation_micros": .number(Double(q.generationMicros)),
            "refinement_micros": .number(Double(q.refinementMicros)),
            "review_time_micros": .number(Double(q.reviewTimeMicros)),
            "opportunity_micros": .number(Double(q.opportunityMicros)),
            "true_cost_per_accepted_micros": micros(q.trueCostPerAcceptedMicros),
            "previous_acceptance_rate": number(previous?.acceptanceRate),
            "previous_regeneration_multiplier": number(previous?.regenerationMultiplier),
            "previous_true_cost_per_accepted_micros": micros(previous?.trueCostPerAcceptedMicros),
        ]
        if let category = q.category { object["category"] = .string(category) }
        return .object(object)
    }
}
