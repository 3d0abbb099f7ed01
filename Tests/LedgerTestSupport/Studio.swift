public import Foundation
public import Governance
public import LedgerLog
import Testing

/// A real ledger (a file, or a PostgreSQL database) with the shipped policies/ published, and shorthands for the events a
/// pipeline writes, so each test states only what it is about.
public final class Studio {
    public let directory = TemporaryDirectory("genledger-governance")
    public let ledger: Ledger
    public let governed: GovernedLedger
    /// The time of the next event; also the ledger's recorded_at clock.
    public var clock = Timestamp(microsecondsSinceEpoch: 1_782_864_000_000_000)  // 2026-07-01

    public init(policies: String = RepositoryFiles.path("policies"), store: TestStore = .sqlite) throws {
        ledger = try Ledger.create(at: try store.location(in: directory), origin: "studio.example/log")
        governed = GovernedLedger(ledger)
        ledger.clock = { [unowned self] in self.clock }
        try governed.publish(try PolicyFolder(directory: policies))
        // The template every generation here uses, recorded before use (rule template-published).
        let body = "a test prompt"
        try append(
            .templateVersioned, "template/tpl-test",
            [
                "template": "tpl-test", "version": 1, "body": .string(body),
                "body_digest": .string(SHA256.hash(Array(body.utf8)).hex),
            ])
    }

    public func event(_ type: EventType, _ stream: String, _ payload: JSONValue, id: UUID? = UUID()) -> ProposedEvent {
        clock = Timestamp(microsecondsSinceEpoch: clock.microsecondsSinceEpoch + 1_000_000)
        return ProposedEvent(id: id, type: type.rawValue, stream: stream, payload: payload, occurredAt: clock, actor: "test")
    }

    @discardableResult
    public func append(_ type: EventType, _ stream: String, _ payload: JSONValue) throws -> GovernedAppend {
        try governed.append(event(type, stream, payload))
    }

    public func openCampaign(_ id: String, seed: Int64? = nil, budget: Double? = nil) throws {
        var payload: [String: JSONValue] = ["campaign": .string(id), "name": "test campaign"]
        if let budget { payload["budget"] = ["amount": .number(budget), "currency": "USD"] }
        try append(.campaignOpened, "campaign/\(id)", .object(payload))
        if let seed {
            try append(
                .seedLocked, "campaign/\(id)", ["scope": "campaign", "campaign": .string(id), "seed": .number(Double(seed))])
        }
    }

    public func openDeliverable(
        _ id: String, category: String, stage: Stage, campaign: String? = nil, modality: Modality = .textToVideo,
        duration: Double = 10,
        budget: Double? = nil
    ) throws {
        var payload: [String: JSONValue] = [
            "deliverable": .string(id), "category": .string(category), "stage": .string(stage.rawValue),
            "modality": .string(modality.rawValue), "duration_seconds": .number(duration),
            "platforms": [["platform": "web", "aspect_ratio": "16:9"]],
        ]
        if let campaign { payload["campaign"] = .string(campaign) }
        if let budget { payload["budget"] = ["amount": .number(budget), "currency": "USD"] }
        try append(.deliverableOpened, "deliverable/\(id)", .object(payload))
    }

    private var generations = 0

    /// A `generation.requested` payload (not appended).
    public func generationPayload(_ deliverable: String, attempt: Int64, model: String, seed: Int64 = 7, decision: String)
        -> JSONValue
    {
        generations += 1
        return [
            "deliverable": .string(deliverable), "generation": .string("\(deliverable)-G\(generations)"),
            "attempt": .number(Double(attempt)), "model": .string(model), "model_version": "v",
            "template": "tpl-test", "template_version": 1, "seed": .number(Double(seed)),
            "parameters": ["aspect_ratio": "16:9", "duration_seconds": 10], "routing_decision": .string(decision),
        ]
    }

    /// A `generation.requested` event for attempt 1 of `deliverable` on `model` (not appended).
    public func generationRequest(_ deliverable: String, model: String, seed: Int64, decision: String) -> ProposedEvent {
        event(
            .generationRequested, "deliverable/\(deliverable)",
            generationPayload(deliverable, attempt: 1, model: model, seed: seed, decision: decision))
    }

    /// Routes (recorded), requests a generation on the chosen model (or `model`), completes it,
    /// and returns the asset.
    @discardableResult
    public func generate(_ deliverable: String, attempt: Int64, model: String? = nil, seed: Int64 = 7) throws -> String {
        let state = governed.state.deliverables[deliverable]!.opened
        let routed = try governed.route(
            RouteRequest(
                deliverable: deliverable, campaign: state.campaign, category: state.category, stage: state.stage,
                modality: state.modality,
                durationSeconds: state.durationSeconds)
        ).decision
        let payload = generationPayload(
            deliverable, attempt: attempt, model: model ?? routed.model, seed: seed, decision: routed.decision)
        try append(.generationRequested, "deliverable/\(deliverable)", payload)
        let generation = payload["generation"]!.stringValue!
        let asset = "\(generation)-asset"
        try append(
            .generationCompleted, "deliverable/\(deliverable)",
            [
                "deliverable": .string(deliverable), "generation": .string(generation), "asset": .string(asset),
                "asset_sha256": .string(String(repeating: "ab", count: 32)), "latency_ms": 1000,
            ])
        return asset
    }

    /// `count` social-short delivery deliverables (D-1…), each with three generations recorded
    /// (attempts 1 to 3, two regenerations): one short of the shipped cap of 4. By deliverable,
    /// the asset a regeneration would replace.
    public func deliverablesOneShortOfTheCap(_ count: Int) throws -> [String: String] {
        var priors: [String: String] = [:]
        for d in 1...count {
            let id = "D-\(d)"
            try openDeliverable(id, category: "social-short", stage: .delivery)
            var prior = try generate(id, attempt: 1)
            for attempt in 2...3 {
                try governed.append(regeneration(id, prior: prior, attempt: Int64(attempt)))
                prior = try generate(id, attempt: Int64(attempt))
            }
            priors[id] = prior
        }
        return priors
    }

    public func regeneration(_ deliverable: String, prior: String, attempt: Int64? = nil) -> ProposedEvent {
        var payload: [String: JSONValue] = [
            "deliverable": .string(deliverable), "prior_asset": .string(prior), "reason": "rejected by review",
        ]
        if let attempt { payload["attempt"] = .number(Double(attempt)) }
        return event(.regenerationRequested, "deliverable/\(deliverable)", .object(payload))
    }

    public func review(_ deliverable: String, _ asset: String, accepted: Bool = true) throws {
        var payload: [String: JSONValue] = [
            "deliverable": .string(deliverable), "asset": .string(asset), "verdict": accepted ? "accepted" : "rejected",
            "reviewer": "reviewer:ana",
        ]
        if !accepted { payload["reasons"] = ["off-brand"] }
        try append(.assetReviewed, "deliverable/\(deliverable)", .object(payload))
    }

    public func override(
        _ deliverable: String, rule: String, approver: String = "approver:lena", extraAttempts: Int64? = 2,
        extraBudget: Double? = nil
    )
        -> ProposedEvent
    {
        var payload: [String: JSONValue] = [
            "deliverable": .string(deliverable), "policy": "governance", "rule": .string(rule), "approver": .string(approver),
            "reason": "deadline",
        ]
        if let extraAttempts { payload["extra_attempts"] = .number(Double(extraAttempts)) }
        if let extraBudget { payload["extra_budget"] = ["amount": .number(extraBudget), "currency": "USD"] }
        return event(.policyOverrideGranted, "deliverable/\(deliverable)", .object(payload))
    }
    /// Appends an override as its approver's token would over HTTP: the approver proven.
    @discardableResult
    public func grant(_ override: ProposedEvent) throws -> GovernedAppend {
        let approver = override.payload["approver"]?.stringValue ?? ""
        return try governed.append(override, approval: ApprovalProof(approver: approver, provenBy: "token:\(approver)"))
    }


    /// The error a governed append throws, or a test failure when it succeeds.
    /// `approval`: the approver the caller proves, as a token would.
    public func refusal(approval approver: String? = nil, _ events: [ProposedEvent]) -> GovernanceError? {
        do {
            try governed.append(events, approval: approver.map { ApprovalProof(approver: $0, provenBy: "token:\($0)") })
            Issue.record("expected \(events.map(\.type)) to be refused")
            return nil
        } catch let error as GovernanceError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}
