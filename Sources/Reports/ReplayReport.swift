import Foundation
import Governance
public import LedgerLog
public import Projections

/// `genledger replay`: what history would have been under a candidate routing table.
public enum ReplayReport {
    public static func build(_ projections: Projections, _ replay: Replay) throws -> ReportDocument {
        typealias Cell = ReportDocument.Cell
        func seqs(_ list: [UInt64], of count: Int) -> String {
            list.map(String.init).joined(separator: ", ") + (count > list.count ? ", …" : "")
        }
        let (before, after) = (replay.before, replay.after)
        let source =
            switch replay.candidateSource {
            case .file(let path): "file \(path)"
            case .published(let seq): "published at seq \(seq)"
            }
        let window = "\(replay.window.from?.description ?? "the beginning") to \(replay.window.to?.description ?? "the end")"
        let span = replay.firstSeq.map { "seqs \($0)…\(replay.lastSeq!)" } ?? "none"
        let share = replay.requests == 0 ? "—" : Cell.percent(Double(replay.changed) / Double(replay.requests)).text
        let currency = replay.currency.rawValue
        func relative(_ from: Double?, _ to: Double?) -> Cell {
            guard let from, let to, from != 0 else { return .missing }
            return .relative((to - from) / from)
        }
        func change(_ from: Double?, _ to: Double?) -> Double? {
            guard let from, let to else { return nil }
            return to - from
        }
        let spendChange = change(before.spendMicros, after.spendMicros)
        var empty: String?
        if replay.requests == 0 {
            empty = "No routing decision was recorded from \(window) as the ledger stood at seq \(replay.asOf): there is nothing to replay."
        }
        var notes = empty.map { [$0] } ?? []
        notes += [
            "Candidate: table '\(replay.table)' v\(replay.candidateVersion) (\(source)), digest \(replay.candidateDigest).",
            "Window: requests that occurred from \(window), recorded at or before seq \(replay.asOf): \(counted(replay.requests, "request")) (\(span)).",
            "\(counted(replay.changed, "request")) (\(share)) would have gone to another model; \(replay.unroutableRequests) could not be routed by the candidate at all.",
            "The ledger records \(moneyText(replay.actualSpendMicros, currency)) of generation spend for \(counted(replay.actualRequests, "request")) of the window; the estimate of the same routing is \(Cell.money(before.spendMicros).text) and of the candidate \(Cell.money(after.spendMicros).text) \(currency) (\(spendChange.map { Cell.moneyChange($0).text } ?? "—"), \(relative(before.spendMicros, after.spendMicros).text)).",
            "Estimates rest on \(before.requests) requests routable under both; \(replay.lowConfidence) of them are low-confidence (a model with no accepted output yet in the category, estimated from its tier's average); \(replay.withoutEstimate) had no observed rates at all and are left out of the estimates.",
            "Nothing was written: a replay never changes the ledger unless asked to record its summary (--record).",
        ]
        let series = ["recorded, ledger", "recorded, estimate", "candidate, estimate"]
        var sections: [ReportDocument.Section] = [
            .init(
                heading: "Summary",
                paragraphs: notes,
                table: .init(
                    columns: ["measure", "recorded routing: ledger", "recorded routing: estimate", "candidate: estimate", "change (estimates)", "relative change"],
                    rows: [
                        [
                            Cell("generation spend (\(currency))"), .money(replay.actualSpendMicros), .money(before.spendMicros),
                            .money(after.spendMicros), .moneyChange(spendChange), relative(before.spendMicros, after.spendMicros),
                        ],
                        [
                            Cell("regeneration multiplier (attempts per accepted output)"), .missing, .decimal(before.regenerationMultiplier),
                            .decimal(after.regenerationMultiplier),
                            .decimal(change(before.regenerationMultiplier, after.regenerationMultiplier), signed: true),
                            relative(before.regenerationMultiplier, after.regenerationMultiplier),
                        ],
                        [
                            Cell("failure rate (%)"), .missing, .percent(before.failureRate), .percent(after.failureRate),
                            .points(change(before.failureRate, after.failureRate)), relative(before.failureRate, after.failureRate),
                        ],
                        [
                            Cell("true cost per acceptable deliverable (\(currency))"), .missing, .money(before.trueCostPerAcceptableMicros),
                            .money(after.trueCostPerAcceptableMicros),
                            .moneyChange(change(before.trueCostPerAcceptableMicros, after.trueCostPerAcceptableMicros)),
                            relative(before.trueCostPerAcceptableMicros, after.trueCostPerAcceptableMicros),
                        ],
                    ]),
                chart: .init(
                    title: "Generation spend by category (\(currency))", unit: currency, series: series,
                    bars: replay.byCategory.flatMap {
                        [
                            .init(label: $0.category, figure: .money($0.actualSpendMicros), series: 0),
                            .init(label: $0.category, figure: .money($0.before.spendMicros), series: 1),
                            .init(label: $0.category, figure: .money($0.after.spendMicros), series: 2),
                        ]
                    }))
        ]
        sections.append(
            .init(
                heading: "Requests that change model",
                paragraphs: replay.moves.isEmpty ? ["None: the candidate routes every request as it was routed."] : [],
                table: replay.moves.isEmpty
                    ? nil
                    : .init(
                        columns: ["category", "from (tier)", "to (tier)", "requests", "first seqs"],
                        rows: replay.moves.map {
                            [
                                Cell($0.category), Cell("\($0.from) (\($0.fromTier))"), Cell("\($0.to) (\($0.toTier))"),
                                .count($0.requests), Cell(seqs($0.seqs, of: $0.requests)),
                            ]
                        })))
        sections.append(
            .init(
                heading: "Requests the candidate cannot route",
                paragraphs: replay.unroutable.isEmpty ? ["None."] : [],
                table: replay.unroutable.isEmpty
                    ? nil
                    : .init(
                        columns: ["category", "stage", "modality", "requests", "first seqs", "why"],
                        rows: replay.unroutable.map {
                            [
                                Cell($0.category), Cell($0.stage), Cell($0.modality), .count($0.requests),
                                Cell(seqs($0.seqs, of: $0.requests)), Cell($0.reason),
                            ]
                        })))
        sections.append(
            .init(
                heading: "By category",
                table: .init(
                    columns: [
                        "category", "requests", "changed", "unroutable", "low-confidence", "spend, ledger (\(currency))",
                        "spend, recorded estimate (\(currency))", "spend, candidate estimate (\(currency))", "multiplier, recorded",
                        "multiplier, candidate", "true cost, recorded (\(currency))", "true cost, candidate (\(currency))",
                    ],
                    rows: replay.byCategory.map {
                        [
                            Cell($0.category), .count($0.requests), .count($0.changed), .count($0.unroutable),
                            .count($0.lowConfidence), .money($0.actualSpendMicros), .money($0.before.spendMicros),
                            .money($0.after.spendMicros), .decimal($0.before.regenerationMultiplier),
                            .decimal($0.after.regenerationMultiplier), .money($0.before.trueCostPerAcceptableMicros),
                            .money($0.after.trueCostPerAcceptableMicros),
                        ]
                    })))
        sections.append(.init(heading: "Method", paragraphs: method))

        let data: JSONValue = [
            "table": .string(replay.table), "candidate_version": .number(Double(replay.candidateVersion)),
            "candidate_digest": .string(replay.candidateDigest), "source": .string(replay.candidateSource.name),
            "as_of": .number(Double(replay.asOf)),
            "from": replay.window.from.map { .string($0.description) } ?? .null,
            "to": replay.window.to.map { .string($0.description) } ?? .null,
            "requests": .number(Double(replay.requests)), "changed": .number(Double(replay.changed)),
            "unroutable": .number(Double(replay.unroutableRequests)), "low_confidence": .number(Double(replay.lowConfidence)),
            "without_estimate": .number(Double(replay.withoutEstimate)), "currency": .string(currency),
            "actual_spend_micros": .number(Double(replay.actualSpendMicros)),
            "actual_requests": .number(Double(replay.actualRequests)), "notes": .array(notes.map(JSONValue.string)),
            "before": figures(before, missing: .null), "after": figures(after, missing: .null),
            "moves": .array(
                replay.moves.map {
                    [
                        "category": .string($0.category), "from": .string($0.from), "from_tier": .string($0.fromTier),
                        "to": .string($0.to), "to_tier": .string($0.toTier), "requests": .number(Double($0.requests)),
                        "seqs": .array($0.seqs.map { .number(Double($0)) }),
                    ]
                }),
            "unroutable_requests": .array(
                replay.unroutable.map {
                    [
                        "category": .string($0.category), "stage": .string($0.stage), "modality": .string($0.modality),
                        "requests": .number(Double($0.requests)), "seqs": .array($0.seqs.map { .number(Double($0)) }),
                        "reason": .string($0.reason),
                    ]
                }),
            "by_category": .array(
                replay.byCategory.map {
                    [
                        "category": .string($0.category), "requests": .number(Double($0.requests)),
                        "changed": .number(Double($0.changed)), "unroutable": .number(Double($0.unroutable)),
                        "low_confidence": .number(Double($0.lowConfidence)),
                        "actual_spend_micros": .number(Double($0.actualSpendMicros)),
                        "before": figures($0.before, missing: .null), "after": figures($0.after, missing: .null),
                    ]
                }),
        ]
        var document = ReportDocument(
            title: "Replay under '\(replay.table)' v\(replay.candidateVersion)",
            stamp: try .of(projections.ledger, size: replay.asOf),
            sections: sections, data: data)
        document.emptyPeriod = empty
        return document
    }

    /// The `replay.completed` payload `genledger replay --record` appends (docs/EVENTS.md).
    public static func summary(_ replay: Replay) -> JSONValue {
        var object: [String: JSONValue] = [
            "table": .string(replay.table), "candidate_version": .number(Double(replay.candidateVersion)),
            "candidate_digest": .string(replay.candidateDigest), "source": .string(replay.candidateSource.name),
            "as_of": .number(Double(replay.asOf)), "requests": .number(Double(replay.requests)),
            "changed": .number(Double(replay.changed)), "unroutable": .number(Double(replay.unroutableRequests)),
            "low_confidence": .number(Double(replay.lowConfidence)), "currency": .string(replay.currency.rawValue),
            "before": figures(replay.before, missing: .omitted), "after": figures(replay.after, missing: .omitted),
        ]
        if case .file(let path) = replay.candidateSource { object["file"] = .string(path) }
        if let from = replay.window.from { object["from"] = .string(from.description) }
        if let to = replay.window.to { object["to"] = .string(to.description) }
        return .object(object)
    }

    enum Missing { case null, omitted }

    /// One side's figures, rounded: money to cents, ratios to four decimals.
    static func figures(_ f: Replay.Figures, missing: Missing) -> JSONValue {
        var object: [String: JSONValue] = [
            "requests": .number(Double(f.requests)), "spend": .number((f.spendMicros / 1e4).rounded() / 100),
        ]
        func set(_ key: String, _ value: Double?) {
            if let value { object[key] = .number(value) } else if missing == .null { object[key] = .null }
        }
        set("regeneration_multiplier", f.regenerationMultiplier.map { ($0 * 1e4).rounded() / 1e4 })
        set("failure_rate", f.failureRate.map { ($0 * 1e4).rounded() / 1e4 })
        set("true_cost_per_acceptable", f.trueCostPerAcceptableMicros.map { ($0 / 1e4).rounded() / 100 })
        return .object(object)
    }

    /// The estimate, in words (also in docs/REPLAY.md).
    public static let method = [
        "Each recorded routing.decided request in the window is decided again by the routing engine, with the candidate table in force in place of the published table of its name and every model's status, version and the governance policy as they stood at that request. A request changes when the candidate picks another model than the one recorded.",
        "Rates are observed in the ledger as of each request (everything recorded before its seq), per model and deliverable category: cost per attempt = generation spend / attempts (the observed price); regeneration multiplier = attempts / accepted outputs; failure rate = failed / (completed + failed) attempts. Per category: review-time and opportunity spend per attempt, and refinement spend per accepted output.",
        "True cost per acceptable deliverable = (cost per attempt + review and opportunity time per attempt) × regeneration multiplier + refinement per accepted output: the per-generation cost × regeneration multiplier + refinement + review time of docs/REPORTS.md.",
        "Estimated generation spend: each recorded request is one attempt at the recorded model's cost per attempt; under the candidate, the same work needs (candidate's multiplier ÷ recorded model's multiplier) attempts at the candidate's cost per attempt. Multiplier, failure rate and true cost are averages over the requests.",
        "Where a model has no accepted output yet in the category, its tier's pooled figures in that category stand in (else the tier's across categories), and the request is counted as low-confidence. Requests with no figures even for the tier are left out of the estimates and counted.",
    ]
}
