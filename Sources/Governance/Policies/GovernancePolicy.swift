public import LedgerLog

/// What the gate does when a rule's limit is passed.
public enum CapAction: String, CaseIterable, Sendable {
    /// Refused; overrides are not accepted for this rule.
    case deny
    /// Refused unless an approver has granted an override for the deliverable.
    case requireApproval = "require-approval"
    /// Allowed, with the warning recorded on the event.
    case warn
}

/// `policies/governance.yaml`: regeneration caps, locked seeds, refinement before delivery,
/// tiers per stage, budgets and approvers.
public struct GovernancePolicy: Sendable {
    public var name: String
    public var version: Int64
    public var currency: Currency
    public var approvers: [String]
    /// Approvers who sign overrides on the command line: their Ed25519 verifier keys.
    public var approverKeys: [String: NoteVerifierKey]
    public var regenerationCaps: [RegenerationCap]
    public var lockedSeedStages: [Stage]
    public var refinementBeforeDelivery: [RefinementStep]
    public var refinementStages: [Stage]
    public var acceptedReviewBeforeDelivery: Bool
    public var tiersByStage: [Stage: [Tier]]
    public var deliverableBudgets: [DeliverableBudget]
    public var campaignBudget: CampaignBudget?
    /// The action of each rule that has no per-line action of its own (`actions:`; defaults in
    /// `RuleActions.defaults`).
    public var ruleActions: [String: CapAction]
    /// Fields beyond `ErasableFields`' that `genledger erase` may remove, by event type
    /// (`erasure: {allow: {TYPE: [FIELD, ...]}}`); never a field the vocabulary requires.
    public var erasureAllowed: [String: Set<String>] = [:]

    public init(_ f: Fields) throws {
        try f.rejectUnknown([
            "policy", "version", "author", "rationale", "currency", "approvers", "regeneration_caps", "locked_seeds",
            "refinement", "review", "tiers_by_stage", "budgets", "actions", "erasure",
        ])
        name = try f.string("policy")
        try Identifier.check(name, f, "policy")
        version = try f.int("version", min: 1)
        _ = try f.string("author")
        let currency: Currency = try f.choice("currency")
        self.currency = currency
        var approvers: [String] = []
        var approverKeys: [String: NoteVerifierKey] = [:]
        for (index, element) in try f.array("approvers", nonEmpty: true).enumerated() {
            let path = "approvers[\(index)]"
            switch element {
            case .string(let id) where !id.isEmpty:
                approvers.append(id)
            case .object:
                let approver = try Fields(element, path: f.path(path), code: f.code)
                try approver.rejectUnknown(["id", "key"])
                let id = try approver.string("id")
                approvers.append(id)
                if let text = try approver.optionalString("key") {
                    let key: NoteVerifierKey
                    do { key = try NoteVerifierKey(parsing: text) } catch {
                        throw approver.error("key", "is not a verifier key (name+keyid+base64, as `genledger key approver` prints): \(error)")
                    }
                    guard key.name == id else {
                        throw approver.error("key", "is named '\(key.name)'; an approver's key must carry the approver's id '\(id)'")
                    }
                    approverKeys[id] = key
                }
            default:
                throw f.error(path, "must be an approver id, or {id, key}")
            }
        }
        if let twice = Dictionary(grouping: approvers, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw f.error("approvers", "lists '\(twice)' twice")
        }
        self.approvers = approvers
        self.approverKeys = approverKeys
        regenerationCaps = try f.eachObject("regeneration_caps", nonEmpty: true, RegenerationCap.init)
        // Optional sections: absent, no stage needs a locked seed or a refinement.
        let seeds = try f.optionalObject("locked_seeds")
        try seeds?.rejectUnknown(["stages"])
        lockedSeedStages = try seeds?.choices("stages") ?? []
        let refinement = try f.optionalObject("refinement")
        try refinement?.rejectUnknown(["before_delivery", "stages"])
        refinementBeforeDelivery = try refinement?.choices("before_delivery") ?? []
        refinementStages = try refinement?.choices("stages") ?? []
        let review = try f.optionalObject("review")
        try review?.rejectUnknown(["accepted_before_delivery"])
        acceptedReviewBeforeDelivery = try review?.optionalBool("accepted_before_delivery") ?? false
        let tiers = try f.object("tiers_by_stage")
        try tiers.rejectUnknown(Set(Stage.allCases.map(\.rawValue)))
        var tiersByStage: [Stage: [Tier]] = [:]
        for stage in Stage.allCases { tiersByStage[stage] = try tiers.choices(stage.rawValue, nonEmpty: true) }
        self.tiersByStage = tiersByStage
        let budgets = try f.optionalObject("budgets")
        try budgets?.rejectUnknown(["per_deliverable", "per_campaign"])
        deliverableBudgets =
            try budgets?.optionalObjects("per_deliverable").map { try DeliverableBudget($0, currency: currency) } ?? []
        campaignBudget = try budgets?.optionalObject("per_campaign").map { try CampaignBudget($0, currency: currency) }
        var ruleActions = RuleActions.defaults
        if let actions = try f.optionalObject("actions") {
            try actions.rejectUnknown(Set(RuleActions.defaults.keys))
            for rule in RuleActions.defaults.keys where actions.has(rule) {
                ruleActions[rule] = try actions.choice(rule, CapAction.self)
            }
        }
        self.ruleActions = ruleActions
        if let erasure = try f.optionalObject("erasure") {
            try erasure.rejectUnknown(["allow"])
            if let allow = try erasure.optionalObject("allow") {
                for type in allow.members.keys.sorted() {
                    guard EventType(rawValue: type) != nil else {
                        throw allow.error(type, "is not an event type (docs/EVENTS.md)")
                    }
                    erasureAllowed[type] = Set(try allow.strings(type, nonEmpty: true))
                }
            }
        }
    }

    /// The action of a rule configured under `actions:` (deny for a name it does not know).
    public func action(of rule: String) -> CapAction { ruleActions[rule] ?? .deny }

    /// The cap for a category and stage: an exact category beats `*`, a named stage beats none.
    public func regenerationCap(category: String, stage: Stage) -> RegenerationCap? {
        regenerationCaps.filter { $0.applies(category: category, stage: stage) }.max { $0.specificity < $1.specificity }
    }

    public func deliverableBudget(category: String, stage: Stage) -> DeliverableBudget? {
        deliverableBudgets.filter { $0.scope.applies(category: category, stage: stage) }.max {
            $0.scope.specificity < $1.scope.specificity
        }
    }
}

/// The rules whose action `governance.yaml` sets under `actions:`; caps and budgets set theirs per
/// line. Absent keys take these defaults (docs/POLICIES.md).
public enum RuleActions {
    public static let defaults: [String: CapAction] = [
        "model-status": .deny,
        "tier-by-stage": .deny,
        "locked-seed": .deny,
        "template-published": .warn,
        "routing-followed": .warn,
        "refinement-before-delivery": .deny,
        "review-before-delivery": .deny,
    ]
}

/// Which deliverables a cap or budget line covers.
public struct CategoryScope: Sendable {
    /// nil for `*`.
    public var category: String?
    public var stage: Stage?

    init(_ f: Fields) throws {
        let category = try f.string("category")
        self.category = category == "*" ? nil : category
        stage = try f.optionalChoice("stage")
    }

    func applies(category: String, stage: Stage) -> Bool {
        (self.category == nil || self.category == category) && (self.stage == nil || self.stage == stage)
    }

    var specificity: Int { (category == nil ? 0 : 2) + (stage == nil ? 0 : 1) }

    public var label: String { "\(category ?? "*")/\(stage?.rawValue ?? "*")" }
}

public struct RegenerationCap: Sendable {
    public var scope: CategoryScope
    /// Generation attempts allowed per deliverable, the first included.
    public var maxAttempts: Int64
    public var action: CapAction

    init(_ f: Fields) throws {
        try f.rejectUnknown(["category", "stage", "max_attempts", "action"])
        scope = try CategoryScope(f)
        maxAttempts = try f.int("max_attempts", min: 1)
        action = try f.choice("action")
    }

    func applies(category: String, stage: Stage) -> Bool { scope.applies(category: category, stage: stage) }
    var specificity: Int { scope.specificity }
}

public struct DeliverableBudget: Sendable {
    public var scope: CategoryScope
    public var limit: Money
    public var action: CapAction

    init(_ f: Fields, currency: Currency) throws {
        try f.rejectUnknown(["category", "stage", "amount", "action"])
        scope = try CategoryScope(f)
        limit = Money(try f.number("amount", min: 0), currency)
        action = try f.choice("action")
    }
}

public struct CampaignBudget: Sendable {
    /// For campaigns opened without a budget of their own.
    public var defaultLimit: Money
    public var action: CapAction

    init(_ f: Fields, currency: Currency) throws {
        try f.rejectUnknown(["default_amount", "action"])
        defaultLimit = Money(try f.number("default_amount", min: 0), currency)
        action = try f.choice("action")
    }
}

extension GovernancePolicy {
    /// What a described `policy.published` carries (`Fields.isDescribing`): never read.
    static let described: GovernancePolicy = {
        let document: JSONValue = [
            "policy": "described", "version": 1, "author": "x", "rationale": "x", "currency": "USD", "approvers": ["x"],
            "regeneration_caps": [["category": "*", "max_attempts": 1, "action": "deny"]],
            "tiers_by_stage": ["draft": ["budget"], "delivery": ["cinematic"]],
        ]
        return try! GovernancePolicy(Fields(document, path: "document", code: .invalidPolicy))
    }()
}
