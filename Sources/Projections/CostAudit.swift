import Governance
import LedgerLog

/// One group's month: spend and acceptable deliverables.
public struct CostGroup: Sendable, Equatable {
    public var key: String
    public var spendMicros: Int64 = 0
    public var regenerationMicros: Int64 = 0
    public var accepted = 0
    /// Spend by cost kind (`generation`, `refinement`, `review_time`, `opportunity`).
    public var kindMicros: [String: Int64] = [:]
    public var trueCostPerAcceptedMicros: Double? { accepted == 0 ? nil : Double(spendMicros) / Double(accepted) }

    public init(key: String, spendMicros: Int64 = 0, regenerationMicros: Int64 = 0, accepted: Int = 0) {
        self.key = key
        self.spendMicros = spendMicros
        self.regenerationMicros = regenerationMicros
        self.accepted = accepted
    }
}

/// The monthly cost audit (docs/REPORTS.md): costs with `occurred_at` in the month, deliverables
/// whose first accepted output was reviewed in the month; grouped by category, stage, campaign,
/// and by the model and tier a cost is attributed to (its generation, or the generation whose
/// output it refines or reviews).
public struct CostAudit: Sendable {
    public var month: String
    public var byCategory: [String: CostGroup] = [:]
    public var byStage: [String: CostGroup] = [:]
    public var byCampaign: [String: CostGroup] = [:]
    public var byModel: [String: CostGroup] = [:]
    public var byTier: [String: CostGroup] = [:]
    public var total = CostGroup(key: "all")
    /// How many cost events the month holds, and the first and last of their seqs.
    public var costEvents = 0
    /// The currencies the month's costs are recorded in (one, as the gate keeps accounts in the
    /// policy's currency; more only when the policy's currency changed).
    public var currencies: [String] = []
    public var firstCostSeq: UInt64?
    public var lastCostSeq: UInt64?
}

/// A calendar month, `YYYY-MM`: its bounds as RFC 3339 text, and the months around it.
struct CalendarMonth {
    var year: Int
    var number: Int

    init(_ text: String) {
        (year, number) = (Int(text.prefix(4)) ?? 0, Int(text.suffix(2)) ?? 1)
    }

    init(year: Int, number: Int) { (self.year, self.number) = (year, number) }

    var text: String { "\(year)-\(number < 10 ? "0" : "")\(number)" }
    var start: String { "\(text)-01T00:00:00.000000Z" }
    var next: CalendarMonth {
        number == 12 ? CalendarMonth(year: year + 1, number: 1) : CalendarMonth(year: year, number: number + 1)
    }
    var previous: CalendarMonth {
        number == 1 ? CalendarMonth(year: year - 1, number: 12) : CalendarMonth(year: year, number: number - 1)
    }
}

extension Projections {
    /// `month` is `YYYY-MM`.
    public func costAudit(month: String, asOf: UInt64) throws -> CostAudit {
        try catchUp()
        let start = CalendarMonth(month).start
        let end = CalendarMonth(month).next.start
        let tiers = try modelStatuses(asOf: asOf).mapValues(\.tier.rawValue)
        return try ledger.withSideTables(write: false) { tables in
            let window: [SideTables.Value] = [.integer(Int64(asOf)), .text(start), .text(end)]
            var audit = CostAudit(month: month)
            var kind = ""
            func add(_ groups: inout [String: CostGroup], _ key: String, micros: Int64, regeneration: Bool) {
                groups[key, default: CostGroup(key: key)].spendMicros += micros
                groups[key, default: CostGroup(key: key)].kindMicros[kind, default: 0] += micros
                if regeneration { groups[key, default: CostGroup(key: key)].regenerationMicros += micros }
            }
            // Each cost with the generation it is attributed to: its own, or that of the asset it
            // concerns, through up to two refinements (deeper chains are followed one by one).
            let attributedCosts = """
                SELECT c.seq, c.kind, c.micros, d.category, d.stage, d.campaign,
                       COALESCE(g.model, g1.model, g2.model, g3.model), COALESCE(g.attempt, g1.attempt, g2.attempt, g3.attempt),
                       a3.source_asset, c.currency
                FROM proj_costs c
                LEFT JOIN proj_deliverables d ON d.deliverable = c.deliverable AND d.seq <= ?1
                LEFT JOIN proj_generations g ON g.deliverable = c.deliverable AND g.generation = c.generation AND g.seq <= ?1
                LEFT JOIN proj_assets a1 ON a1.asset = c.asset AND a1.seq <= ?1
                LEFT JOIN proj_generations g1 ON g1.deliverable = a1.deliverable AND g1.generation = a1.generation
                LEFT JOIN proj_assets a2 ON a2.asset = a1.source_asset
                LEFT JOIN proj_generations g2 ON g2.deliverable = a2.deliverable AND g2.generation = a2.generation
                LEFT JOIN proj_assets a3 ON a3.asset = a2.source_asset
                LEFT JOIN proj_generations g3 ON g3.deliverable = a3.deliverable AND g3.generation = a3.generation
                WHERE c.seq <= ?1 AND c.occurred_at >= ?2 AND c.occurred_at < ?3 ORDER BY c.seq
                """
            for row in try tables.rows(attributedCosts, window) {
                let micros = row[2].int!
                var model = row[6].string
                var attempt = row[7].int
                if model == nil, var current = row[8].string {
                    for _ in 0..<64 {
                        guard
                            let next = try tables.rows(
                                "SELECT a.source_asset, g.model, g.attempt FROM proj_assets a LEFT JOIN proj_generations g ON g.deliverable = a.deliverable AND g.generation = a.generation WHERE a.asset = ?",
                                [.text(current)]
                            ).first
                        else { break }
                        if let found = next[1].string { (model, attempt) = (found, next[2].int); break }
                        guard let up = next[0].string else { break }
                        current = up
                    }
                }
                let regeneration = (attempt ?? 1) > 1 || row[1].string == "opportunity"
                let seq = UInt64(row[0].int!)
                audit.costEvents += 1
                audit.firstCostSeq = audit.firstCostSeq ?? seq
                audit.lastCostSeq = seq
                kind = row[1].string ?? "?"
                if let currency = row[9].string, !audit.currencies.contains(currency) { audit.currencies.append(currency) }
                audit.total.spendMicros += micros
                audit.total.kindMicros[kind, default: 0] += micros
                if regeneration { audit.total.regenerationMicros += micros }
                add(&audit.byCategory, row[3].string ?? "?", micros: micros, regeneration: regeneration)
                add(&audit.byStage, row[4].string ?? "?", micros: micros, regeneration: regeneration)
                add(&audit.byCampaign, row[5].string ?? "(none)", micros: micros, regeneration: regeneration)
                add(&audit.byModel, model ?? "(unattributed)", micros: micros, regeneration: regeneration)
                add(&audit.byTier, model.flatMap { tiers[$0] } ?? "(unattributed)", micros: micros, regeneration: regeneration)
            }
            // Acceptable deliverables: the first accepted review of a generated output, in the month.
            let firstAccepted = """
                SELECT f.deliverable, g.model, d.category, d.stage, d.campaign
                FROM (SELECT r.deliverable, MIN(r.seq) AS seq FROM proj_reviews r JOIN proj_assets a ON a.asset = r.asset
                      WHERE r.seq <= ?1 AND r.verdict = 'accepted' AND a.generation IS NOT NULL GROUP BY r.deliverable) f
                JOIN events e ON e.seq = f.seq
                JOIN proj_reviews r ON r.seq = f.seq
                JOIN proj_assets a ON a.asset = r.asset
                LEFT JOIN proj_generations g ON g.deliverable = a.deliverable AND g.generation = a.generation
                LEFT JOIN proj_deliverables d ON d.deliverable = f.deliverable
                WHERE e.occurred_at >= ?2 AND e.occurred_at < ?3
                """
            for row in try tables.rows(firstAccepted, window) {
                let model = row[1].string ?? "(unattributed)"
                let (category, stage, campaign) = (row[2].string ?? "?", row[3].string ?? "?", row[4].string ?? "(none)")
                audit.total.accepted += 1
                audit.byCategory[category, default: CostGroup(key: category)].accepted += 1
                audit.byStage[stage, default: CostGroup(key: stage)].accepted += 1
                audit.byCampaign[campaign, default: CostGroup(key: campaign)].accepted += 1
                audit.byModel[model, default: CostGroup(key: model)].accepted += 1
                let tier = tiers[model] ?? "(unattributed)"
                audit.byTier[tier, default: CostGroup(key: tier)].accepted += 1
            }
            return audit
        }
    }
}

/// One month of the cost and regeneration trend.
public struct MonthTrend: Sendable, Equatable {
    public var month: String
    public var spendMicros: Int64
    public var generations: Int
    public var acceptedOutputs: Int
    public init(month: String, spendMicros: Int64, generations: Int, acceptedOutputs: Int) {
        self.month = month
        self.spendMicros = spendMicros
        self.generations = generations
        self.acceptedOutputs = acceptedOutputs
    }

    /// Generations requested per accepted generated output in the month.
    public var regenerationMultiplier: Double? { acceptedOutputs == 0 ? nil : Double(generations) / Double(acceptedOutputs) }
}

extension Projections {
    /// Spend, generations and accepted outputs per month (by `occurred_at`), for the `count`
    /// months up to and including `month`.
    public func monthlyTrend(through month: String, count: Int, asOf: UInt64) throws -> [MonthTrend] {
        try catchUp()
        var months: [String] = []
        var current = CalendarMonth(month)
        for _ in 0..<count {
            months.insert(current.text, at: 0)
            current = current.previous
        }
        return try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            var spend: [String: Int64] = [:]
            var generations: [String: Int] = [:]
            var accepted: [String: Int] = [:]
            for row in try tables.rows(
                "SELECT substr(occurred_at, 1, 7), SUM(micros) FROM proj_costs WHERE seq <= ? GROUP BY 1", [bound])
            {
                spend[row[0].string!] = row[1].int ?? 0
            }
            for row in try tables.rows(
                "SELECT substr(occurred_at, 1, 7), COUNT(*) FROM proj_generations WHERE seq <= ? GROUP BY 1", [bound])
            {
                generations[row[0].string!] = Int(row[1].int ?? 0)
            }
            for row in try tables.rows(
                """
                SELECT substr(e.occurred_at, 1, 7), COUNT(*) FROM proj_reviews r JOIN proj_assets a ON a.asset = r.asset JOIN events e ON e.seq = r.seq
                WHERE r.seq <= ? AND r.verdict = 'accepted' AND a.generation IS NOT NULL GROUP BY 1
                """, [bound])
            {
                accepted[row[0].string!] = Int(row[1].int ?? 0)
            }
            return months.map {
                MonthTrend(
                    month: $0, spendMicros: spend[$0] ?? 0, generations: generations[$0] ?? 0, acceptedOutputs: accepted[$0] ?? 0)
            }
        }
    }
}

extension Projections {
    /// The currency the ledger keeps accounts in as of `asOf`: that of the governance policy in
    /// force (the gate refuses costs and budgets in another), USD before any policy.
    public func accountCurrency(asOf: UInt64) throws -> String {
        try catchUp()
        let document = try ledger.withSideTables(write: false) { tables in
            try tables.rows(
                "SELECT document FROM proj_policies WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1", [.integer(Int64(asOf))]
            ).first?[0].string
        }
        guard let document else { return Currency.USD.rawValue }
        return try GovernancePolicy(try Fields(try JSONParser.parse(document), path: "document")).currency.rawValue
    }
}
