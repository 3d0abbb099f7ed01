/// Validation that needs what is already recorded: every model, deliverable, asset, generation,
/// template, table or decision an event names must exist (and new ones must not), so the log
/// never holds a reference to nothing.
extension GovernanceState {
    public func checkReferences(_ event: DomainEvent) throws {
        func fail(_ field: String, _ message: String) -> GovernanceError {
            GovernanceError(.invalidEvent, message, field: "payload.\(field)")
        }
        func model(_ id: String, _ field: String) throws -> ModelState {
            guard let model = models[id] else {
                throw fail(field, "model '\(id)' is not in the catalog; publish policies/models.yaml first")
            }
            return model
        }
        func deliverable(_ id: String, _ field: String = "deliverable") throws -> DeliverableState {
            guard let state = deliverables[id] else { throw fail(field, "deliverable '\(id)' was never opened") }
            return state
        }
        func asset(_ id: String, _ field: String, of owner: String? = nil) throws -> AssetState {
            guard let state = assets[id] else {
                throw fail(field, "asset '\(id)' is unknown: no generation or refinement produced it")
            }
            if let owner, state.deliverable != owner {
                throw fail(field, "asset '\(id)' belongs to deliverable '\(state.deliverable)', not '\(owner)'")
            }
            return state
        }
        func newAsset(_ id: String, _ field: String) throws {
            if let existing = assets[id] {
                throw fail(field, "asset '\(id)' already exists (deliverable '\(existing.deliverable)')")
            }
        }
        func currency(_ money: Money, _ field: String) throws {
            if let policy = policyInForce?.document, money.currency != policy.currency {
                throw fail(
                    field,
                    "is \(money.currency.rawValue), but policy '\(policy.name)' keeps accounts in \(policy.currency.rawValue)")
            }
        }

        switch event {
        case .modelRegistered(let e):
            if models[e.model] != nil {
                throw fail(
                    "model",
                    "model '\(e.model)' is already registered; record changes with model.pricing_changed, model.version_changed or model.status_changed"
                )
            }
        case .modelPricingChanged(let e):
            _ = try model(e.model, "model")
        case .modelVersionChanged(let e):
            _ = try model(e.model, "model")
        case .modelStatusChanged(let e):
            _ = try model(e.model, "model")
        case .modelReviewCompleted(let e):
            _ = try model(e.model, "model")
        case .replayCompleted:
            // A what-if may weigh a table never published, or models since retired.
            break
        case .routingTablePublished(let e):
            if let current = tables[e.table.name], current.version >= e.table.version {
                throw fail(
                    "version", "table '\(e.table.name)' is already at version \(current.version); publish a higher version")
            }
            for (name, field) in e.table.modelReferences { _ = try model(name, "document.\(field)") }
        case .policyPublished(let e):
            if let current = policies[e.policy.name], current.version >= e.policy.version {
                throw fail(
                    "version", "policy '\(e.policy.name)' is already at version \(current.version); publish a higher version")
            }
        case .templateVersioned(let e):
            if let latest = templates[e.template]?.max(), latest >= e.version {
                throw fail("version", "template '\(e.template)' is already at version \(latest)")
            }
        case .campaignOpened(let e):
            if campaigns[e.campaign] != nil { throw fail("campaign", "campaign '\(e.campaign)' is already open") }
            if let budget = e.budget { try currency(budget, "budget.currency") }
        case .deliverableOpened(let e):
            if deliverables[e.deliverable] != nil { throw fail("deliverable", "deliverable '\(e.deliverable)' is already open") }
            if let campaign = e.campaign, campaigns[campaign] == nil {
                throw fail("campaign", "campaign '\(campaign)' was never opened")
            }
            if let budget = e.budget { try currency(budget, "budget.currency") }
        case .seedLocked(let e):
            switch e.scope {
            case .campaign where campaigns[e.subject] == nil: throw fail("campaign", "campaign '\(e.subject)' was never opened")
            case .deliverable where deliverables[e.subject] == nil:
                throw fail("deliverable", "deliverable '\(e.subject)' was never opened")
            default: break
            }
        case .routingDecided(let e):
            _ = try model(e.model, "model")
            if let id = e.request.deliverable { _ = try deliverable(id, "request.deliverable") }
            if routingDecisions[e.decision] != nil { throw fail("decision", "decision '\(e.decision)' is already recorded") }
            guard let table = tables[e.table], table.version >= e.tableVersion else {
                throw fail("table_version", "routing table '\(e.table)' v\(e.tableVersion) was never published")
            }
        case .generationRequested(let e):
            let state = try deliverable(e.deliverable)
            if state.deliveredAsset != nil { throw fail("deliverable", "deliverable '\(e.deliverable)' is already delivered") }
            _ = try model(e.model, "model")
            if state.generations[e.generation] != nil { throw fail("generation", "generation '\(e.generation)' already exists") }
            for (i, reference) in e.references.enumerated() { _ = try asset(reference.asset, "references[\(i)].asset") }
            guard routingDecisions[e.routingDecision] != nil else {
                throw fail("routing_decision", "routing decision '\(e.routingDecision)' is not recorded")
            }
            if let failed = e.fallbackFrom {
                guard let original = state.generations[failed], original.outcome == .failed else {
                    throw fail("fallback_from.generation", "generation '\(failed)' of this deliverable did not fail")
                }
                guard original.attempt == e.attempt else {
                    throw fail("attempt", "a fallback keeps the attempt of the generation it replaces (\(original.attempt))")
                }
            }
        case .generationCompleted(let e):
            try pending(e.deliverable, e.generation)
            try newAsset(e.asset, "asset")
        case .generationFailed(let e):
            try pending(e.deliverable, e.generation)
        case .fallbackTriggered(let e):
            let state = try deliverable(e.deliverable)
            guard let generation = state.generations[e.generation], generation.outcome == .failed else {
                throw fail("generation", "generation '\(e.generation)' of this deliverable did not fail")
            }
            guard generation.model == e.fromModel else {
                throw fail("from_model", "generation '\(e.generation)' ran on '\(generation.model)', not '\(e.fromModel)'")
            }
            _ = try model(e.toModel, "to_model")
        case .regenerationRequested(let e):
            let state = try deliverable(e.deliverable)
            _ = try asset(e.priorAsset, "prior_asset", of: e.deliverable)
            if let attempt = e.attempt, attempt != state.attemptsGranted + 1 {
                throw fail("attempt", "the next attempt of '\(e.deliverable)' is \(state.attemptsGranted + 1), not \(attempt)")
            }
        case .policyDenied(let e):
            if let id = e.deliverable { _ = try deliverable(id) }
        case .keyStatement, .payloadErased:
            break
        case .policyOverrideDeclined(let e):
            _ = try deliverable(e.deliverable)
        case .policyOverrideGranted(let e):
            _ = try deliverable(e.deliverable)
            if let budget = e.extraBudget { try currency(budget, "extra_budget.currency") }
        case .refinementApplied(let e):
            _ = try deliverable(e.deliverable)
            _ = try asset(e.inputAsset, "input_asset", of: e.deliverable)
            try newAsset(e.outputAsset, "output_asset")
            let refiner = try model(e.model, "model")
            guard refiner.tier == .refinement else {
                throw fail("model", "model '\(e.model)' is \(refiner.tier.rawValue) tier, not a refinement model")
            }
        case .assetReviewed(let e):
            _ = try deliverable(e.deliverable)
            _ = try asset(e.asset, "asset", of: e.deliverable)
        case .deliveryRequested(let e):
            let state = try deliverable(e.deliverable)
            if let asset = state.deliveredAsset { throw fail("deliverable", "already delivered (asset '\(asset)')") }
            _ = try asset(e.asset, "asset", of: e.deliverable)
        case .deliverableDelivered(let e):
            let state = try deliverable(e.deliverable)
            if let asset = state.deliveredAsset { throw fail("deliverable", "already delivered (asset '\(asset)')") }
            _ = try asset(e.asset, "asset", of: e.deliverable)
        case .costRecorded(let e):
            let state = try deliverable(e.deliverable)
            try currency(e.amount, "currency")
            if let generation = e.generation, state.generations[generation] == nil {
                throw fail("generation", "generation '\(generation)' of this deliverable is unknown")
            }
            if let id = e.asset { _ = try asset(id, "asset", of: e.deliverable) }
        }
    }

    private func pending(_ deliverable: String, _ generation: String) throws {
        guard let state = deliverables[deliverable] else {
            throw GovernanceError(.invalidEvent, "deliverable '\(deliverable)' was never opened", field: "payload.deliverable")
        }
        guard let run = state.generations[generation] else {
            throw GovernanceError(.invalidEvent, "generation '\(generation)' was never requested", field: "payload.generation")
        }
        guard run.outcome == .pending else {
            throw GovernanceError(.invalidEvent, "generation '\(generation)' already has an outcome", field: "payload.generation")
        }
    }
}
