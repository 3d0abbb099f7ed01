public import Foundation
public import LedgerLog

/// A routing decision: the rule that matched, every candidate considered and why it was or
/// was not chosen.
public struct RoutingDecision: Sendable {
    public struct Candidate: Sendable {
        public var model: String
        /// `primary`, or `fallback:<failure mode or default>`.
        public var role: String
        public var eligible: Bool
        public var chosen: Bool
        public var reason: String
    }

    public var decision: String
    public var request: RouteRequest
    public var table: String
    public var tableVersion: Int64
    public var rule: String
    public var tier: Tier
    public var model: String
    public var modelVersion: String
    public var candidates: [Candidate]
    /// The model passed over and the failure mode that sent the request to a fallback.
    public var fallbackFrom: (model: String, failureMode: FailureMode)?

    public var payload: JSONValue {
        var object: [String: JSONValue] = [
            "decision": .string(decision), "request": request.json, "table": .string(table),
            "table_version": .number(Double(tableVersion)), "rule": .string(rule), "tier": .string(tier.rawValue),
            "model": .string(model), "model_version": .string(modelVersion),
            "candidates": .array(
                candidates.map {
                    [
                        "model": .string($0.model), "role": .string($0.role), "eligible": .bool($0.eligible),
                        "chosen": .bool($0.chosen), "reason": .string($0.reason),
                    ]
                }),
        ]
        if let fallbackFrom {
            object["fallback_from"] = [
                "model": .string(fallbackFrom.model), "failure_mode": .string(fallbackFrom.failureMode.rawValue),
            ]
        }
        return .object(object)
    }

    public var stream: String { request.deliverable.map { "deliverable/\($0)" } ?? "routing/requests" }
}

/// Decides which model serves a request, from the routing tables in force and each model's
/// status. Pure: same tables, same catalog state, same request → same decision.
public enum RoutingEngine {
    public static func decide(_ request: RouteRequest, in state: GovernanceState, decision: String? = nil) throws
        -> RoutingDecision
    {
        let tables = state.tables.values.filter { $0.document.modalities.contains(request.modality) }
            .sorted { $0.document.name < $1.document.name }
        guard !tables.isEmpty else {
            throw GovernanceError(.noRoute, "no published routing table covers \(request.modality.rawValue)", field: "modality")
        }
        var misses: [String] = []
        for published in tables {
            let table = published.document
            for rule in table.rules {
                let (matched, why) = rule.match.matches(request)
                guard matched else {
                    misses.append("\(table.name)/\(rule.id): \(why)")
                    continue
                }
                return try choose(request, table: published, rule: rule, state: state, decision: decision)
            }
        }
        throw GovernanceError(.noRoute, "no rule matches the request (\(misses.joined(separator: "; ")))")
    }

    private static func choose(
        _ request: RouteRequest, table: Published<RoutingTable>, rule: RoutingRule, state: GovernanceState, decision: String?
    ) throws -> RoutingDecision {
        let primary = state.models[rule.primary]
        let mode: FailureMode? =
            request.afterFailure?.failureMode ?? (primary?.status == .active ? nil : primary?.failureMode ?? .retired)
        var order: [(model: String, role: String)] = [(rule.primary, "primary")]
        for model in rule.fallbacks(for: mode) where !order.contains(where: { $0.model == model }) {
            let listed = mode.flatMap { rule.fallbacks[$0.rawValue]?.contains(model) == true ? $0.rawValue : nil } ?? "default"
            order.append((model, "fallback:\(listed)"))
        }
        let allowedTiers = state.policyInForce?.document.tiersByStage[request.stage]
        var candidates: [RoutingDecision.Candidate] = []
        var chosen: Int?
        for (model, role) in order {
            var reason: String
            var eligible = false
            if let state = state.models[model] {
                if request.afterFailure?.model == model {
                    reason = "failed with \(request.afterFailure!.failureMode.rawValue) on this request"
                } else if state.status == .retired {
                    reason = "retired"
                } else if state.status == .degraded {
                    reason = "degraded (\(state.failureMode?.rawValue ?? "unspecified"))"
                } else if !state.modalities.contains(request.modality) {
                    reason = "does not offer \(request.modality.rawValue)"
                } else if let allowedTiers, !allowedTiers.contains(state.tier) {
                    reason = "\(state.tier.rawValue) tier is not allowed for \(request.stage.rawValue) work"
                } else {
                    eligible = true
                    reason =
                        chosen == nil
                        ? (role == "primary" ? "chosen: primary, active" : "chosen: first eligible \(role)")
                        : "eligible, not needed"
                }
            } else {
                reason = "not in the catalog"
            }
            if eligible && chosen == nil { chosen = candidates.count }
            candidates.append(
                .init(
                    model: model, role: role, eligible: eligible, chosen: eligible && chosen == candidates.count, reason: reason))
        }
        guard let chosen, let model = state.models[candidates[chosen].model] else {
            throw GovernanceError(
                .noRoute,
                "rule '\(rule.id)' of table '\(table.document.name)' v\(table.version) has no eligible model: "
                    + candidates.map { "\($0.model) (\($0.reason))" }.joined(separator: ", "))
        }
        var fallbackFrom: (model: String, failureMode: FailureMode)?
        if chosen > 0 {
            fallbackFrom = request.afterFailure ?? (rule.primary, mode ?? .retired)
        }
        let id = decision ?? derivedDecisionID(request, table: table, position: state.position)
        return RoutingDecision(
            decision: id, request: request, table: table.document.name, tableVersion: table.version, rule: rule.id,
            tier: rule.tier, model: model.id, modelVersion: model.version, candidates: candidates, fallbackFrom: fallbackFrom)
    }

    /// Same request against the same log position and table → the same id.
    static func derivedDecisionID(_ request: RouteRequest, table: Published<RoutingTable>, position: UInt64) -> String {
        let name = "\(CanonicalJSON.string(of: request.json))|\(table.document.name)|\(table.version)|\(position)"
        return "R-" + String(SHA256.hash(Array(name.utf8)).description.prefix(16))
    }
}

extension GovernedLedger {
    /// Decides a request against the state at the end of the log and, unless `dryRun`, appends
    /// the `routing.decided` event in the same transaction.
    public func route(
        _ request: RouteRequest, decision: String? = nil, dryRun: Bool = false, id: UUID? = nil, occurredAt: Timestamp? = nil,
        actor: String? = nil
    ) throws -> (decision: RoutingDecision, appended: GovernedAppend?) {
        if dryRun {
            try refresh(deliverables: request.deliverable.map { [$0] } ?? [])
            return (try RoutingEngine.decide(request, in: state, decision: decision), nil)
        }
        scope = GateIndex.Scope(deliverables: Set(request.deliverable.map { [$0] } ?? []))
        let result: (RoutingDecision, SessionResult) = try session { session in
            let routed = try RoutingEngine.decide(request, in: state, decision: decision)
            let event = ProposedEvent(
                id: id, type: EventType.routingDecided.rawValue, stream: routed.stream, payload: routed.payload,
                occurredAt: occurredAt, actor: actor)
            let decoded = try Self.decode([event])
            return (routed, try appendInSession(session, [event], decoded))
        }
        switch result.1 {
        case .appended(let appended): return (result.0, appended.first)
        case .denied(let error): throw error
        }
    }
}
