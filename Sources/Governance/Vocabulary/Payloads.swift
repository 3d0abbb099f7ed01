import Foundation
import LedgerLog

// The typed payload of every event type. Each reads its fields through `Fields`, so a missing or
// mistyped field is named by its path; fields not listed here are kept in the ledger untouched.

/// A price from a catalog entry or a price change, effective from a date.
public struct Price: Sendable, Hashable {
    public var unit: PriceUnit
    public var amount: Money
    /// Credits charged per unit, for credit-priced providers.
    public var credits: Double?
    public var effective: CalendarDate

    init(_ f: Fields, effective: CalendarDate) throws {
        unit = try f.choice("unit")
        amount = try Money.read(f)
        credits = try f.optionalNumber("credits", min: 0)
        self.effective = effective
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "unit": .string(unit.rawValue), "amount": .number(amount.amount), "currency": .string(amount.currency.rawValue),
        ]
        if let credits { object["credits"] = .number(credits) }
        return .object(object)
    }
}

extension Money {
    /// `amount` (not negative) and `currency` (ISO 4217) of an object.
    static func read(_ f: Fields, amountKey: String = "amount") throws -> Money {
        let amount = try f.number(amountKey, min: 0)
        let currency: Currency = try f.choice("currency")
        return Money(amount, currency)
    }

    static func readObject(_ f: Fields, _ key: String) throws -> Money? {
        guard let object = try f.optionalObject(key) else { return nil }
        return try read(object)
    }

    var json: JSONValue { ["amount": .number(amount), "currency": .string(currency.rawValue)] }
}

public struct ModelRegistered: Sendable {
    public var model, provider, version: String
    public var tier: Tier
    public var modalities: [Modality]
    public var price: Price
    public var status: ModelStatus
    init(_ f: Fields) throws {
        model = try f.string("model")
        provider = try f.string("provider")
        version = try f.string("version")
        tier = try f.choice("tier")
        modalities = try f.choices("modalities", nonEmpty: true)
        price = try Price(try f.object("pricing"), effective: try f.date("effective"))
        status = try f.optionalChoice("status") ?? .active
    }
}

public struct ModelPricingChanged: Sendable {
    public var model: String
    public var price: Price
    public var reason: String?
    init(_ f: Fields) throws {
        model = try f.string("model")
        price = try Price(try f.object("pricing"), effective: try f.date("effective"))
        reason = try f.optionalString("reason")
    }
}

public struct ModelVersionChanged: Sendable {
    public var model, version: String
    public var effective: CalendarDate
    public var reason: String?
    init(_ f: Fields) throws {
        model = try f.string("model")
        version = try f.string("version")
        effective = try f.date("effective")
        reason = try f.optionalString("reason")
    }
}

public struct ModelStatusChanged: Sendable {
    public var model: String
    public var status: ModelStatus
    public var effective: CalendarDate
    public var reason: String
    public var failureMode: FailureMode?
    init(_ f: Fields) throws {
        model = try f.string("model")
        status = try f.choice("status")
        effective = try f.date("effective")
        reason = try f.string("reason")
        failureMode = try f.optionalChoice("failure_mode")
        try f.require(
            "failure_mode", when: "status", is: [ModelStatus.degraded.rawValue],
            "required when status is degraded: it picks the routing fallback")
    }
}

public struct RoutingTablePublished: Sendable {
    public var table: RoutingTable
    public var digest: String
    public var author: String
    public var rationale: String
    init(_ f: Fields) throws {
        let document = try f.document("document", "a routing table (docs/POLICIES.md), checked when appended")
        table = f.isDescribing ? .described : try RoutingTable(document)
        digest = try f.digest("digest")
        author = try f.string("author")
        rationale = try f.string("rationale")
        let name = try f.string("table")
        let version = try f.int("version", min: 1)
        try f.check(name == table.name, "table", "differs from document.table")
        try f.check(version == table.version, "version", "differs from document.version")
        try f.check(
            digest == PolicyDigest.of(.object(document.members)), "digest",
            "is not the SHA-256 of the document's RFC 8785 bytes")
    }
}

public struct PolicyPublished: Sendable {
    public var policy: GovernancePolicy
    public var digest: String
    public var author: String
    init(_ f: Fields) throws {
        let document = try f.document("document", "a governance policy (docs/POLICIES.md), checked when appended")
        policy = f.isDescribing ? .described : try GovernancePolicy(document)
        digest = try f.digest("digest")
        author = try f.string("author")
        let name = try f.string("policy")
        let version = try f.int("version", min: 1)
        try f.check(name == policy.name, "policy", "differs from document.policy")
        try f.check(version == policy.version, "version", "differs from document.version")
        try f.check(
            digest == PolicyDigest.of(.object(document.members)), "digest",
            "is not the SHA-256 of the document's RFC 8785 bytes")
    }
}

public struct TemplateVersioned: Sendable {
    public var template: String
    public var version: Int64
    public var bodyDigest: String
    public var variables: [String]
    init(_ f: Fields) throws {
        template = try f.string("template")
        version = try f.int("version", min: 1)
        bodyDigest = try f.digest("body_digest")
        variables = try f.optionalStrings("variables")
        _ = try f.optionalString("body")
        _ = try f.optionalString("note")
    }
}

public struct CampaignOpened: Sendable {
    public var campaign, name: String
    public var budget: Money?
    init(_ f: Fields) throws {
        campaign = try f.string("campaign")
        name = try f.string("name")
        budget = try Money.readObject(f, "budget")
    }
}

public struct Platform: Sendable, Hashable {
    public var platform, aspectRatio: String
}

public struct DeliverableOpened: Sendable {
    public var deliverable: String
    public var campaign: String?
    public var category: String
    public var stage: Stage
    public var modality: Modality
    public var durationSeconds: Double?
    public var characters: Int64?
    public var platforms: [Platform]
    public var budget: Money?
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        campaign = try f.optionalString("campaign")
        category = try f.string("category")
        stage = try f.choice("stage")
        modality = try f.choice("modality")
        durationSeconds = try f.optionalNumber("duration_seconds", min: 0)
        characters = try f.optionalInt("characters", min: 0)
        platforms = try f.objects("platforms", nonEmpty: true).map {
            Platform(platform: try $0.string("platform"), aspectRatio: try AspectRatio.read($0, "aspect_ratio"))
        }
        budget = try Money.readObject(f, "budget")
    }
}

enum AspectRatio {
    /// `W:H` with positive whole numbers (decimal digits, not all zero).
    static func read(_ f: Fields, _ key: String) throws -> String {
        try f.formatted(
            key, pattern: "^0*[1-9][0-9]*:0*[1-9][0-9]*$", example: "16:9", { "'\($0)' is not an aspect ratio like 16:9" }
        ) { text in
            let parts = text.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            return parts.count == 2
                && parts.allSatisfy { part in
                    !part.isEmpty && part.allSatisfy { (48...57).contains($0) } && part.contains { $0 != 48 }
                }
        }
    }
}

public struct SeedLocked: Sendable {
    public var scope: SeedScope
    public var subject: String
    public var seed: Int64
    init(_ f: Fields) throws {
        scope = try f.choice("scope")
        var subject = ""
        for each in SeedScope.allCases {
            if let named = try f.string(each.rawValue, when: "scope", is: each.rawValue) { subject = named }
        }
        self.subject = subject
        seed = try f.int("seed", min: 0)
    }
}

public struct RoutingDecided: Sendable {
    public var decision: String
    public var request: RouteRequest
    public var table: String
    public var tableVersion: Int64
    public var rule: String
    public var tier: Tier
    public var model: String
    init(_ f: Fields) throws {
        decision = try f.string("decision")
        request = try RouteRequest(try f.object("request"))
        table = try f.string("table")
        tableVersion = try f.int("table_version", min: 1)
        rule = try f.string("rule")
        tier = try f.choice("tier")
        model = try f.string("model")
        _ = try f.optionalString("model_version")
        for candidate in try f.objects("candidates", nonEmpty: true) {
            _ = try candidate.string("model")
            _ = try candidate.bool("eligible")
            _ = try candidate.optionalBool("chosen")
            _ = try candidate.string("reason")
        }
        if let from = try f.optionalObject("fallback_from") {
            _ = try from.string("model")
            _ = try from.choice("failure_mode", FailureMode.self)
        }
    }
}

public struct Reference: Sendable, Hashable {
    public var asset: String
    public var role: ReferenceRole

    public init(asset: String, role: ReferenceRole) {
        self.asset = asset
        self.role = role
    }
}

public struct GenerationParameters: Sendable {
    public var aspectRatio: String
    public var cfgScale: Double?
    public var motion: Double?
    public var steps: Int64?
    public var durationSeconds: Double?
    public var megapixels: Double?
    public var credits: Double?
    public init(_ f: Fields) throws {
        aspectRatio = try AspectRatio.read(f, "aspect_ratio")
        cfgScale = try f.optionalNumber("cfg_scale", min: 0)
        motion = try f.optionalNumber("motion", min: 0)
        steps = try f.optionalInt("steps", min: 1)
        durationSeconds = try f.optionalNumber("duration_seconds", min: 0)
        megapixels = try f.optionalNumber("megapixels", min: 0)
        credits = try f.optionalNumber("credits", min: 0)
    }
}

public struct GenerationRequested: Sendable {
    public var deliverable, generation: String
    public var attempt: Int64
    public var model, modelVersion, template: String
    public var templateVersion: Int64
    public var seed: Int64
    public var parameters: GenerationParameters
    public var references: [Reference]
    public var routingDecision: String
    /// The failed generation this one replaces, when it is a fallback.
    public var fallbackFrom: String?
    /// The values the template's variables were filled with, by variable name.
    public var templateValues: [String: String]
    /// The final prompt sent to the model, when the pipeline records it (erasable text).
    public var prompt: String?
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        generation = try f.string("generation")
        attempt = try f.int("attempt", min: 1)
        model = try f.string("model")
        modelVersion = try f.string("model_version")
        template = try f.string("template")
        templateVersion = try f.int("template_version", min: 1)
        seed = try f.int("seed", min: 0)
        parameters = try GenerationParameters(try f.object("parameters"))
        references = try f.optionalObjects("references").map {
            Reference(asset: try $0.string("asset"), role: try $0.choice("role"))
        }
        routingDecision = try f.string("routing_decision")
        fallbackFrom = try f.optionalObject("fallback_from").map { try $0.string("generation") }
        templateValues = Dictionary(uniqueKeysWithValues: try f.optionalStringMap("template_values"))
        prompt = try f.optionalString("prompt")
    }
}

public struct GenerationCompleted: Sendable {
    public var deliverable, generation, asset, assetSHA256: String
    public var latencyMilliseconds: Int64
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        generation = try f.string("generation")
        asset = try f.string("asset")
        assetSHA256 = try f.digest("asset_sha256")
        latencyMilliseconds = try f.int("latency_ms", min: 0)
    }
}

public struct GenerationFailed: Sendable {
    public var deliverable, generation: String
    public var failureMode: FailureMode
    public var latencyMilliseconds: Int64?
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        generation = try f.string("generation")
        failureMode = try f.choice("failure_mode")
        latencyMilliseconds = try f.optionalInt("latency_ms", min: 0)
        _ = try f.optionalString("message")
    }
}

public struct FallbackTriggered: Sendable {
    public var deliverable, generation, fromModel, toModel: String
    public var failureMode: FailureMode
    public var table, rule: String
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        generation = try f.string("generation")
        fromModel = try f.string("from_model")
        toModel = try f.string("to_model")
        failureMode = try f.choice("failure_mode")
        table = try f.string("table")
        rule = try f.string("rule")
    }
}

public struct RegenerationRequested: Sendable {
    public var deliverable, priorAsset: String
    /// The attempt asked for; when the request omits it, the gate assigns the next one, so
    /// concurrent pipelines never collide on numbers and simply meet the cap.
    public var attempt: Int64?
    public var reason: String
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        priorAsset = try f.string("prior_asset")
        attempt = try f.optionalInt("attempt", min: 2)
        reason = try f.string("reason")
    }
}

public struct PolicyDenied: Sendable {
    public var policy: String
    public var version: Int64
    public var rule, reason: String
    public var deliverable: String?
    init(_ f: Fields) throws {
        policy = try f.string("policy")
        version = try f.int("version", min: 0)
        rule = try f.string("rule")
        reason = try f.string("reason")
        deliverable = try f.optionalString("deliverable")
        _ = try f.choice("action", CapAction.self)
        _ = try f.optionalInt("policy_seq", min: 1)
        _ = try f.optionalStrings("rules_checked")
        for finding in try f.optionalObjects("findings") {
            _ = try finding.string("rule")
            _ = try finding.choice("action", CapAction.self)
            _ = try finding.string("result")
            _ = try finding.string("reason")
        }
        let judged = try f.object("judged")
        _ = try judged.string("type")
        _ = try judged.string("stream")
        _ = try judged.object("payload")
    }
}

public struct PolicyOverrideGranted: Sendable {
    public var deliverable, policy, rule, approver, reason: String
    public var extraAttempts: Int64?
    public var extraBudget: Money?
    /// Base64 Ed25519 signature by the approver's registered key (`genledger override`).
    public var approverSignature: String?

    /// The payload key of the approver's signature; the signed message leaves it out.
    public static let signatureKey = "approver_signature"

    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        policy = try f.string("policy")
        rule = try f.string("rule", oneOf: Gate.RuleName.overridable.sorted()) {
            "'\($0)' cannot be overridden; one of: \(Gate.RuleName.overridable.sorted().joined(separator: ", "))"
        }
        approver = try f.string("approver")
        reason = try f.string("reason")
        extraAttempts = try f.optionalInt("extra_attempts", min: 1, max: 100)
        extraBudget = try Money.readObject(f, "extra_budget")
        approverSignature = try f.optionalString(Self.signatureKey)
        try f.require(
            "extra_attempts", when: "rule", is: [Gate.RuleName.regenerationCap],
            "required: an override of the regeneration cap grants extra attempts")
        try f.require(
            "extra_budget", when: "rule", is: [Gate.RuleName.deliverableBudget, Gate.RuleName.campaignBudget],
            "required: an override of a budget grants extra budget")
    }
}

/// An approver's answer of no to a denial waiting for approval (the web app's inbox): who,
/// why, and which `policy.denied` it answers. A fact; the gate records it with a violation when
/// the approver is not one of the policy's, or not proven (the approver's own token).
public struct PolicyOverrideDeclined: Sendable {
    public var deliverable, policy, rule, approver, reason: String
    public var deniedSeq: Int64?

    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        policy = try f.string("policy")
        rule = try f.string("rule")
        approver = try f.string("approver")
        reason = try f.string("reason")
        deniedSeq = try f.optionalInt("denied_seq", min: 1)
    }
}

public struct RefinementApplied: Sendable {
    public var deliverable, inputAsset, outputAsset, outputSHA256: String
    public var step: RefinementStep
    public var model: String
    public var factor: Double?
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        inputAsset = try f.string("input_asset")
        outputAsset = try f.string("output_asset")
        outputSHA256 = try f.digest("output_sha256")
        step = try f.choice("step")
        model = try f.string("model")
        factor = try f.optionalNumber("factor", min: 0)
    }
}

public struct AssetReviewed: Sendable {
    public var deliverable, asset: String
    public var verdict: Verdict
    public var reviewer: String
    public var reasons: [String]
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        asset = try f.string("asset")
        verdict = try f.choice("verdict")
        reviewer = try f.string("reviewer")
        reasons = try f.optionalStrings("reasons")
        _ = try f.optionalNumber("minutes", min: 0)
        try f.require("reasons", when: "verdict", is: [Verdict.rejected.rawValue], "required when the verdict is rejected")
    }
}

public struct DeliverableDelivered: Sendable {
    public var deliverable, asset: String
    public var platforms: [String]
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        asset = try f.string("asset")
        platforms = try f.strings("platforms", nonEmpty: true)
    }
}

/// A pipeline asks before it delivers: judged by the delivery rules, denied or allowed.
public struct DeliveryRequested: Sendable {
    public var deliverable, asset: String
    public var platforms: [String]
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        asset = try f.string("asset")
        platforms = try f.optionalStrings("platforms")
    }
}

public struct CostRecorded: Sendable {
    public var deliverable: String
    public var kind: CostKind
    public var amount: Money
    public var credits: Double?
    public var generation, asset: String?
    init(_ f: Fields) throws {
        deliverable = try f.string("deliverable")
        kind = try f.choice("kind")
        amount = try Money.read(f)
        credits = try f.optionalNumber("credits", min: 0)
        generation = try f.optionalString("generation")
        asset = try f.optionalString("asset")
        try f.require("generation", when: "kind", is: [CostKind.generation.rawValue], "required for a generation cost")
        try f.require(
            "asset", when: "kind", is: [CostKind.refinement.rawValue], "required for a refinement cost (the refined output)")
    }
}

public struct ModelReviewCompleted: Sendable {
    public var model, quarter: String
    public var decision: ReviewDecision
    public var reviewer, reviewDigest: String
    init(_ f: Fields) throws {
        model = try f.string("model")
        quarter = try f.formatted(
            "quarter", pattern: "^[0-9]{4}-Q[1-4]$", example: "2026-Q3", { "'\($0)' is not a quarter like 2026-Q3" }
        ) { text in
            let bytes = Array(text.utf8)
            return bytes.count == 7 && bytes[0..<4].allSatisfy { (48...57).contains($0) } && bytes[4] == UInt8(ascii: "-")
                && bytes[5] == UInt8(ascii: "Q") && (49...52).contains(bytes[6])
        }
        decision = try f.choice("decision")
        reviewer = try f.string("reviewer")
        reviewDigest = try f.digest("review_digest")
        _ = try f.optionalString("notes")
    }
}

/// A what-if weighed: history replayed under a candidate routing table (`genledger replay
/// --record`). Records what was compared and the summary, so a later review shows which
/// alternatives were considered before a table changed. Changes nothing else.
public struct ReplayCompleted: Sendable {
    public var table: String
    public var candidateVersion: Int64
    public var candidateDigest: String
    public var source: String
    public var asOf: Int64
    public var requests, changed, unroutable: Int64
    init(_ f: Fields) throws {
        table = try f.string("table")
        candidateVersion = try f.int("candidate_version", min: 1)
        candidateDigest = try f.digest("candidate_digest")
        source = try f.string("source")
        asOf = try f.int("as_of", min: 0)
        requests = try f.int("requests", min: 0)
        changed = try f.int("changed", min: 0)
        unroutable = try f.int("unroutable", min: 0)
        _ = try f.optionalInt("low_confidence", min: 0)
        _ = try f.optionalString("file")
        _ = try f.optionalString("from")
        _ = try f.optionalString("to")
        for side in ["before", "after"] {
            let figures = try f.object(side)
            _ = try figures.number("spend", min: 0)
            _ = try figures.optionalNumber("regeneration_multiplier", min: 0)
            _ = try figures.optionalNumber("failure_rate", min: 0)
            _ = try figures.optionalNumber("true_cost_per_acceptable", min: 0)
        }
        _ = try f.choice("currency", Currency.self)
    }
}

/// A change to the keys that may sign the log's checkpoints, signed by a key already trusted
/// (docs/FORMAT.md §5, key rotation). The shape is checked here; whether the signer was trusted
/// and the signature holds is `verify`'s to decide, against the trust root the auditor supplies.
public struct KeyStatement: Sendable {
    public var key, signer: String
    init(_ f: Fields) throws {
        key = try f.formatted(
            "key", pattern: "^[^+\\s]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}$", example: "log.example+00000000+"
                + String(repeating: "A", count: 44), { "'\($0)' is not a verifier key (name+keyid+base64)" }
        ) { (try? NoteVerifierKey(parsing: $0)) != nil }
        signer = try f.formatted(
            "signer", pattern: "^[^+\\s]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}$", example: "log.example+00000000+"
                + String(repeating: "A", count: 44), { "'\($0)' is not a verifier key (name+keyid+base64)" }
        ) { (try? NoteVerifierKey(parsing: $0)) != nil }
        _ = try f.formatted(
            "signature", pattern: "^[A-Za-z0-9+/]{85}[AQgw]==$", example: String(repeating: "A", count: 86) + "==",
            { _ in "must be a base64 Ed25519 signature (64 bytes)" }
        ) { Data(base64Encoded: $0)?.count == 64 }
    }
}

/// An erasure (`genledger erase`): which event, which fields, why and by whom, and the SHA-256 of
/// the redacted payload that now stands in its place (docs/FORMAT.md §11).
public struct PayloadErased: Sendable {
    public var seq: Int64
    public var fields: [String]
    public var reason, erasedBy: String
    init(_ f: Fields) throws {
        seq = try f.int("seq", min: 1)
        _ = try f.string("event_id")
        fields = try f.strings("fields", nonEmpty: true)
        _ = try f.digest("redacted_digest")
        reason = try f.string("reason")
        erasedBy = try f.string("erased_by")
    }
}

