import LedgerLog

/// Judges requests (generation and regeneration requests, delivery requests, overrides) and the
/// facts a rule speaks of (deliveries) against the governance policy in force and the state
/// folded from the log. Every rule is judged, never only up to the first that fails, and each
/// failure is graded by the rule's action, the overrides granted, the event's kind and the mode.
/// Pure: same state, event and context, same answer.
public enum Gate {
    /// Rule names, as recorded in `gate.rules`, `gate.findings` and `policy.denied`.
    public enum RuleName {
        public static let modelStatus = "model-status"
        public static let attemptGranted = "attempt-granted"
        public static let regenerationCap = "regeneration-cap"
        public static let tierByStage = "tier-by-stage"
        public static let lockedSeed = "locked-seed"
        public static let templatePublished = "template-published"
        public static let routingFollowed = "routing-followed"
        public static let deliverableBudget = "deliverable-budget"
        public static let campaignBudget = "campaign-budget"
        public static let refinementBeforeDelivery = "refinement-before-delivery"
        public static let reviewBeforeDelivery = "review-before-delivery"
        public static let approvers = "approvers"

        /// Rules an approver may lift for one deliverable (when their action is `require-approval`).
        public static let overridable: Set<String> = [
            regenerationCap, deliverableBudget, campaignBudget, tierByStage, lockedSeed, templatePublished, routingFollowed,
            refinementBeforeDelivery, reviewBeforeDelivery, modelStatus,
        ]
    }

    /// What one rule found: nothing, a pass that needed an override, or a failure under an action.
    enum RuleVerdict {
        case approved(String)
        case failed(CapAction, String)
    }

    /// nil for event types the gate does not judge.
    public static func judge(
        _ event: DomainEvent, in state: GovernanceState, on date: CalendarDate, context: GateContext = GateContext()
    ) -> GateJudgement? {
        let published = state.policyInForce
        var judgement = GateJudgement(
            policy: published?.document.name, version: published?.version ?? 0, policySeq: published?.seq, mode: context.mode)
        let policy = published?.document
        var subject: DeliverableState?
        let isRequest: Bool
        // Facts the gate judges are recorded with their violations; requests are denied.
        switch event {
        case .deliverableDelivered, .policyOverrideDeclined: isRequest = false
        default: isRequest = true
        }

        func check(_ rule: String, _ evaluate: () -> RuleVerdict?) {
            judgement.rulesChecked.append(rule)
            guard let verdict = evaluate() else { return }
            let finding: GateJudgement.Finding
            switch verdict {
            case .approved(let reason):
                finding = .init(rule: rule, action: .requireApproval, result: .approved, reason: reason)
            case .failed(.warn, let reason):
                finding = .init(rule: rule, action: .warn, result: .warned, reason: reason)
            case .failed(let action, let reason):
                if action == .requireApproval, let waived = subject?.waivedRules, waived.contains(rule) {
                    finding = .init(
                        rule: rule, action: action, result: .approved, reason: "\(reason) (lifted for this deliverable by override)")
                } else {
                    let result: GateJudgement.Outcome = isRequest && context.mode == .enforce ? .denied : .violated
                    finding = .init(rule: rule, action: action, result: result, reason: reason)
                }
            }
            judgement.findings.append(finding)
        }

        switch event {
        case .generationRequested(let e):
            guard let deliverable = state.deliverables[e.deliverable], let model = state.models[e.model] else { return judgement }
            subject = deliverable
            let stage = deliverable.opened.stage
            check(RuleName.modelStatus) {
                switch model.status {
                case .retired: .failed(policy?.action(of: RuleName.modelStatus) ?? .deny, "model '\(model.id)' is retired")
                case .degraded: .failed(.warn, "model '\(model.id)' is degraded (\(model.failureMode?.rawValue ?? "unspecified"))")
                case .active: nil
                }
            }
            check(RuleName.attemptGranted) {
                e.attempt <= deliverable.attemptsGranted
                    ? nil
                    : .failed(
                        .deny,
                        "attempt \(e.attempt) was not granted; the deliverable may run attempt \(deliverable.attemptsGranted) — ask with regeneration.requested first"
                    )
            }
            guard let policy else { return judgement }
            check(RuleName.tierByStage) {
                let allowed = policy.tiersByStage[stage] ?? []
                return allowed.contains(model.tier)
                    ? nil
                    : .failed(
                        policy.action(of: RuleName.tierByStage),
                        "\(model.tier.rawValue)-tier model '\(model.id)' is not allowed for \(stage.rawValue) work (allowed: \(allowed.map(\.rawValue).joined(separator: ", ")))"
                    )
            }
            check(RuleName.lockedSeed) {
                guard policy.lockedSeedStages.contains(stage), let campaign = deliverable.opened.campaign else { return nil }
                let action = policy.action(of: RuleName.lockedSeed)
                guard let locked = deliverable.lockedSeed ?? state.campaigns[campaign]?.lockedSeed else {
                    return .failed(
                        action,
                        "campaign \(stage.rawValue) work needs a locked seed; none is locked for '\(e.deliverable)' or campaign '\(campaign)'"
                    )
                }
                return locked == e.seed ? nil : .failed(action, "seed \(e.seed) differs from the locked seed \(locked)")
            }
            check(RuleName.templatePublished) {
                state.templates[e.template]?.contains(e.templateVersion) == true
                    ? nil
                    : .failed(
                        policy.action(of: RuleName.templatePublished),
                        "template '\(e.template)' v\(e.templateVersion) was not recorded (template.versioned) before use")
            }
            check(RuleName.routingFollowed) {
                guard let chosen = state.routingDecisions[e.routingDecision], chosen != e.model else { return nil }
                if let failed = e.fallbackFrom, deliverable.fallbacks.contains("\(failed)/\(e.model)") { return nil }
                return .failed(
                    policy.action(of: RuleName.routingFollowed),
                    "runs on '\(e.model)', but routing decision '\(e.routingDecision)' chose '\(chosen)' and no fallback to it was recorded"
                )
            }
            let estimate = estimatedCost(parameters: e.parameters, model: model, deliverable: deliverable, on: date)
            check(RuleName.deliverableBudget) {
                let line = policy.deliverableBudget(category: deliverable.opened.category, stage: stage)
                guard let limit = deliverable.opened.budget ?? line?.limit else { return nil }
                let after = deliverable.spendMicros + estimate.micros
                guard after > limit.micros else { return nil }
                let action = line?.action ?? .requireApproval
                let reached = "spend would reach \(Money(micros: after, currency: limit.currency)) (estimate \(estimate))"
                if action != .deny, after <= limit.micros + deliverable.extraBudgetMicros {
                    return .approved(
                        "\(reached), within the budget of \(limit) plus \(Money(micros: deliverable.extraBudgetMicros, currency: limit.currency)) granted by override"
                    )
                }
                let allowed = Money(micros: limit.micros + (action == .deny ? 0 : deliverable.extraBudgetMicros), currency: limit.currency)
                return .failed(action, "\(reached) against a budget of \(allowed)")
            }
            check(RuleName.campaignBudget) {
                guard let id = deliverable.opened.campaign, let campaign = state.campaigns[id],
                    let limit = campaign.budget ?? policy.campaignBudget?.defaultLimit
                else { return nil }
                let after = campaign.spendMicros + estimate.micros
                guard after > limit.micros else { return nil }
                let action = policy.campaignBudget?.action ?? .requireApproval
                let reached = "campaign '\(id)' spend would reach \(Money(micros: after, currency: limit.currency))"
                if action != .deny, after <= limit.micros + deliverable.extraBudgetMicros {
                    return .approved("\(reached), within its budget of \(limit) plus extra budget granted by override")
                }
                return .failed(action, "\(reached) against its budget of \(limit)")
            }

        case .regenerationRequested(let e):
            guard let deliverable = state.deliverables[e.deliverable], let policy else { return judgement }
            subject = deliverable
            check(RuleName.regenerationCap) {
                guard let cap = policy.regenerationCap(category: deliverable.opened.category, stage: deliverable.opened.stage)
                else { return nil }
                let attempt = e.attempt ?? deliverable.attemptsGranted + 1
                guard attempt > cap.maxAttempts else { return nil }
                let extra = cap.action == .deny ? 0 : deliverable.extraAttempts
                if attempt <= cap.maxAttempts + extra {
                    return .approved(
                        "attempt \(attempt) passes the cap of \(cap.maxAttempts) for \(cap.scope.label), within \(extra) extra attempts granted by override"
                    )
                }
                let overrides = extra > 0 ? " including \(extra) granted by override" : ""
                let how = cap.action == .requireApproval ? "; an approver may grant policy.override_granted" : ""
                return .failed(
                    cap.action,
                    "attempt \(attempt) passes the cap of \(cap.maxAttempts + extra) attempts for \(cap.scope.label)\(overrides)\(how)")
            }

        case .deliveryRequested(let e):
            guard let deliverable = state.deliverables[e.deliverable], let policy else { return judgement }
            subject = deliverable
            judgeDelivery(asset: e.asset, of: deliverable, policy: policy, in: state, check)

        case .deliverableDelivered(let e):
            guard let deliverable = state.deliverables[e.deliverable], let policy else { return judgement }
            subject = deliverable
            judgeDelivery(asset: e.asset, of: deliverable, policy: policy, in: state, check)

        case .policyOverrideDeclined(let e):
            // Only an approver's no counts; anyone else's is recorded with the violation.
            guard let policy else {
                check(RuleName.approvers) { .failed(.deny, "no governance policy is published, so no one may decline overrides") }
                return judgement
            }
            check(RuleName.approvers) {
                if !policy.approvers.contains(e.approver) {
                    return .failed(.deny, "'\(e.approver)' is not an approver of policy '\(policy.name)'")
                }
                if let problem = context.approvalProblem { return .failed(.deny, problem) }
                guard let proof = context.approval, proof.approver == e.approver else {
                    return .failed(.deny, "approver '\(e.approver)' is not proven: decline through the web app or the HTTP API with the approver's own token")
                }
                judgement.approval = proof
                return nil
            }

        case .policyOverrideGranted(let e):
            guard let policy else {
                check(RuleName.approvers) { .failed(.deny, "no governance policy is published, so no one may grant overrides") }
                return judgement
            }
            check(RuleName.approvers) {
                if !policy.approvers.contains(e.approver) {
                    return .failed(.deny, "'\(e.approver)' is not an approver of policy '\(policy.name)'")
                }
                if e.policy != policy.name {
                    return .failed(.deny, "policy '\(e.policy)' is not the policy in force ('\(policy.name)')")
                }
                if let deliverable = state.deliverables[e.deliverable],
                    action(of: e.rule, for: deliverable.opened, in: policy) == .deny
                {
                    return .failed(.deny, "rule '\(e.rule)' is a hard rule (action deny) for this deliverable; overrides are not accepted")
                }
                if let problem = context.approvalProblem { return .failed(.deny, problem) }
                guard let proof = context.approval, proof.approver == e.approver else {
                    return .failed(
                        .deny,
                        "approver '\(e.approver)' is not proven: grant it with `genledger override` (signed with the approver's key registered in the policy) or through the HTTP API with the approver's own token"
                    )
                }
                judgement.approval = proof
                return nil
            }

        default:
            return nil
        }
        return judgement
    }

    /// The delivery rules, for a delivery request and for the delivery itself.
    static func judgeDelivery(
        asset: String, of deliverable: DeliverableState, policy: GovernancePolicy, in state: GovernanceState,
        _ check: (String, () -> RuleVerdict?) -> Void
    ) {
        check(RuleName.refinementBeforeDelivery) {
            guard policy.refinementStages.contains(deliverable.opened.stage) else { return nil }
            let done = state.refinementSteps(of: asset)
            let missing = policy.refinementBeforeDelivery.filter { !done.contains($0) }
            return missing.isEmpty
                ? nil
                : .failed(
                    policy.action(of: RuleName.refinementBeforeDelivery),
                    "asset '\(asset)' lacks required refinement: \(missing.map(\.rawValue).joined(separator: ", "))")
        }
        check(RuleName.reviewBeforeDelivery) {
            guard policy.acceptedReviewBeforeDelivery else { return nil }
            return state.acceptedInLineage(asset)
                ? nil
                : .failed(
                    policy.action(of: RuleName.reviewBeforeDelivery),
                    state.assets[asset]?.verdict == .rejected
                        ? "asset '\(asset)' was rejected by its last review"
                        : "neither asset '\(asset)' nor an asset it was refined from has an accepted review")
        }
    }

    /// The action the policy sets for a rule, for one deliverable (caps and budgets by line).
    public static func action(of rule: String, for deliverable: DeliverableOpened, in policy: GovernancePolicy) -> CapAction {
        switch rule {
        case RuleName.regenerationCap:
            policy.regenerationCap(category: deliverable.category, stage: deliverable.stage)?.action ?? .requireApproval
        case RuleName.deliverableBudget:
            policy.deliverableBudget(category: deliverable.category, stage: deliverable.stage)?.action ?? .requireApproval
        case RuleName.campaignBudget:
            policy.campaignBudget?.action ?? .requireApproval
        default:
            policy.action(of: rule)
        }
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
