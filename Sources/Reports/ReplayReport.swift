import Foundation
import Governance
public import LedgerLog
public import Projections

/// `genledger replay`: what history would have been under a candidate routing table.
public enum ReplayReport {
    public static func build(_ projections: Projections, _ replay: Replay) throws -> ReportDocument {
        func money(_ micros: Double?) -> String { micros.map { String(format: "%.2f", $0 / 1e6) } ?? "—" }
        func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "—" }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
        func delta(_ before: Double?, _ after: Double?, _ show: (Double?) -> String) -> String {
            guard let before, let after else { return "—" }
            let change = after - before
            let relative = before == 0 ? "" : String(format: " (%+.1f%%)", change / before * 100)
            return (change >= 0 ? "+" : "") + show(change) + relative
        }
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
        let share = replay.requests == 0 ? "—" : percent(Double(replay.changed) / Double(replay.requests))
        let currency = replay.currency.rawValue

        var sections: [ReportDocument.Section] = [
            .init(
                heading: "Summary",
                paragraphs: [
                    "Candidate: table '\(replay.table)' v\(replay.candidateVersion) (\(source)), digest \(replay.candidateDigest).",
                    "Window: requests that occurred from \(window), recorded at or before seq \(replay.asOf): \(replay.requests) requests (\(span)).",
                    "\(replay.changed) requests (\(share)) would have gone to another model; \(replay.unroutableRequests) could not be routed by the candidate at all.",
                    "Estimates rest on \(before.requests) requests routable under both; \(replay.lowConfidence) of them are low-confidence (a model with no accepted output yet in the category, estimated from its tier's average); \(replay.withoutEstimate) had no observed rates at all and are left out of the estimates.",
                    "Nothing was written: a replay never changes the ledger unless asked to record its summary (--record).",
                ],
                table: .init(
                    columns: ["measure", "recorded routing", "candidate", "change"],
                    rows: [
                        [
                            "estimated generation spend (\(currency))", money(before.spendMicros), money(after.spendMicros),
                            delta(before.spendMicros, after.spendMicros, money),
                        ],
                        [
                            "regeneration multiplier (attempts per accepted output)", ratio(before.regenerationMultiplier),
                            ratio(after.regenerationMultiplier),
                            delta(before.regenerationMultiplier, after.regenerationMultiplier, ratio),
                        ],
                        [
                            "failure rate", percent(before.failureRate), percent(after.failureRate),
                            delta(before.failureRate, after.failureRate, percent),
                        ],
                        [
                            "true cost per acceptable deliverable (\(currency))", money(before.trueCostPerAcceptableMicros),
                            money(after.trueCostPerAcceptableMicros),
                            delta(before.trueCostPerAcceptableMicros, after.trueCostPerAcceptableMicros, money),
                        ],
                    ]),
                chart: .init(
                    title: "Estimated generation spend by category: recorded routing, then candidate", unit: "",
                    bars: replay.byCategory.flatMap {
                        [
                            ("\($0.category) (recorded)", $0.before.spendMicros / 1e6),
                            ("\($0.category) (candidate)", $0.after.spendMicros / 1e6),
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
                                $0.category, "\($0.from) (\($0.fromTier))", "\($0.to) (\($0.toTier))", String($0.requests),
                                seqs($0.seqs, of: $0.requests),
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
                            [$0.category, $0.stage, $0.modality, String($0.requests), seqs($0.seqs, of: $0.requests), $0.reason]
                        })))
        sections.append(
            .init(
                heading: "By category",
                table: .init(
                    columns: [
                        "category", "requests", "changed", "unroutable", "low-confidence", "spend recorded", "spend candidate",
                        "multiplier recorded", "multiplier candidate", "true cost recorded", "true cost candidate",
                    ],
                    rows: replay.byCategory.map {
                        [
                            $0.category, String($0.requests), String($0.changed), String($0.unroutable),
                            String($0.lowConfidence), money($0.before.spendMicros), money($0.after.spendMicros),
                            ratio($0.before.regenerationMultiplier),
                            ratio($0.after.regenerationMultiplier), money($0.before.trueCostPerAcceptableMicros),
                            money($0.after.trueCostPerAcceptableMicros),
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
                        "before": figures($0.before, missing: .null), "after": figures($0.after, missing: .null),
                    ]
                }),
        ]
        return ReportDocument(
            title: "Replay under '\(replay.table)' v\(replay.candidateVersion)",
            stamp: try .of(projections.ledger, size: replay.asOf),
            sections: sections, data: data)
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
        "True cost per acceptable deliverable = (cost per attempt + review and opportunity time per attempt) × regeneration multiplier + refinement per accepted output: DESIGN.md's per-generation cost × multiplier + refinement + time.",
        "Estimated generation spend: each recorded request is one attempt at the recorded model's cost per attempt; under the candidate, the same work needs (candidate's multiplier ÷ recorded model's multiplier) attempts at the candidate's cost per attempt. Multiplier, failure rate and true cost are averages over the requests.",
        "Where a model has no accepted output yet in the category, its tier's pooled figures in that category stand in (else the tier's across categories), and the request is counted as low-confidence. Requests with no figures even for the tier are left out of the estimates and counted.",
    ]
}
