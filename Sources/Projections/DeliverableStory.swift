public import Governance
import LedgerLog

/// One deliverable's truth as the ledger records it: every attempt and generation with its
/// outcome, spend by cost kind against the budget in force, and every rule the gate found broken,
/// denied, warned or approved on its events.
public struct DeliverableStory: Sendable {
    public struct Generation: Sendable, Equatable {
        public var generation: String
        public var attempt: Int64
        public var model: String
        public var seed: Int64
        public var seq: UInt64
        public var occurredAt: String
        /// `completed`, `failed` or `pending`.
        public var outcome: String
        public var failureMode: String?
        public var asset: String?
        /// The last review's verdict on the asset, when reviewed.
        public var verdict: String?
        public var fallbackFrom: String?
    }

    public var deliverable: String
    public var campaign: String?
    public var category: String
    public var stage: String
    public var openedSeq: UInt64
    /// The highest attempt any generation ran as.
    public var attempts: Int64
    public var regenerations: Int
    public var generations: [Generation]
    /// Micro-units by cost kind (every kind present, zero included).
    public var spendByKindMicros: [CostKind: Int64]
    public var currency: Currency
    /// The budget in force for the deliverable (its own, else the policy's line), plus extra
    /// budget granted by override; nil when none applies.
    public var budgetMicros: Int64?
    public var extraBudgetMicros: Int64
    public var deliveredAsset: String?
    public var deliveredSeq: UInt64?
    /// Every gate result other than allowed on this deliverable's events, in seq order.
    public var findings: [ComplianceAudit.Finding]

    public var spendMicros: Int64 { spendByKindMicros.values.reduce(0, +) }
}

extension Projections {
    /// The deliverables the ledger knows as of `asOf`, with their campaigns, in the order opened.
    public func deliverables(campaign: String? = nil, asOf: UInt64) throws -> [String] {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            var sql = "SELECT deliverable FROM proj_deliverables WHERE seq <= ?1"
            var values: [SideTables.Value] = [.integer(Int64(asOf))]
            if let campaign {
                sql += " AND campaign = ?2"
                values.append(.text(campaign))
            }
            return try tables.rows(sql + " ORDER BY seq", values).compactMap { $0[0].string }
        }
    }

    /// One deliverable's story as the ledger stood at `asOf`; an unknown deliverable is an error.
    public func deliverableStory(_ deliverable: String, asOf: UInt64) throws -> DeliverableStory {
        try catchUp()
        let bound: SideTables.Value = .integer(Int64(asOf))
        let key: SideTables.Value = .text(deliverable)
        let opened = try ledger.withSideTables(write: false) { tables in
            try tables.rows(
                "SELECT seq, campaign, category, stage FROM proj_deliverables WHERE deliverable = ?1 AND seq <= ?2", [key, bound]
            ).first
        }
        guard let opened else {
            throw GovernanceError(
                .invalidEvent, "deliverable '\(deliverable)' is not in the ledger (as of seq \(asOf))", field: "deliverable")
        }
        let openedSeq = UInt64(opened[0].int!)
        let category = opened[2].string!
        let stage = opened[3].string!
        // The deliverable's own budget is in its opening event.
        let openedEvent = try ledger.event(seq: openedSeq)
        let ownBudget = openedEvent?.payload["budget"]?["amount"]?.numberValue.map { Money($0, .USD).micros }
        return try ledger.withSideTables(write: false) { tables in
            var generations: [DeliverableStory.Generation] = []
            var index: [String: Int] = [:]
            for row in try tables.rows(
                "SELECT generation, attempt, model, seed, seq, occurred_at, fallback_from FROM proj_generations WHERE deliverable = ?1 AND seq <= ?2 ORDER BY seq",
                [key, bound])
            {
                index[row[0].string!] = generations.count
                generations.append(
                    .init(
                        generation: row[0].string!, attempt: row[1].int!, model: row[2].string!, seed: row[3].int!,
                        seq: UInt64(row[4].int!), occurredAt: row[5].string!, outcome: "pending", failureMode: nil, asset: nil,
                        verdict: nil, fallbackFrom: row[6].string))
            }
            for row in try tables.rows(
                "SELECT generation, outcome, failure_mode, asset FROM proj_generation_outcomes WHERE deliverable = ?1 AND seq <= ?2 ORDER BY seq",
                [key, bound])
            {
                guard let i = index[row[0].string!] else { continue }
                generations[i].outcome = row[1].string!
                generations[i].failureMode = row[2].string
                generations[i].asset = row[3].string
            }
            var verdicts: [String: String] = [:]
            for row in try tables.rows(
                "SELECT asset, verdict FROM proj_reviews WHERE deliverable = ?1 AND seq <= ?2 ORDER BY seq", [key, bound])
            {
                verdicts[row[0].string!] = row[1].string!
            }
            for i in generations.indices { generations[i].verdict = generations[i].asset.flatMap { verdicts[$0] } }
            let regenerations =
                try tables.rows("SELECT COUNT(*) FROM proj_regenerations WHERE deliverable = ?1 AND seq <= ?2", [key, bound])
                .first?[0].int ?? 0
            var spend: [CostKind: Int64] = Dictionary(uniqueKeysWithValues: CostKind.allCases.map { ($0, Int64(0)) })
            var currency: Currency?
            for row in try tables.rows(
                "SELECT kind, SUM(micros), MIN(currency) FROM proj_costs WHERE deliverable = ?1 AND seq <= ?2 GROUP BY kind",
                [key, bound])
            {
                if let kind = CostKind(rawValue: row[0].string!) { spend[kind] = row[1].int ?? 0 }
                currency = currency ?? row[2].string.flatMap(Currency.init(rawValue:))
            }
            let extra =
                try tables.rows(
                    "SELECT COALESCE(SUM(extra_micros), 0) FROM proj_overrides WHERE deliverable = ?1 AND seq <= ?2", [key, bound]
                ).first?[0].int ?? 0
            var policy: GovernancePolicy?
            if let row = try tables.rows(
                "SELECT document FROM proj_policies WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1", [bound]
            ).first {
                policy = try GovernancePolicy(try Fields(try JSONParser.parse(row[0].string!), path: "document"))
            }
            let line = Stage(rawValue: stage).flatMap { policy?.deliverableBudget(category: category, stage: $0) }
            let delivered = try tables.rows(
                "SELECT asset, seq FROM proj_deliveries WHERE deliverable = ?1 AND seq <= ?2 ORDER BY seq LIMIT 1", [key, bound]
            ).first
            var findings: [ComplianceAudit.Finding] = []
            for row in try tables.rows(
                """
                SELECT r.seq, lower(hex(e.hash)), r.type, r.rule, r.result, r.reason, r.mode, r.occurred_at
                FROM proj_rule_results r JOIN events e ON e.seq = r.seq
                WHERE r.deliverable = ?1 AND r.seq <= ?2 AND r.result != 'allowed' ORDER BY r.seq, r.rowid
                """, [key, bound])
            {
                findings.append(
                    .init(
                        rule: row[3].string!, result: GateJudgement.Outcome(rawValue: row[4].string!) ?? .allowed,
                        seq: UInt64(row[0].int!), hash: row[1].string!, type: row[2].string!, deliverable: deliverable,
                        reason: row[5].string ?? "", mode: row[6].string!, occurredAt: row[7].string!))
            }
            return DeliverableStory(
                deliverable: deliverable, campaign: opened[1].string, category: category, stage: stage, openedSeq: openedSeq,
                attempts: generations.map(\.attempt).max() ?? 0, regenerations: Int(regenerations), generations: generations,
                spendByKindMicros: spend, currency: currency ?? policy?.currency ?? .USD,
                budgetMicros: ownBudget ?? line?.limit.micros, extraBudgetMicros: extra, deliveredAsset: delivered?[0].string,
                deliveredSeq: delivered.map { UInt64($0[1].int!) }, findings: findings)
        }
    }
}

extension Projections {
    /// A campaign's budget as of `asOf`: its own (in `campaign.opened`), else the policy's
    /// default; nil when neither applies.
    public func campaignBudgetMicros(_ campaign: String, asOf: UInt64) throws -> Int64? {
        try catchUp()
        let (openedSeq, document) = try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            let seq = try tables.rows(
                "SELECT seq FROM proj_campaigns WHERE campaign = ?1 AND seq <= ?2", [.text(campaign), bound]
            ).first?[0].int
            let policy = try tables.rows(
                "SELECT document FROM proj_policies WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1", [bound]
            ).first?[0].string
            return (seq, policy)
        }
        if let openedSeq, let own = try ledger.event(seq: UInt64(openedSeq))?.payload["budget"]?["amount"]?.numberValue {
            return Money(own, .USD).micros
        }
        guard let document else { return nil }
        return try GovernancePolicy(try Fields(try JSONParser.parse(document), path: "document")).campaignBudget?.defaultLimit.micros
    }
}
