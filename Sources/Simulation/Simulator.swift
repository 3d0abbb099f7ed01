import Foundation
public import Governance
import LedgerLog

public struct SimulationOptions: Sendable {
    public var seed: UInt64
    public var deliverables: Int
    public var months: Int
    /// The first simulated day.
    public var start: CalendarDate
    /// Where to write each delivered asset's file (`SimulatedMedia`), named `ASSET.png`; nil writes none.
    public var mediaDirectory: String?
    /// Deliverables simulated per write transaction (group commit). Each request still runs in a
    /// savepoint of its own, judged against everything before it, so the history is the same
    /// event for event whatever this is; only the number of commits changes.
    public var deliverablesPerTransaction: Int

    public init(
        seed: UInt64 = 1, deliverables: Int = 3000, months: Int = 6, start: CalendarDate = CalendarDate("2026-04-01")!,
        mediaDirectory: String? = nil, deliverablesPerTransaction: Int = 50
    ) {
        self.seed = seed
        self.deliverables = deliverables
        self.months = months
        self.start = start
        self.mediaDirectory = mediaDirectory
        self.deliverablesPerTransaction = max(1, deliverablesPerTransaction)
    }
}

/// What a simulation recorded.
public struct SimulationSummary: Sendable {
    public var eventsByType: [String: Int] = [:]
    public var deliverablesOpened = 0
    public var delivered = 0
    public var abandoned = 0
    public var campaigns = 0
    public var denialsByRule: [String: Int] = [:]
    public var overrides = 0
    /// Denials an approver answered with no (`policy.override_declined`).
    public var declines = 0
    public var fallbacks = 0
    public var warnings = 0
    public var spendMicros: Int64 = 0
    /// Mid-history changes, each with the seq that records it.
    public var milestones: [(seq: UInt64, what: String)] = []
    public var firstSeq: UInt64 = 0
    public var lastSeq: UInt64 = 0
}

/// Writes a realistic campaign history through the same append path and gate a pipeline uses:
/// policies first, then campaigns and deliverables across categories and stages, routing
/// decisions, generations with seeds, templates and control parameters, image-to-video chains,
/// failures and fallbacks, regenerations (some denied at the cap, some overridden), refinement,
/// reviews, deliveries and costs, with a price change, a model version change, a degraded model
/// and a routing table change mid-history. Time is simulated and every choice comes from a
/// seeded generator, so one seed always writes the same ledger content.
public final class Simulator {
    public let ledger: GovernedLedger
    let folder: PolicyFolder
    let options: SimulationOptions
    var random: SimulationRandom
    var clock: SimulatedClock
    public private(set) var summary = SimulationSummary()
    /// Acceptance added to a model after a simulated version change.
    var versionBonus: [String: Double] = [:]
    var refinements = 0
    /// The write transaction the current slice of deliverables shares (group commit).
    private var group: GroupSession?

    static let categories: [(String, Double)] = [
        ("social-short", 0.30), ("hero-video", 0.10), ("brand-film", 0.05), ("product-video", 0.15), ("character-series", 0.10),
        ("key-visual", 0.12), ("product-still", 0.08), ("concept-sketch", 0.10),
    ]
    static let reviewers = ["reviewer:ana", "reviewer:ben", "reviewer:chloe", "reviewer:dev"]
    static let approvers = ["approver:lena", "approver:marcus"]
    static let pipeline = "pipeline:render-farm"
    static let rejectionReasons = [
        "off-brand colour grade", "hands and fingers malformed", "motion judder in second half", "logo distorted",
        "character face drifts between shots", "composition ignores the storyboard", "text rendering illegible",
        "lighting inconsistent with upstream frame",
    ]

    public init(ledger: GovernedLedger, policies: PolicyFolder, options: SimulationOptions) {
        self.ledger = ledger
        self.folder = policies
        self.options = options
        self.random = SimulationRandom(seed: options.seed)
        self.clock = SimulatedClock(Timestamp(date: options.start))
        let clock = self.clock
        ledger.ledger.clock = { clock.now }
    }

    /// Runs the whole simulation. `progress` is called with the number of deliverables done.
    public func run(progress: ((Int) -> Void)? = nil) throws -> SimulationSummary {
        try ledger.refresh()
        summary.firstSeq = ledger.state.position + 1
        clock.now = Timestamp(microsecondsSinceEpoch: clock.now.microsecondsSinceEpoch - 86_400_000_000)
        let published = try ledger.publish(folder, occurredAt: clock.now)
        count(published.map { $0.appended.seq })
        clock.now = Timestamp(date: options.start)
        try publishTemplates(version: 1, note: "initial prompt templates")

        let period = Double(options.months) * 30.4 * 86_400
        let starts = (0..<options.deliverables).map { _ in random.unit() * period }.sorted()
        let milestones: [(Double, (Simulator) throws -> Void)] = [
            (
                0.25,
                { try $0.publishTemplates(version: 2, note: "tightened negative prompts", only: ["hero-video", "social-short"]) }
            ),
            (0.30, { try $0.changePrice("veo-3.1", to: 0.35, reason: "provider price cut for committed volume") }),
            (0.45, { try $0.changeVersion("kling-2.5-turbo", to: "2.6-turbo", acceptanceBonus: 0.08) }),
            (0.50, { try $0.changeStatus("veo-3.1", .degraded, mode: .timeout, reason: "provider incident: queue timeouts") }),
            (0.60, { try $0.changeStatus("veo-3.1", .active, mode: nil, reason: "provider incident resolved") }),
            (0.66, { try $0.switchSocialRouting() }),
        ]
        var nextMilestone = 0
        var campaign: (id: String, remaining: Int)?
        for slice in stride(from: 0, to: starts.count, by: options.deliverablesPerTransaction) {
            try ledger.withGroupSession { group in
                self.group = group
                defer { self.group = nil }
                for index in slice..<min(slice + options.deliverablesPerTransaction, starts.count) {
                    let fraction = Double(index) / Double(max(1, options.deliverables))
                    while nextMilestone < milestones.count, milestones[nextMilestone].0 <= fraction {
                        try milestones[nextMilestone].1(self)
                        nextMilestone += 1
                    }
                    clock.advance(
                        toAtLeast: Timestamp(
                            microsecondsSinceEpoch: Timestamp(date: options.start).microsecondsSinceEpoch
                                + Int64(starts[index] * 1_000_000)))
                    if campaign == nil || campaign!.remaining == 0 {
                        campaign = (try openCampaign(), random.int(20...60))
                    }
                    let inCampaign = random.chance(0.8)
                    if inCampaign { campaign!.remaining -= 1 }
                    try simulateDeliverable(number: index + 1, campaign: inCampaign ? campaign!.id : nil)
                    if let progress, (index + 1) % 500 == 0 { progress(index + 1) }
                }
            }
        }
        while nextMilestone < milestones.count {
            try milestones[nextMilestone].1(self)
            nextMilestone += 1
        }
        summary.lastSeq = ledger.state.position
        return summary
    }

    // MARK: Appending

    struct Denied: Error {
        var rule: String
        var action: CapAction
    }

    /// Appends a batch through the gate, returning the results, or `Denied` for a denial (which
    /// the gate has already recorded as policy.denied).
    @discardableResult
    func append(
        _ events: [(EventType, String, JSONValue)], actor: String = Simulator.pipeline, approval: ApprovalProof? = nil
    ) throws -> [GovernedAppend] {
        let proposed = events.map { type, stream, payload in
            clock.tick()
            return ProposedEvent(
                id: random.uuid(at: clock.now), type: type.rawValue, stream: stream, payload: payload, occurredAt: clock.now, actor: actor)
        }
        do {
            let results = try governedAppend(proposed, approval: approval)
            for (event, result) in zip(proposed, results) {
                summary.eventsByType[event.type, default: 0] += 1
                if result.judgement?.outcome == .warned { summary.warnings += 1 }
            }
            return results
        } catch let error as GovernanceError where error.code == .denied {
            summary.eventsByType[EventType.policyDenied.rawValue, default: 0] += 1
            let rule = error.rule?.rule ?? "?"
            summary.denialsByRule[rule, default: 0] += 1
            throw Denied(rule: rule, action: action(of: error))
        }
    }

    /// Through the slice's group when there is one, else in a transaction of its own.
    private func governedAppend(_ proposed: [ProposedEvent], approval: ApprovalProof?) throws -> [GovernedAppend] {
        if let group { return try group.append(proposed, approval: approval).get() }
        return try ledger.append(proposed, approval: approval)
    }

    private func route(_ request: RouteRequest, decision: String, id: UUID, occurredAt: Timestamp, actor: String) throws
        -> RoutingDecision
    {
        if let group {
            return try group.decide(request, decision: decision, actor: actor, id: id, occurredAt: occurredAt).get().decision
        }
        return try ledger.route(request, decision: decision, id: id, occurredAt: occurredAt, actor: actor).decision
    }

    private func action(of error: GovernanceError) -> CapAction {
        guard let seq = error.deniedSeq, let event = try? ledger.ledger.event(seq: seq),
            let text = event.payload["action"]?.stringValue, let action = CapAction(rawValue: text)
        else { return .deny }
        return action
    }

    private func count(_ seqs: [UInt64]) {
        for seq in seqs {
            if let event = try? ledger.ledger.event(seq: seq) { summary.eventsByType[event.type, default: 0] += 1 }
        }
    }

    // MARK: Mid-history changes

    func publishTemplates(version: Int64, note: String, only: [String]? = nil) throws {
        let events = Self.categories.map(\.0).filter { only?.contains($0) ?? true }.map {
            category -> (EventType, String, JSONValue) in
            let body = "[\(category) v\(version)] {subject}, {shot}, {style}; \(note)"
            return (
                .templateVersioned, "template/tpl-\(category)",
                [
                    "template": .string("tpl-\(category)"), "version": .number(Double(version)),
                    "body_digest": .string(SHA256.hash(Array(body.utf8)).description), "body": .string(body),
                    "variables": ["subject", "shot", "style"], "note": .string(note),
                ]
            )
        }
        let results = try append(events, actor: "author:prompt-team")
        if version > 1 { milestone(results, "templates \(only?.joined(separator: ", ") ?? "all") raised to v\(version)") }
    }

    func changePrice(_ model: String, to amount: Double, reason: String) throws {
        let results = try append(
            [
                (
                    .modelPricingChanged, "model/\(model)",
                    [
                        "model": .string(model), "pricing": ["unit": "per-second", "amount": .number(amount), "currency": "USD"],
                        "effective": .string(CalendarDate(clock.now).description), "reason": .string(reason),
                    ]
                )
            ], actor: "catalog:studio-models")
        milestone(results, "price of \(model) changed to \(amount) USD/s")
    }

    func changeVersion(_ model: String, to version: String, acceptanceBonus: Double) throws {
        let results = try append(
            [
                (
                    .modelVersionChanged, "model/\(model)",
                    [
                        "model": .string(model), "version": .string(version),
                        "effective": .string(CalendarDate(clock.now).description),
                        "reason": "provider released a new version",
                    ]
                )
            ], actor: "catalog:studio-models")
        versionBonus[model] = acceptanceBonus
        milestone(results, "\(model) moved to version \(version)")
    }

    func changeStatus(_ model: String, _ status: ModelStatus, mode: FailureMode?, reason: String) throws {
        var payload: [String: JSONValue] = [
            "model": .string(model), "status": .string(status.rawValue),
            "effective": .string(CalendarDate(clock.now).description),
            "reason": .string(reason),
        ]
        if let mode { payload["failure_mode"] = .string(mode.rawValue) }
        let results = try append([(.modelStatusChanged, "model/\(model)", .object(payload))], actor: "ops:model-health")
        milestone(results, "\(model) \(status.rawValue)\(mode.map { " (\($0.rawValue))" } ?? "")")
    }

    /// Routing table video v(n+1): social shorts move from kling to seedance.
    func switchSocialRouting() throws {
        guard let (table, document) = folder.tables.first(where: { $0.table.name == "video" }),
            case .object(var root) = document.value, case .array(var rules) = root["rules"]
        else { return }
        let version = (ledger.state.tables["video"]?.version ?? table.version) + 1
        for i in rules.indices where rules[i]["id"]?.stringValue == "social-short" {
            guard case .object(var rule) = rules[i] else { continue }
            rule["primary"] = "seedance-1-pro"
            rule["fallbacks"] = ["rate-limited": ["kling-2.5-turbo"], "default": ["kling-2.5-turbo"]]
            rules[i] = .object(rule)
        }
        root["rules"] = .array(rules)
        root["version"] = .number(Double(version))
        root["rationale"] = "Q3 review: seedance-1-pro accepts social shorts more often than kling-2.5-turbo."
        let digest = PolicyDigest.of(.object(root))
        let results = try append(
            [
                (
                    .routingTablePublished, "routing/video",
                    [
                        "table": "video", "version": .number(Double(version)), "document": .object(root),
                        "digest": .string(digest),
                        "author": "routing@studio.example", "rationale": root["rationale"]!,
                    ]
                )
            ], actor: "routing@studio.example")
        milestone(results, "routing table video v\(version): social-short primary kling-2.5-turbo → seedance-1-pro")
    }

    private func milestone(_ results: [GovernedAppend], _ what: String) {
        if let seq = results.first?.appended.seq { summary.milestones.append((seq, what)) }
    }

    // MARK: Campaigns and deliverables

    func openCampaign() throws -> String {
        summary.campaigns += 1
        let id = "C-\(String(format: "%04d", summary.campaigns))"
        var payload: [String: JSONValue] = ["campaign": .string(id), "name": .string("Campaign \(summary.campaigns)")]
        // A few campaigns run on a tight budget of their own.
        if random.chance(0.1) { payload["budget"] = ["amount": .number(Double(random.int(10...20)) * 100), "currency": "USD"] }
        var events: [(EventType, String, JSONValue)] = [(.campaignOpened, "campaign/\(id)", .object(payload))]
        if random.chance(0.85) {
            events.append(
                (
                    .seedLocked, "campaign/\(id)",
                    ["scope": "campaign", "campaign": .string(id), "seed": .number(Double(random.int(1...999_999)))]
                ))
        }
        try append(events, actor: "producer:studio")
        return id
    }

    struct Work {
        var deliverable: String
        var campaign: String?
        var category: String
        var stage: Stage
        var modality: Modality
        var durationSeconds: Double?
        var characters: Int64
        var aspectRatio: String
        var seed: Int64?
        var attempt: Int64 = 1
        var generationCount = 0
        var routeCount = 0
        var costMicros: Int64 = 0
        var stream: String { "deliverable/\(deliverable)" }
    }

    func simulateDeliverable(number: Int, campaign: String?) throws {
        let category = random.pick(Self.categories)
        let stage: Stage = category == "concept-sketch" ? .draft : (random.chance(0.7) ? .delivery : .draft)
        let id = "D-\(String(format: "%06d", number))"
        let chain = category == "product-video" || category == "character-series"
        let modality: Modality =
            switch category {
            case "social-short", "hero-video", "brand-film": .textToVideo
            case "product-video", "character-series": .imageToVideo
            case "concept-sketch": random.chance(0.5) ? .textToImage : .textToVideo
            default: .textToImage
            }
        let duration: Double? =
            switch category {
            case "social-short": Double(random.int(6...15))
            case "hero-video": Double(random.int(20...45))
            case "brand-film": Double(random.int(30...60))
            case "product-video": Double(random.int(5...10))
            case "character-series": Double(random.int(8...16))
            case "concept-sketch" where modality.producesVideo: Double(random.int(5...8))
            default: nil
            }
        let platforms: [(String, String)] =
            switch category {
            case "social-short": [("tiktok", "9:16"), ("instagram-reels", "9:16")]
            case "hero-video", "brand-film", "character-series": [("youtube", "16:9"), ("web", "16:9")]
            case "product-video", "product-still": [("web", "1:1"), ("instagram", "4:5")]
            default: [("web", "16:9")]
            }
        let characters: Int64 =
            category == "character-series" ? Int64(random.int(1...3)) : (category == "hero-video" ? Int64(random.int(0...2)) : 0)
        var work = Work(
            deliverable: id, campaign: campaign, category: category, stage: stage, modality: modality, durationSeconds: duration,
            characters: characters, aspectRatio: platforms[0].1)
        summary.deliverablesOpened += 1
        var events = [(EventType.deliverableOpened, work.stream, openPayload(work, platforms: platforms))]
        work.seed = try lockedSeed(for: work, events: &events)
        try append(events, actor: "producer:studio")

        var references: [Reference] = []
        if chain {
            // The upstream frame or character sheet is its own deliverable; the video references its asset.
            var frame = work
            frame.deliverable = "\(id)-F"
            frame.modality = .textToImage
            frame.durationSeconds = nil
            var frameEvents = [
                (EventType.deliverableOpened, frame.stream, openPayload(frame, platforms: [("internal", platforms[0].1)]))
            ]
            frame.seed = try lockedSeed(for: frame, events: &frameEvents)
            try append(frameEvents, actor: "producer:studio")
            guard let upstream = try produceAcceptedAsset(&frame, references: []) else { return abandon(work) }
            references = [Reference(asset: upstream, role: category == "character-series" ? .character : .upstreamImage)]
        }
        guard let accepted = try produceAcceptedAsset(&work, references: references) else { return abandon(work) }
        var final = accepted
        if stage == .delivery {
            if random.chance(0.02) {
                // A pipeline that skips refinement is stopped at the gate.
                do {
                    try deliver(work, asset: accepted, platforms: platforms)
                    return
                } catch is Denied {}
            }
            final = try refine(work, asset: accepted, step: .upscale)
            if random.chance(0.3) { final = try refine(work, asset: final, step: .polish) }
            try review(work, asset: final, accept: random.chance(0.97) ? true : false, minutes: 3)
            if try state(of: final)?.verdict != .accepted {
                final = try refine(work, asset: accepted, step: .upscale)
                try review(work, asset: final, accept: true, minutes: 3)
            }
        }
        do {
            try deliver(work, asset: final, platforms: platforms)
        } catch is Denied {
            abandon(work)
        }
    }

    private func openPayload(_ work: Work, platforms: [(String, String)]) -> JSONValue {
        var payload: [String: JSONValue] = [
            "deliverable": .string(work.deliverable), "category": .string(work.category), "stage": .string(work.stage.rawValue),
            "modality": .string(work.modality.rawValue), "characters": .number(Double(work.characters)),
            "platforms": .array(platforms.map { ["platform": .string($0.0), "aspect_ratio": .string($0.1)] }),
        ]
        if let campaign = work.campaign { payload["campaign"] = .string(campaign) }
        if let duration = work.durationSeconds { payload["duration_seconds"] = .number(duration) }
        return .object(payload)
    }

    /// The seed this work must use: the campaign's or one locked for the deliverable. Campaign
    /// delivery work usually has one; a few pipelines forget and meet the gate.
    private func lockedSeed(for work: Work, events: inout [(EventType, String, JSONValue)]) throws -> Int64? {
        if let campaign = work.campaign, let seed = ledger.state.campaigns[campaign]?.lockedSeed { return seed }
        guard work.stage == .delivery, work.campaign != nil, random.chance(0.9) else { return nil }
        let seed = Int64(random.int(1...999_999))
        events.append(
            (
                .seedLocked, work.stream,
                ["scope": "deliverable", "deliverable": .string(work.deliverable), "seed": .number(Double(seed))]
            ))
        return seed
    }

    private func state(of asset: String) throws -> AssetState? { ledger.state.assets[asset] }

    private func abandon(_ work: Work) {
        summary.abandoned += 1
    }

    /// Attempts until a reviewer accepts an output, within the cap. Nil when the work is abandoned.
    func produceAcceptedAsset(_ work: inout Work, references: [Reference]) throws -> String? {
        while true {
            guard let asset = try generateWithFallbacks(&work, references: references) else { return nil }
            let model = ledger.state.assets[asset]?.model ?? ""
            let behaviour = ModelBehaviour.profiles[model] ?? .unknown
            let accepted = random.chance(
                behaviour.acceptance(category: work.category, stage: work.stage) + (versionBonus[model] ?? 0))
            try review(work, asset: asset, accept: accepted, minutes: random.int(2...12))
            if accepted { return asset }
            // The time lost to a rejected attempt: turnaround at the studio's opportunity rate.
            let lostMinutes = Double(random.int(10...40))
            try append([
                cost(
                    work, .opportunity, micros: Int64(lostMinutes * 500_000),
                    extra: ["asset": .string(asset), "minutes": .number(lostMinutes)])
            ])
            guard work.attempt < 12 else { return nil }
            if try !requestRegeneration(&work, priorAsset: asset) { return nil }
        }
    }

    /// Asks the gate for the next attempt; past a require-approval cap an approver sometimes grants two more.
    private func requestRegeneration(_ work: inout Work, priorAsset: String) throws -> Bool {
        let event: (EventType, String, JSONValue) = (
            .regenerationRequested, work.stream,
            [
                "deliverable": .string(work.deliverable), "prior_asset": .string(priorAsset),
                "attempt": .number(Double(work.attempt + 1)),
                "reason": .string(Self.rejectionReasons[random.int(0...Self.rejectionReasons.count - 1)]),
            ]
        )
        do {
            try append([event])
        } catch let denied as Denied {
            guard denied.action == .requireApproval else { return false }
            guard random.chance(0.55) else {
                try declineOverride(work, rule: denied.rule)
                return false
            }
            try grantOverride(work, rule: denied.rule, payload: ["extra_attempts": 2])
            try append([event])
        }
        work.attempt += 1
        return true
    }

    /// The approver says no, in the same instant, and the deliverable stops there. Its id derives
    /// from the deliverable and attempt and it takes no clock tick, so the rest of a seed's
    /// history is what it was before declines were recorded.
    private func declineOverride(_ work: Work, rule: String) throws {
        let approver = Self.approvers[Int(work.attempt % 2)]
        let event = ProposedEvent(
            id: GovernedLedger.derivedID("simulation decline \(work.deliverable) \(work.attempt)"),
            type: EventType.policyOverrideDeclined.rawValue, stream: work.stream,
            payload: [
                "deliverable": .string(work.deliverable), "policy": "governance", "rule": .string(rule),
                "approver": .string(approver), "reason": "over the cap: re-brief the deliverable instead",
            ], occurredAt: clock.now, actor: approver)
        _ = try governedAppend([event], approval: ApprovalProof(approver: approver, provenBy: "simulation"))
        summary.eventsByType[EventType.policyOverrideDeclined.rawValue, default: 0] += 1
        summary.declines += 1
    }

    private func grantOverride(_ work: Work, rule: String, payload extra: [String: JSONValue]) throws {
        var payload: [String: JSONValue] = [
            "deliverable": .string(work.deliverable), "policy": "governance", "rule": .string(rule),
            "approver": .string(Self.approvers[random.int(0...1)]), "reason": "client deadline; creative director sign-off",
        ]
        payload.merge(extra) { $1 }
        // The simulated approver is vouched for by the simulation itself, and recorded as such.
        let approver = payload["approver"]!.stringValue!
        try append(
            [(.policyOverrideGranted, work.stream, .object(payload))], actor: approver,
            approval: ApprovalProof(approver: approver, provenBy: "simulation"))
        summary.overrides += 1
    }

    /// One attempt: route, request, and on failure fall back along the routing table (up to twice).
    private func generateWithFallbacks(_ work: inout Work, references: [Reference]) throws -> String? {
        var failure: (model: String, mode: FailureMode, generation: String)?
        var seedRetried = false
        var budgetRetried = false
        for _ in 0..<3 {
            let request = RouteRequest(
                deliverable: work.deliverable, campaign: work.campaign, category: work.category, stage: work.stage,
                modality: work.modality, durationSeconds: work.durationSeconds, characters: work.characters,
                afterFailure: failure.map { ($0.model, $0.mode) })
            clock.tick()
            work.routeCount += 1
            let routed: RoutingDecision
            do {
                routed = try route(
                    request, decision: "\(work.deliverable)-R\(work.routeCount)", id: random.uuid(at: clock.now), occurredAt: clock.now,
                    actor: Self.pipeline)
            } catch let error as GovernanceError where error.code == .noRoute {
                return nil
            }
            summary.eventsByType[EventType.routingDecided.rawValue, default: 0] += 1
            if let failure {
                try append([
                    (
                        .fallbackTriggered, work.stream,
                        [
                            "deliverable": .string(work.deliverable), "generation": .string(failure.generation),
                            "from_model": .string(failure.model), "to_model": .string(routed.model),
                            "failure_mode": .string(failure.mode.rawValue), "table": .string(routed.table),
                            "rule": .string(routed.rule),
                        ]
                    )
                ])
                summary.fallbacks += 1
            }
            work.generationCount += 1
            let generation = "\(work.deliverable)-G\(work.generationCount)"
            let seed = work.seed ?? Int64(random.int(1...999_999))
            var payload: [String: JSONValue] = [
                "deliverable": .string(work.deliverable), "generation": .string(generation),
                "attempt": .number(Double(work.attempt)),
                "model": .string(routed.model), "model_version": .string(routed.modelVersion),
                "template": .string("tpl-\(work.category)"),
                "template_version": .number(Double(ledger.state.templates["tpl-\(work.category)"]?.max() ?? 1)),
                "seed": .number(Double(seed)), "parameters": parameters(work, model: routed.model),
                "routing_decision": .string(routed.decision),
            ]
            if !references.isEmpty {
                payload["references"] = .array(
                    references.map { ["asset": .string($0.asset), "role": .string($0.role.rawValue)] })
            }
            if let failure {
                payload["fallback_from"] = [
                    "generation": .string(failure.generation), "failure_mode": .string(failure.mode.rawValue),
                ]
            }
            do {
                try append([(.generationRequested, work.stream, .object(payload))])
            } catch let denied as Denied {
                switch denied.rule {
                case Gate.RuleName.lockedSeed where !seedRetried:
                    // The pipeline locks a seed for the deliverable and tries again.
                    let locked = Int64(random.int(1...999_999))
                    try append(
                        [
                            (
                                .seedLocked, work.stream,
                                [
                                    "scope": "deliverable", "deliverable": .string(work.deliverable),
                                    "seed": .number(Double(locked)),
                                ]
                            )
                        ], actor: "producer:studio")
                    work.seed = locked
                    seedRetried = true
                    work.generationCount -= 1
                    continue
                case Gate.RuleName.deliverableBudget, Gate.RuleName.campaignBudget:
                    // Not a `where` clause: it would guard only the last pattern.
                    guard !budgetRetried, denied.action == .requireApproval, random.chance(0.6) else { return nil }
                    try grantOverride(work, rule: denied.rule, payload: ["extra_budget": ["amount": 200, "currency": "USD"]])
                    budgetRetried = true
                    work.generationCount -= 1
                    continue
                default:
                    return nil
                }
            }
            let behaviour = ModelBehaviour.profiles[routed.model] ?? .unknown
            let degraded = ledger.state.models[routed.model]?.status == .degraded
            let latency = random.logNormal(median: behaviour.medianLatencySeconds * (degraded ? 3 : 1), sigma: 0.45)
            clock.advance(seconds: latency)
            if random.chance(degraded ? min(0.6, behaviour.failureRate * 6) : behaviour.failureRate) {
                let mode = random.pick(behaviour.failureModes)
                try append([
                    (
                        .generationFailed, work.stream,
                        [
                            "deliverable": .string(work.deliverable), "generation": .string(generation),
                            "failure_mode": .string(mode.rawValue),
                            "latency_ms": .number((latency * 1000).rounded()),
                        ]
                    )
                ])
                failure = (routed.model, mode, generation)
                continue
            }
            let asset = "\(work.deliverable)-A\(work.generationCount)"
            let price = generationCost(work, model: routed.model, parameters: payload["parameters"]!)
            var costExtra: [String: JSONValue] = ["generation": .string(generation)]
            if let credits = price.credits { costExtra["credits"] = .number(credits) }
            try append([
                (
                    .generationCompleted, work.stream,
                    [
                        "deliverable": .string(work.deliverable), "generation": .string(generation), "asset": .string(asset),
                        "asset_sha256": .string(
                            SimulatedMedia.sha256(seed: options.seed, asset: asset, video: work.modality.producesVideo)),
                        "latency_ms": .number((latency * 1000).rounded()),
                    ]
                ),
                cost(work, .generation, micros: price.micros, extra: costExtra),
            ])
            return asset
        }
        return nil
    }

    private func parameters(_ work: Work, model: String) -> JSONValue {
        var parameters: [String: JSONValue] = [
            "aspect_ratio": .string(work.aspectRatio), "cfg_scale": .number(Double(random.int(8...18)) / 2),
            "steps": .number(Double([30, 40, 50][random.int(0...2)])),
        ]
        if work.modality.producesVideo {
            parameters["motion"] = .number(Double(random.int(4...18)) / 20)
            parameters["duration_seconds"] = .number(work.durationSeconds ?? 5)
            if ledger.state.models[model]?.prices.last?.unit == .perCredit {
                parameters["credits"] = .number((work.durationSeconds ?? 5) * 5)
            }
        } else {
            parameters["megapixels"] = .number(Double(random.int(1...4)))
        }
        return .object(parameters)
    }

    private func generationCost(_ work: Work, model: String, parameters: JSONValue) -> (micros: Int64, credits: Double?) {
        guard let state = ledger.state.models[model], let deliverable = ledger.state.deliverables[work.deliverable],
            let fields = try? Fields(parameters, path: "parameters"), let parsed = try? GenerationParameters(fields)
        else { return (0, nil) }
        let price = state.price(on: CalendarDate(clock.now))
        let credits = price.unit == .perCredit ? parsed.credits ?? price.credits : nil
        return (
            Gate.estimatedCost(parameters: parsed, model: state, deliverable: deliverable, on: CalendarDate(clock.now)).micros,
            credits
        )
    }

    private func cost(_ work: Work, _ kind: CostKind, micros: Int64, extra: [String: JSONValue] = [:]) -> (
        EventType, String, JSONValue
    ) {
        summary.spendMicros += micros
        var payload: [String: JSONValue] = [
            "deliverable": .string(work.deliverable), "kind": .string(kind.rawValue),
            "amount": .number(Double(micros) / 1_000_000), "currency": "USD",
        ]
        payload.merge(extra) { $1 }
        return (.costRecorded, work.stream, .object(payload))
    }

    private func review(_ work: Work, asset: String, accept: Bool, minutes: Int) throws {
        clock.advance(seconds: Double(minutes * 60))
        var payload: [String: JSONValue] = [
            "deliverable": .string(work.deliverable), "asset": .string(asset),
            "verdict": .string(accept ? "accepted" : "rejected"),
            "reviewer": .string(Self.reviewers[random.int(0...Self.reviewers.count - 1)]),
        ]
        if !accept { payload["reasons"] = [.string(Self.rejectionReasons[random.int(0...Self.rejectionReasons.count - 1)])] }
        // Review time at the studio's rate of 75 USD an hour.
        try append(
            [
                (.assetReviewed, work.stream, .object(payload)),
                cost(
                    work, .reviewTime, micros: Int64(minutes) * 1_250_000,
                    extra: ["asset": .string(asset), "minutes": .number(Double(minutes))]),
            ], actor: payload["reviewer"]!.stringValue!)
    }

    private func refine(_ work: Work, asset: String, step: RefinementStep) throws -> String {
        let video = work.modality.producesVideo
        let model = video ? "topaz-video-upscale" : "magnific-upscaler"
        refinements += 1
        let output = "\(work.deliverable)-\(step.rawValue)\(refinements)"
        let factor: Double = step == .upscale ? 2 : 1
        let price = ledger.state.models[model]?.price(on: CalendarDate(clock.now))
        let quantity = video ? (work.durationSeconds ?? 5) : 4 * factor * factor
        let micros = Int64((Double(price?.amount.micros ?? 0) * quantity).rounded())
        clock.advance(seconds: random.logNormal(median: video ? 120 : 20, sigma: 0.3))
        try append([
            (
                .refinementApplied, work.stream,
                [
                    "deliverable": .string(work.deliverable), "input_asset": .string(asset), "output_asset": .string(output),
                    "output_sha256": .string(SimulatedMedia.sha256(seed: options.seed, asset: output, video: video)),
                    "step": .string(step.rawValue), "model": .string(model), "factor": .number(factor),
                ]
            ),
            cost(work, .refinement, micros: micros, extra: ["asset": .string(output)]),
        ])
        return output
    }

    /// Asks the gate first, as a careful pipeline does, then records the delivery.
    private func deliver(_ work: Work, asset: String, platforms: [(String, String)]) throws {
        try append(
            [
                (
                    .deliveryRequested, work.stream,
                    [
                        "deliverable": .string(work.deliverable), "asset": .string(asset),
                        "platforms": .array(platforms.map { .string($0.0) }),
                    ]
                )
            ], actor: Self.pipeline)
        try append(
            [
                (
                    .deliverableDelivered, work.stream,
                    [
                        "deliverable": .string(work.deliverable), "asset": .string(asset),
                        "platforms": .array(platforms.map { .string($0.0) }),
                    ]
                )
            ], actor: "producer:studio")
        summary.delivered += 1
        if let directory = options.mediaDirectory {
            let bytes = SimulatedMedia.bytes(seed: options.seed, asset: asset, video: work.modality.producesVideo)
            guard FileManager.default.createFile(atPath: "\(directory)/\(asset).png", contents: Data(bytes)) else {
                throw LedgerError(.badInput, "cannot write '\(directory)/\(asset).png'", field: "media")
            }
        }
    }
}

/// The simulation's clock: the ledger's `recorded_at` and every `occurred_at` come from it.
final class SimulatedClock {
    var now: Timestamp

    init(_ start: Timestamp) { now = start }

    func tick() { advance(seconds: 1) }

    func advance(seconds: Double) {
        now = Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch + Int64(seconds * 1_000_000))
    }

    func advance(toAtLeast instant: Timestamp) {
        if instant > now { now = instant }
    }
}

extension Timestamp {
    /// Midnight UTC of a calendar date.
    init(date: CalendarDate) {
        var days = 0
        for year in 1970..<date.year { days += (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 366 : 365 }
        for month in 1..<date.month { days += CalendarDate.days(in: month, of: date.year) }
        days += date.day - 1
        self.init(microsecondsSinceEpoch: Int64(days) * 86_400_000_000)
    }
}
