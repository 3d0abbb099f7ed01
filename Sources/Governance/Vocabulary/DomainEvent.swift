public import LedgerLog

/// An event of the vocabulary, decoded and checked field by field.
public enum DomainEvent: Sendable {
    case modelRegistered(ModelRegistered)
    case modelPricingChanged(ModelPricingChanged)
    case modelVersionChanged(ModelVersionChanged)
    case modelStatusChanged(ModelStatusChanged)
    case routingTablePublished(RoutingTablePublished)
    case policyPublished(PolicyPublished)
    case templateVersioned(TemplateVersioned)
    case campaignOpened(CampaignOpened)
    case deliverableOpened(DeliverableOpened)
    case seedLocked(SeedLocked)
    case routingDecided(RoutingDecided)
    case generationRequested(GenerationRequested)
    case generationCompleted(GenerationCompleted)
    case generationFailed(GenerationFailed)
    case fallbackTriggered(FallbackTriggered)
    case regenerationRequested(RegenerationRequested)
    case policyDenied(PolicyDenied)
    case policyOverrideGranted(PolicyOverrideGranted)
    case policyOverrideDeclined(PolicyOverrideDeclined)
    case refinementApplied(RefinementApplied)
    case assetReviewed(AssetReviewed)
    case deliveryRequested(DeliveryRequested)
    case deliverableDelivered(DeliverableDelivered)
    case costRecorded(CostRecorded)
    case modelReviewCompleted(ModelReviewCompleted)
    case replayCompleted(ReplayCompleted)
    /// A key statement of the log (`log.key_added`, `log.key_retired`, `log.key_revoked`).
    case keyStatement(KeyStatement)
    case payloadErased(PayloadErased)

    /// The payload key the gate writes; callers may not supply it.
    public static let gateKey = "gate"

    /// Decodes a payload of `type`, checks that the event sits on its documented stream, and
    /// refuses a caller-supplied gate record unless `allowGateRecord` (reading back the ledger).
    public static func decode(type: String, stream: String, payload: JSONValue, allowGateRecord: Bool = false) throws
        -> DomainEvent
    {
        guard let eventType = EventType(rawValue: type) else {
            throw GovernanceError(
                .invalidEvent, "unknown event type '\(type)'; docs/EVENTS.md lists the vocabulary", field: "type")
        }
        let event = try read(eventType, try Fields(payload, path: "payload"), allowGateRecord: allowGateRecord)
        let expected = event.stream
        guard stream == expected else {
            throw GovernanceError(
                .invalidEvent, "must be '\(expected)' for this \(type) event (docs/EVENTS.md, Streams)", field: "stream")
        }
        return event
    }

    /// Reads the payload of an event of `type`; over a describing `Fields`, records its schema.
    static func read(_ eventType: EventType, _ f: Fields, allowGateRecord: Bool = false) throws -> DomainEvent {
        if !allowGateRecord { try f.forbid(gateKey, "is written by the gate and cannot be supplied") }
        let event: DomainEvent
        switch eventType {
        case .modelRegistered: event = .modelRegistered(try ModelRegistered(f))
        case .modelPricingChanged: event = .modelPricingChanged(try ModelPricingChanged(f))
        case .modelVersionChanged: event = .modelVersionChanged(try ModelVersionChanged(f))
        case .modelStatusChanged: event = .modelStatusChanged(try ModelStatusChanged(f))
        case .routingTablePublished: event = .routingTablePublished(try RoutingTablePublished(f))
        case .policyPublished: event = .policyPublished(try PolicyPublished(f))
        case .templateVersioned: event = .templateVersioned(try TemplateVersioned(f))
        case .campaignOpened: event = .campaignOpened(try CampaignOpened(f))
        case .deliverableOpened: event = .deliverableOpened(try DeliverableOpened(f))
        case .seedLocked: event = .seedLocked(try SeedLocked(f))
        case .routingDecided: event = .routingDecided(try RoutingDecided(f))
        case .generationRequested: event = .generationRequested(try GenerationRequested(f))
        case .generationCompleted: event = .generationCompleted(try GenerationCompleted(f))
        case .generationFailed: event = .generationFailed(try GenerationFailed(f))
        case .fallbackTriggered: event = .fallbackTriggered(try FallbackTriggered(f))
        case .regenerationRequested: event = .regenerationRequested(try RegenerationRequested(f))
        case .policyDenied: event = .policyDenied(try PolicyDenied(f))
        case .policyOverrideGranted: event = .policyOverrideGranted(try PolicyOverrideGranted(f))
        case .policyOverrideDeclined: event = .policyOverrideDeclined(try PolicyOverrideDeclined(f))
        case .refinementApplied: event = .refinementApplied(try RefinementApplied(f))
        case .assetReviewed: event = .assetReviewed(try AssetReviewed(f))
        case .deliveryRequested: event = .deliveryRequested(try DeliveryRequested(f))
        case .deliverableDelivered: event = .deliverableDelivered(try DeliverableDelivered(f))
        case .costRecorded: event = .costRecorded(try CostRecorded(f))
        case .modelReviewCompleted: event = .modelReviewCompleted(try ModelReviewCompleted(f))
        case .replayCompleted: event = .replayCompleted(try ReplayCompleted(f))
        case .logKeyAdded, .logKeyRetired, .logKeyRevoked: event = .keyStatement(try KeyStatement(f))
        case .payloadErased:
            // Written with the redaction it records, in one transaction, by `genledger erase` only.
            if !allowGateRecord && !f.isDescribing {
                throw GovernanceError(.invalidEvent, "payload.erased is written by genledger erase, never appended", field: "type")
            }
            event = .payloadErased(try PayloadErased(f))
        }
        return event
    }

    /// The stream an event belongs on: the entity it is about.
    public var stream: String {
        switch self {
        case .modelRegistered(let e): "model/\(e.model)"
        case .modelPricingChanged(let e): "model/\(e.model)"
        case .modelVersionChanged(let e): "model/\(e.model)"
        case .modelStatusChanged(let e): "model/\(e.model)"
        case .modelReviewCompleted(let e): "model/\(e.model)"
        case .routingTablePublished(let e): "routing/\(e.table.name)"
        case .replayCompleted(let e): "routing/\(e.table)"
        case .keyStatement: KeyChain.stream
        case .payloadErased: Erasure.stream
        case .policyPublished(let e): "policy/\(e.policy.name)"
        case .templateVersioned(let e): "template/\(e.template)"
        case .campaignOpened(let e): "campaign/\(e.campaign)"
        case .seedLocked(let e): "\(e.scope.rawValue)/\(e.subject)"
        case .routingDecided(let e): e.request.deliverable.map { "deliverable/\($0)" } ?? "routing/requests"
        case .policyDenied(let e): e.deliverable.map { "deliverable/\($0)" } ?? "policy/\(e.policy)"
        case .deliverableOpened(let e): "deliverable/\(e.deliverable)"
        case .generationRequested(let e): "deliverable/\(e.deliverable)"
        case .generationCompleted(let e): "deliverable/\(e.deliverable)"
        case .generationFailed(let e): "deliverable/\(e.deliverable)"
        case .fallbackTriggered(let e): "deliverable/\(e.deliverable)"
        case .regenerationRequested(let e): "deliverable/\(e.deliverable)"
        case .policyOverrideGranted(let e): "deliverable/\(e.deliverable)"
        case .policyOverrideDeclined(let e): "deliverable/\(e.deliverable)"
        case .refinementApplied(let e): "deliverable/\(e.deliverable)"
        case .assetReviewed(let e): "deliverable/\(e.deliverable)"
        case .deliveryRequested(let e): "deliverable/\(e.deliverable)"
        case .deliverableDelivered(let e): "deliverable/\(e.deliverable)"
        case .costRecorded(let e): "deliverable/\(e.deliverable)"
        }
    }
}
