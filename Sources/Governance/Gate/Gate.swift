public import LedgerLog

/// The gate's answer for one event: which rules of which policy version it was judged by, and
/// whether it is allowed, allowed with warnings, or denied (and by which rule).
public struct GateJudgement: Sendable {
    public enum Outcome: String, Sendable {
        case allowed
        case warned
        case denied
    }

    public struct Finding: Sendable {
        public var rule: String
        public var action: CapAction
        public var reason: String
    }

    /// The policy in force, or nil when none is published (built-in rules still apply).
    public var policy: String?
    public var version: Int64
    public var policySeq: UInt64?
    public var rulesChecked: [String] = []
    public var warnings: [Finding] = []
    public var denial: Finding?

    public var outcome: Outcome { denial != nil ? .denied : warnings.isEmpty ? .allowed : .warned }

    /// The record written into an allowed event's payload under `gate`.
    public var record: JSONValue {
        var object: [String: JSONValue] = [
            "outcome": .string(outcome.rawValue),
            "policy": policy.map(JSONValue.string) ?? .null,
            "version": .number(Double(version)),
            "rules": .array(rulesChecked.map(JSONValue.string)),
        ]
        if let policySeq { object["policy_seq"] = .number(Double(policySeq)) }
        if !warnings.isEmpty {
            object["warnings"] = .array(
                warnings.map { ["rule": .string($0.rule), "reason": .string($0.reason)] })
        }
        return .object(object)
    }

    public var rule: GovernanceError.Rule? {
        denial.map { GovernanceError.Rule(policy: policy ?? "built-in", version: version, rule: $0.rule) }
    }
}

/// Judges gated events (generation and regeneration requests, deliveries, overrides) against
/// the governance policy in force and the state folded from the log. Pure: same state, same
/// event, same answer.
public enum Gate {
    /// Rule names, as recorded in `gate.rules` and `policy.denied`.
    public enum RuleName {
        public static let modelStatus = "model-status"
        public static let attemptGranted = "attempt-granted"
        public static let regenerationCap = "regeneration-cap"
        public static let tierByStage = "tier-by-stage"
        public static let lockedSeed = "locked-seed"
        public static let deliverableBudget = "deliverable-budget"
        public static let campaignBudget = "campaign-budget"
        public static let refinementBeforeDelivery = "refinement-before-delivery"
        public static let reviewBeforeDelivery = "review-before-delivery"
        public static let approvers = "approvers"
    }

    /// nil for event types the gate does not judge.
    public static func judge(_ event: DomainEvent, in state: GovernanceState, on date: CalendarDate) -> GateJudgement? {
        let published = state.policyInForce
        var judgement = GateJudgement(
            policy: published?.document.name, version: published?.version ?? 0, policySeq: published?.seq)
        let policy = published?.document

        func check(_ rule: String, _ failing: () -> (CapAction, String)?) {
            guard judgement.denial == nil else { return }
            judgement.rulesChecked.append(rule)
            guard let (action, reason) = failing() else { return }
            let finding = GateJudgement.Finding(rule: rule, action: action, reason: reason)
            if action == .warn { judgement.warnings.append(finding) } else { judgement.denial = finding }
        }

        switch event {
        case .generationRequested(let e):
            guard let deliverable = state.deliverables[e.deliverable], let model = state.models[e.model] else { return judgement }
            let stage = deliverable.opened.stage
            check(RuleName.modelStatus) {
                switch model.status {
                case .retired: (.deny, "model '\(model.id)' is retired")
                case .degraded: (.warn, "model '\(model.id)' is degraded (\(model.failureMode?.rawValue ?? "unspecified"))")
                case .active: nil
                }
            }
            check(RuleName.attemptGranted) {
                e.attempt <= deliverable.attemptsGranted
                    ? nil
                    : (
                        .deny,
                        "attempt \(e.attempt) was not granted; the deliverable may run attempt \(deliverable.attemptsGranted) — ask with regeneration.requested first"
                    )
            }
            guard let policy else { return judgement }
            check(RuleName.tierByStage) {
                let allowed = policy.tiersByStage[stage] ?? []
                return allowed.contains(model.tier)
                    ? nil
                    : (
                        .deny,
                        "\(model.tier.rawValue)-tier model '\(model.id)' is not allowed for \(stage.rawValue) work (allowed: \(allowed.map(\.rawValue).joined(separator: ", ")))"
                    )
            }
            check(RuleName.lockedSeed) {
                guard policy.lockedSeedStages.contains(stage), let campaign = deliverable.opened.campaign else { return nil }
                guard let locked = deliverable.lockedSeed ?? state.campaigns[campaign]?.lockedSeed else {
                    return (
                        .deny,
                        "campaign \(stage.rawValue) work needs a locked seed; none is locked for '\(e.deliverable)' or campaign '\(campaign)'"
                    )
                }
                return locked == e.seed ? nil : (.deny, "seed \(e.seed) differs from the locked seed \(locked)")
            }
            let estimate = estimatedCost(parameters: e.parameters, model: model, deliverable: deliverable, on: date)
            check(RuleName.deliverableBudget) {
                let line = policy.deliverableBudget(category: deliverable.opened.category, stage: stage)
                guard let limit = deliverable.opened.budget ?? line?.limit else { return nil }
                let allowed = limit.micros + deliverable.extraBudgetMicros
                let after = deliverable.spendMicros + estimate.micros
                guard after > allowed else { return nil }
                return (
                    line?.action ?? .requireApproval,
                    "spend would reach \(Money(micros: after, currency: limit.currency)) (estimate \(estimate)) against a budget of \(Money(micros: allowed, currency: limit.currency))"
                )
            }
            check(RuleName.campaignBudget) {
                guard let id = deliverable.opened.campaign, let campaign = state.campaigns[id],
                    let limit = campaign.budget ?? policy.campaignBudget?.defaultLimit
                else { return nil }
                let after = campaign.spendMicros + estimate.micros
                guard after > limit.micros + deliverable.extraBudgetMicros else { return nil }
                return (
                    policy.campaignBudget?.action ?? .requireApproval,
                    "campaign '\(id)' spend would reach \(Money(micros: after, currency: limit.currency)) against its budget of \(limit)"
                )
            }

        case .regenerationRequested(let e):
            guard let deliverable = state.deliverables[e.deliverable], let policy else { return judgement }
            check(RuleName.regenerationCap) {
                guard let cap = policy.regenerationCap(category: deliverable.opened.category, stage: deliverable.opened.stage)
                else {
                    return nil
                }
                let allowed = cap.maxAttempts + (cap.action == .deny ? 0 : deliverable.extraAttempts)
                let attempt = e.attempt ?? deliverable.attemptsGranted + 1
                guard attempt > allowed else { return nil }
                let overrides = deliverable.extraAttempts > 0 ? " including \(deliverable.extraAttempts) granted by override" : ""
                let how = cap.action == .requireApproval ? "; an approver may grant policy.override_granted" : ""
                return (
                    cap.action,
                    "attempt \(attempt) passes the cap of \(allowed) attempts for \(cap.scope.label)\(overrides)\(how)"
                )
            }

        case .deliverableDelivered(let e):
            guard let deliverable = state.deliverables[e.deliverable], let policy else { return judgement }
            check(RuleName.refinementBeforeDelivery) {
                guard policy.refinementStages.contains(deliverable.opened.stage) else { return nil }
                let done = state.refinementSteps(of: e.asset)
                let missing = policy.refinementBeforeDelivery.filter { !done.contains($0) }
                return missing.isEmpty
                    ? nil
                    : (.deny, "asset '\(e.asset)' lacks required refinement: \(missing.map(\.rawValue).joined(separator: ", "))")
            }
            check(RuleName.reviewBeforeDelivery) {
                guard policy.acceptedReviewBeforeDelivery else { return nil }
                return state.assets[e.asset]?.verdict == .accepted ? nil : (.deny, "asset '\(e.asset)' has no accepted review")
            }

        case .policyOverrideGranted(let e):
            guard let policy else {
                check(RuleName.approvers) { (.deny, "no governance policy is published, so no one may grant overrides") }
                return judgement
            }
            check(RuleName.approvers) {
                if !policy.approvers.contains(e.approver) {
                    return (.deny, "'\(e.approver)' is not an approver of policy '\(policy.name)'")
                }
                if e.rule == RuleName.regenerationCap, let deliverable = state.deliverables[e.deliverable],
                    let cap = policy.regenerationCap(category: deliverable.opened.category, stage: deliverable.opened.stage),
                    cap.action == .deny
                {
                    return (.deny, "the regeneration cap for \(cap.scope.label) is a hard cap; overrides are not accepted")
                }
                return nil
            }

        default:
            return nil
        }
        return judgement
    }

    /// The catalog price in effect on the day, times the request's quantity (seconds, megapixels
    /// or credits; one for per-generation prices).
    public static func estimatedCost(
        parameters: GenerationParameters, model: ModelState, deliverable: DeliverableState, on date: CalendarDate
    ) -> Money {
        let price = model.price(on: date)
        let quantity: Double =
            switch price.unit {
            case .perGeneration: 1
            case .perSecond: parameters.durationSeconds ?? deliverable.opened.durationSeconds ?? 1
            case .perMegapixel: parameters.megapixels ?? 1
            case .perCredit: parameters.credits ?? price.credits ?? 1
            }
        return Money(micros: Int64((Double(price.amount.micros) * quantity).rounded()), currency: price.amount.currency)
    }
}

extension GateJudgement {
    /// One line for people: outcome, policy version and any warnings.
    public var summary: String {
        let by = policy.map { "policy '\($0)' v\(version)" } ?? "built-in rules (no policy published)"
        switch outcome {
        case .allowed: return "allowed by \(by)"
        case .warned:
            return "allowed with warnings by \(by): " + warnings.map { "\($0.rule): \($0.reason)" }.joined(separator: "; ")
        case .denied: return "denied by \(by), rule '\(denial!.rule)': \(denial!.reason)"
        }
    }
}
