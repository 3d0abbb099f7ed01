public import Governance
public import LedgerLog

/// The compliance report's rules (DESIGN.md), each with pass and fail counts and the failing
/// events, cited by seq and hash.
public struct ComplianceAudit: Sendable {
    public struct Finding: Sendable, Equatable {
        public var rule: String
        public var seq: UInt64
        public var hash: String
        public var deliverable: String
        public var what: String
    }

    public struct RuleResult: Sendable, Equatable {
        public var rule: String
        public var description: String
        public var passed = 0
        public var failed = 0
        /// Passes that needed an override, a fallback or a denial to hold.
        public var notes: [String: Int] = [:]
    }

    public var from: String
    public var to: String
    public var campaign: String?
    public var rules: [RuleResult]
    public var findings: [Finding]

    public static let definitions: [(String, String)] = [
        (
            "locked-seed",
            "Campaign work at a locked-seed stage (delivery, in the shipped policy) generates with the seed locked for its deliverable, else its campaign, before the request."
        ),
        (
            "regeneration-cap",
            "Regenerations stay within the cap of the policy in force, or within the extra attempts an approver granted."
        ),
        (
            "refinement-before-delivery",
            "Delivered delivery-stage assets carry every refinement step the policy in force requires."
        ),
        ("no-draft-tier-on-delivery", "Delivery work runs only on tiers the policy allows for delivery (never the budget tier)."),
        (
            "routed-by-published-table",
            "Every generation follows a recorded routing decision of a published table, or a recorded fallback from it."
        ),
        (
            "template-published-before-use",
            "Every generation's template version was recorded (template.versioned) before the request."
        ),
    ]
}

extension Projections {
    /// Events with `occurred_at` from the start of `from` to the end of `to` (dates), optionally
    /// only the deliverables of one campaign, as the ledger stood at `asOf`.
    public func complianceAudit(from: CalendarDate, to: CalendarDate, campaign: String?, asOf: UInt64) throws -> ComplianceAudit {
        try catchUp()
        let start = "\(from)T00:00:00.000000Z"
        let end = "\(to)T23:59:59.999999Z"
        let tiers = try modelStatuses(asOf: asOf).mapValues(\.tier)
        return try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            var results = ComplianceAudit.definitions.map { ComplianceAudit.RuleResult(rule: $0.0, description: $0.1) }
            var findings: [ComplianceAudit.Finding] = []
            func record(
                _ rule: Int, pass: Bool, note: String? = nil, seq: UInt64, hash: String, deliverable: String,
                _ what: @autoclosure () -> String
            ) {
                if pass {
                    results[rule].passed += 1
                    if let note { results[rule].notes[note, default: 0] += 1 }
                } else {
                    results[rule].failed += 1
                    findings.append(.init(rule: results[rule].rule, seq: seq, hash: hash, deliverable: deliverable, what: what()))
                }
            }

            var deliverables: [String: (campaign: String?, category: String, stage: Stage)] = [:]
            for row in try tables.rows(
                "SELECT deliverable, campaign, category, stage FROM proj_deliverables WHERE seq <= ?", [bound])
            {
                deliverables[row[0].string!] = (row[1].string, row[2].string!, Stage(rawValue: row[3].string!) ?? .draft)
            }
            func inScope(_ deliverable: String) -> Bool { campaign == nil || deliverables[deliverable]?.campaign == campaign }
            var policies: [(seq: UInt64, policy: GovernancePolicy)] = []
            for row in try tables.rows("SELECT seq, document FROM proj_policies WHERE seq <= ? ORDER BY seq", [bound]) {
                let document = try JSONParser.parse(row[1].string!)
                policies.append((UInt64(row[0].int!), try GovernancePolicy(try Fields(document, path: "document"))))
            }
            func policy(at seq: UInt64) -> GovernancePolicy? { policies.last { $0.seq < seq }?.policy }
            var seeds: [String: [(seq: UInt64, seed: Int64)]] = [:]
            for row in try tables.rows("SELECT seq, scope, subject, seed FROM proj_seeds WHERE seq <= ? ORDER BY seq", [bound]) {
                seeds["\(row[1].string!)/\(row[2].string!)", default: []].append((UInt64(row[0].int!), row[3].int!))
            }
            func lockedSeed(_ key: String, before seq: UInt64) -> Int64? { seeds[key]?.last { $0.seq < seq }?.seed }
            var decisions: [String: (seq: UInt64, model: String)] = [:]
            for row in try tables.rows("SELECT seq, decision, model FROM proj_routing_decisions WHERE seq <= ?", [bound]) {
                decisions[row[1].string!] = (UInt64(row[0].int!), row[2].string!)
            }
            var fallbacks: Set<String> = []  // deliverable/failed generation/to model
            for row in try tables.rows("SELECT deliverable, generation, to_model FROM proj_fallbacks WHERE seq <= ?", [bound]) {
                fallbacks.insert("\(row[0].string!)/\(row[1].string!)/\(row[2].string!)")
            }
            var templates: [String: UInt64] = [:]
            for row in try tables.rows("SELECT seq, template, version FROM proj_templates WHERE seq <= ?", [bound]) {
                templates["\(row[1].string!)@\(row[2].int!)"] = UInt64(row[0].int!)
            }

            // Generations: seeds, tiers, routing, templates.
            for row in try tables.rows(
                """
                SELECT g.seq, lower(hex(e.hash)), g.deliverable, g.generation, g.model, g.seed, g.template, g.template_version, g.routing_decision, g.fallback_from
                FROM proj_generations g JOIN events e ON e.seq = g.seq
                WHERE g.seq <= ? AND g.occurred_at >= ? AND g.occurred_at <= ? ORDER BY g.seq
                """, [bound, .text(start), .text(end)])
            {
                let (seq, hash, deliverable, generation, model) = (
                    UInt64(row[0].int!), row[1].string!, row[2].string!, row[3].string!, row[4].string!
                )
                guard inScope(deliverable), let context = deliverables[deliverable] else { continue }
                let rules = policy(at: seq)
                if let owner = context.campaign, rules?.lockedSeedStages.contains(context.stage) ?? (context.stage == .delivery) {
                    let locked =
                        lockedSeed("deliverable/\(deliverable)", before: seq) ?? lockedSeed("campaign/\(owner)", before: seq)
                    let seed = row[5].int!
                    record(
                        0, pass: locked == seed, seq: seq, hash: hash, deliverable: deliverable,
                        locked == nil
                            ? "generation \(generation) of campaign \(owner) ran with no locked seed"
                            : "generation \(generation) used seed \(seed), not the locked \(locked!)")
                }
                if context.stage == .delivery {
                    let allowed = rules?.tiersByStage[.delivery] ?? [.cinematic, .speed, .characterStability]
                    let tier = tiers[model]
                    record(
                        3, pass: tier.map(allowed.contains) ?? false, seq: seq, hash: hash, deliverable: deliverable,
                        "generation \(generation) ran on \(tier?.rawValue ?? "unknown")-tier \(model) for delivery work")
                }
                let decision = decisions[row[8].string!]
                let viaFallback = row[9].string.map { fallbacks.contains("\(deliverable)/\($0)/\(model)") } ?? false
                let routed = decision.map { $0.seq < seq && ($0.model == model || viaFallback) } ?? false
                record(
                    4, pass: routed, note: viaFallback ? "via a recorded fallback" : nil, seq: seq, hash: hash,
                    deliverable: deliverable,
                    decision == nil
                        ? "generation \(generation) cites routing decision \(row[8].string!), which is not recorded"
                        : "generation \(generation) ran on \(model), but decision \(row[8].string!) chose \(decision!.model) and no fallback was recorded"
                )
                let templateKey = "\(row[6].string!)@\(row[7].int!)"
                let published = templates[templateKey].map { $0 < seq } ?? false
                record(
                    5, pass: published, seq: seq, hash: hash, deliverable: deliverable,
                    "generation \(generation) used template \(row[6].string!) v\(row[7].int!), not recorded before it")
            }

            // Regenerations against the cap in force and the overrides granted before them.
            var overrides: [String: [(seq: UInt64, extra: Int64, approver: String)]] = [:]
            for row in try tables.rows(
                "SELECT seq, deliverable, extra_attempts, approver FROM proj_overrides WHERE seq <= ? AND rule = 'regeneration-cap'",
                [bound])
            {
                overrides[row[1].string!, default: []].append((UInt64(row[0].int!), row[2].int ?? 0, row[3].string!))
            }
            for row in try tables.rows(
                """
                SELECT r.seq, lower(hex(e.hash)), r.deliverable, r.attempt FROM proj_regenerations r JOIN events e ON e.seq = r.seq
                WHERE r.seq <= ? AND e.occurred_at >= ? AND e.occurred_at <= ? ORDER BY r.seq
                """, [bound, .text(start), .text(end)])
            {
                let (seq, hash, deliverable, attempt) = (UInt64(row[0].int!), row[1].string!, row[2].string!, row[3].int!)
                guard inScope(deliverable), let context = deliverables[deliverable] else { continue }
                guard let cap = policy(at: seq)?.regenerationCap(category: context.category, stage: context.stage) else {
                    record(1, pass: true, note: "no cap in force", seq: seq, hash: hash, deliverable: deliverable, "")
                    continue
                }
                let granted = (overrides[deliverable] ?? []).filter { $0.seq < seq }
                let extra = cap.action == .deny ? 0 : granted.reduce(0) { $0 + $1.extra }
                if attempt <= cap.maxAttempts {
                    record(1, pass: true, seq: seq, hash: hash, deliverable: deliverable, "")
                } else {
                    record(
                        1, pass: attempt <= cap.maxAttempts + extra,
                        note: "overridden by \(granted.map(\.approver).joined(separator: ", "))", seq: seq, hash: hash,
                        deliverable: deliverable,
                        "attempt \(attempt) passed the cap of \(cap.maxAttempts) for \(cap.scope.label) with no approval (action \(cap.action.rawValue))"
                    )
                }
            }
            let held =
                try tables.rows(
                    "SELECT COUNT(*) FROM proj_denials d JOIN events e ON e.seq = d.seq WHERE d.seq <= ? AND d.rule = 'regeneration-cap' AND e.occurred_at >= ? AND e.occurred_at <= ?",
                    [bound, .text(start), .text(end)]
                ).first?[0].int ?? 0
            if held > 0 { results[1].notes["requests denied at the cap (the cap held)"] = Int(held) }

            // Deliveries and their refinement.
            var source: [String: (asset: String, step: String)] = [:]
            for row in try tables.rows(
                "SELECT asset, source_asset, step FROM proj_assets WHERE seq <= ? AND source_asset IS NOT NULL", [bound])
            {
                source[row[0].string!] = (row[1].string!, row[2].string!)
            }
            for row in try tables.rows(
                """
                SELECT d.seq, lower(hex(e.hash)), d.deliverable, d.asset FROM proj_deliveries d JOIN events e ON e.seq = d.seq
                WHERE d.seq <= ? AND e.occurred_at >= ? AND e.occurred_at <= ? ORDER BY d.seq
                """, [bound, .text(start), .text(end)])
            {
                let (seq, hash, deliverable, asset) = (UInt64(row[0].int!), row[1].string!, row[2].string!, row[3].string!)
                guard inScope(deliverable), let context = deliverables[deliverable] else { continue }
                let rules = policy(at: seq)
                guard rules?.refinementStages.contains(context.stage) ?? (context.stage == .delivery) else { continue }
                var steps: Set<String> = []
                var current = asset
                for _ in 0..<64 {
                    guard let parent = source[current] else { break }
                    steps.insert(parent.step)
                    current = parent.asset
                }
                let required = (rules?.refinementBeforeDelivery ?? [.upscale]).map(\.rawValue)
                let missing = required.filter { !steps.contains($0) }
                record(
                    2, pass: missing.isEmpty, seq: seq, hash: hash, deliverable: deliverable,
                    "delivered asset \(asset) lacks \(missing.joined(separator: ", "))")
            }
            return ComplianceAudit(
                from: from.description, to: to.description, campaign: campaign, rules: results, findings: findings)
        }
    }
}
