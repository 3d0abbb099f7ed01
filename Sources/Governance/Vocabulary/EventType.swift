/// Every event type of the vocabulary (docs/EVENTS.md). An event of any other type is refused.
public enum EventType: String, CaseIterable, Sendable {
    case modelRegistered = "model.registered"
    case modelPricingChanged = "model.pricing_changed"
    case modelVersionChanged = "model.version_changed"
    case modelStatusChanged = "model.status_changed"
    case routingTablePublished = "routing.table_published"
    case policyPublished = "policy.published"
    case templateVersioned = "template.versioned"
    case campaignOpened = "campaign.opened"
    case deliverableOpened = "deliverable.opened"
    case seedLocked = "seed.locked"
    case routingDecided = "routing.decided"
    case generationRequested = "generation.requested"
    case generationCompleted = "generation.completed"
    case generationFailed = "generation.failed"
    case fallbackTriggered = "fallback.triggered"
    case regenerationRequested = "regeneration.requested"
    case policyDenied = "policy.denied"
    case policyOverrideGranted = "policy.override_granted"
    case policyOverrideDeclined = "policy.override_declined"
    case refinementApplied = "refinement.applied"
    case assetReviewed = "asset.reviewed"
    case deliveryRequested = "delivery.requested"
    case deliverableDelivered = "deliverable.delivered"
    case costRecorded = "cost.recorded"
    case modelReviewCompleted = "model.review_completed"
    case replayCompleted = "replay.completed"
    case logKeyAdded = "log.key_added"
    case logKeyRetired = "log.key_retired"
    case logKeyRevoked = "log.key_revoked"
    case payloadErased = "payload.erased"

    /// What an event of this type is: a request asks permission before something happens, and
    /// the gate may deny it; a fact says something happened, and is recorded whatever the policy
    /// says (a fact that breaks a rule is recorded with the violation).
    public enum Kind: String, Sendable {
        case request
        case fact
    }

    public var kind: Kind {
        switch self {
        case .generationRequested, .regenerationRequested, .policyOverrideGranted, .deliveryRequested: .request
        default: .fact
        }
    }

    /// Types the gate judges against the policy in force (every request, and the facts a rule
    /// speaks of); the others are validated only.
    public var isGated: Bool {
        switch self {
        case .generationRequested, .regenerationRequested, .policyOverrideGranted, .deliveryRequested, .deliverableDelivered,
            .policyOverrideDeclined:
            true
        default: false
        }
    }

    /// The kinds of entity whose streams an event of this type sits on (`deliverable` for
    /// `deliverable/{id}`); `DomainEvent.stream` names the exact stream from the payload.
    public var streamEntities: [String] {
        switch self {
        case .modelRegistered, .modelPricingChanged, .modelVersionChanged, .modelStatusChanged, .modelReviewCompleted:
            ["model"]
        case .routingTablePublished, .replayCompleted: ["routing"]
        case .policyPublished: ["policy"]
        case .logKeyAdded, .logKeyRetired, .logKeyRevoked, .payloadErased: ["log"]
        case .templateVersioned: ["template"]
        case .campaignOpened: ["campaign"]
        case .seedLocked: SeedScope.allCases.map(\.rawValue)
        case .routingDecided: ["deliverable", "routing"]
        case .policyDenied: ["deliverable", "policy"]
        default: ["deliverable"]
        }
    }
}
