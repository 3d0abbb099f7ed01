public import LedgerLog

/// What the gate and the routing engine need to know, folded from the log alone: the catalog,
/// the routing tables and policy in force, and every open campaign, deliverable and asset.
/// `position` is the seq of the last event folded in.
public struct GovernanceState: Sendable {
    public internal(set) var position: UInt64 = 0
    public internal(set) var models: [String: ModelState] = [:]
    public internal(set) var tables: [String: Published<RoutingTable>] = [:]
    public internal(set) var policies: [String: Published<GovernancePolicy>] = [:]
    /// The most recently published governance policy: the one the gate applies.
    public internal(set) var policyInForce: Published<GovernancePolicy>?
    public internal(set) var templates: [String: Set<Int64>] = [:]
    public internal(set) var campaigns: [String: CampaignState] = [:]
    public internal(set) var deliverables: [String: DeliverableState] = [:]
    public internal(set) var assets: [String: AssetState] = [:]
    /// Routing decision id → the model it chose.
    public internal(set) var routingDecisions: [String: String] = [:]

    public init() {}

    /// Folds one recorded event (already validated when it was appended).
    public mutating func apply(_ event: DomainEvent, seq: UInt64) {
        position = seq
        switch event {
        case .modelRegistered(let e):
            models[e.model] = ModelState(
                id: e.model, provider: e.provider, version: e.version, tier: e.tier, modalities: e.modalities,
                prices: [e.price], status: e.status, failureMode: nil, registeredSeq: seq)
        case .modelPricingChanged(let e):
            models[e.model]?.prices.append(e.price)
            models[e.model]?.prices.sort { $0.effective < $1.effective }
        case .modelVersionChanged(let e):
            models[e.model]?.version = e.version
        case .modelStatusChanged(let e):
            models[e.model]?.status = e.status
            models[e.model]?.failureMode = e.status == .active ? nil : (e.failureMode ?? (e.status == .retired ? .retired : nil))
        case .modelReviewCompleted, .replayCompleted:
            break
        case .routingTablePublished(let e):
            tables[e.table.name] = Published(document: e.table, version: e.table.version, digest: e.digest, seq: seq)
        case .policyPublished(let e):
            let published = Published(document: e.policy, version: e.policy.version, digest: e.digest, seq: seq)
            policies[e.policy.name] = published
            policyInForce = published
        case .templateVersioned(let e):
            templates[e.template, default: []].insert(e.version)
        case .campaignOpened(let e):
            campaigns[e.campaign] = CampaignState(budget: e.budget)
        case .deliverableOpened(let e):
            deliverables[e.deliverable] = DeliverableState(opened: e)
        case .seedLocked(let e):
            switch e.scope {
            case .campaign: campaigns[e.subject]?.lockedSeed = e.seed
            case .deliverable: deliverables[e.subject]?.lockedSeed = e.seed
            }
        case .routingDecided(let e):
            routingDecisions[e.decision] = e.model
        case .generationRequested(let e):
            deliverables[e.deliverable]?.generations[e.generation] = GenerationState(
                model: e.model, attempt: e.attempt, outcome: .pending)
            if let started = deliverables[e.deliverable]?.attemptsStarted {
                deliverables[e.deliverable]?.attemptsStarted = max(started, e.attempt)
            }
        case .generationCompleted(let e):
            deliverables[e.deliverable]?.generations[e.generation]?.outcome = .completed
            let model = deliverables[e.deliverable]?.generations[e.generation]?.model
            assets[e.asset] = AssetState(deliverable: e.deliverable, model: model, source: nil, step: nil)
        case .generationFailed(let e):
            deliverables[e.deliverable]?.generations[e.generation]?.outcome = .failed
        case .fallbackTriggered(let e):
            deliverables[e.deliverable]?.fallbacks.insert("\(e.generation)/\(e.toModel)")
        case .regenerationRequested(let e):
            if let granted = deliverables[e.deliverable]?.attemptsGranted {
                deliverables[e.deliverable]?.attemptsGranted = max(granted, e.attempt ?? granted + 1)
            }
        case .policyDenied:
            break
        case .policyOverrideGranted(let e):
            deliverables[e.deliverable]?.extraAttempts += e.extraAttempts ?? 0
            deliverables[e.deliverable]?.extraBudgetMicros += e.extraBudget?.micros ?? 0
            if e.extraAttempts == nil && e.extraBudget == nil { deliverables[e.deliverable]?.waivedRules.insert(e.rule) }
        case .deliveryRequested, .policyOverrideDeclined, .keyStatement, .payloadErased:
            break
        case .refinementApplied(let e):
            assets[e.outputAsset] = AssetState(deliverable: e.deliverable, model: e.model, source: e.inputAsset, step: e.step)
        case .assetReviewed(let e):
            assets[e.asset]?.verdict = e.verdict
            if e.verdict == .accepted { assets[e.asset]?.everAccepted = true }
        case .deliverableDelivered(let e):
            deliverables[e.deliverable]?.deliveredAsset = e.asset
        case .costRecorded(let e):
            deliverables[e.deliverable]?.spendMicros += e.amount.micros
            if let campaign = deliverables[e.deliverable]?.opened.campaign {
                campaigns[campaign]?.spendMicros += e.amount.micros
            }
        }
    }

    /// Catches up with events recorded after `position` (by this or any other writer).
    public mutating func catchUp(reading: (UInt64, (RecordedEvent) throws -> Bool) throws -> Void) throws {
        try reading(position) { recorded in
            let event: DomainEvent
            do {
                let payload = try JSONParser.parse(recorded.payloadBytes)
                event = try DomainEvent.decode(
                    type: recorded.type, stream: recorded.stream, payload: payload, allowGateRecord: true)
            } catch {
                // Only a ledger written around the vocabulary (by the bare Log API, or edited) gets here.
                throw GovernanceError(
                    .invalidEvent, "recorded event seq \(recorded.seq) (\(recorded.type)) does not fit the vocabulary: \(error)")
            }
            apply(event, seq: recorded.seq)
            return true
        }
    }

    /// Whether the asset, or one it was refined from, was accepted by a review, and the asset
    /// itself was not rejected last: review, then upscale, then deliver passes.
    public func acceptedInLineage(_ asset: String) -> Bool {
        guard let delivered = assets[asset], delivered.verdict != .rejected else { return false }
        var current: AssetState? = delivered
        var hops = 0
        while let state = current, hops < 64 {
            if state.verdict == .accepted { return true }
            current = state.source.flatMap { assets[$0] }
            hops += 1
        }
        return false
    }

    /// The refinement steps in an asset's lineage, the asset's own first.
    public func refinementSteps(of asset: String) -> [RefinementStep] {
        var steps: [RefinementStep] = []
        var current = assets[asset]
        var hops = 0
        while let state = current, hops < 64 {
            if let step = state.step { steps.append(step) }
            current = state.source.flatMap { assets[$0] }
            hops += 1
        }
        return steps
    }
}

/// A document as published in the ledger.
public struct Published<Document: Sendable>: Sendable {
    public var document: Document
    public var version: Int64
    public var digest: String
    public var seq: UInt64
}

public struct ModelState: Sendable {
    public var id, provider, version: String
    public var tier: Tier
    public var modalities: [Modality]
    /// Oldest first.
    public var prices: [Price]
    public var status: ModelStatus
    public var failureMode: FailureMode?
    public var registeredSeq: UInt64

    /// The price in effect on a date (the first one if the date precedes them all).
    public func price(on date: CalendarDate) -> Price {
        prices.last { !(date < $0.effective) } ?? prices[0]
    }
}

public struct CampaignState: Sendable {
    public var budget: Money?
    public var lockedSeed: Int64?
    public var spendMicros: Int64 = 0
}

public struct DeliverableState: Sendable {
    public var opened: DeliverableOpened
    public var lockedSeed: Int64?
    /// The highest attempt number a generation may use: 1, then each allowed regeneration.
    public var attemptsGranted: Int64 = 1
    public var attemptsStarted: Int64 = 0
    public var extraAttempts: Int64 = 0
    public var extraBudgetMicros: Int64 = 0
    public var spendMicros: Int64 = 0
    /// Rules an approver lifted for this deliverable (overrides that grant neither attempts nor budget).
    public var waivedRules: Set<String> = []
    /// `failed generation/to model` for every recorded fallback.
    public var fallbacks: Set<String> = []
    public var generations: [String: GenerationState] = [:]
    public var deliveredAsset: String?
}

public struct GenerationState: Sendable {
    public enum Outcome: Sendable { case pending, completed, failed }
    public var model: String
    public var attempt: Int64
    public var outcome: Outcome
}

public struct AssetState: Sendable {
    public var deliverable: String
    public var model: String?
    /// The input of a refinement.
    public var source: String?
    public var step: RefinementStep?
    public var verdict: Verdict?
    /// Whether any review accepted it (a later rejection sets `verdict`, not this).
    public var everAccepted = false
}
