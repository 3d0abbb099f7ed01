public import LedgerLog

/// One group's month: spend and acceptable deliverables.
public struct CostGroup: Sendable, Equatable {
    public var key: String
    public var spendMicros: Int64 = 0
    public var regenerationMicros: Int64 = 0
    public var accepted = 0
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
    public var costSeqs: [UInt64] = []
}

extension Projections {
    /// `month` is `YYYY-MM`.
    public func costAudit(month: String, asOf: UInt64) throws -> CostAudit {
        try catchUp()
        let start = "\(month)-01T00:00:00.000000Z"
        let (year, number) = (Int(month.prefix(4)) ?? 0, Int(month.suffix(2)) ?? 1)
        let end =
            number == 12
            ? "\(year + 1)-01-01T00:00:00.000000Z" : "\(year)-\(number < 9 ? "0" : "")\(number + 1)-01T00:00:00.000000Z"
        let tiers = try modelStatuses(asOf: asOf).mapValues(\.tier.rawValue)
        return try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            var deliverables: [String: (category: String, stage: String, campaign: String)] = [:]
            for row in try tables.rows(
                "SELECT deliverable, category, stage, campaign FROM proj_deliverables WHERE seq <= ?", [bound])
            {
                deliverables[row[0].string!] = (row[1].string!, row[2].string!, row[3].string ?? "(none)")
            }
            var generations: [String: (model: String, attempt: Int64)] = [:]
            for row in try tables.rows(
                "SELECT deliverable, generation, model, attempt FROM proj_generations WHERE seq <= ?", [bound])
            {
                generations["\(row[0].string!)/\(row[1].string!)"] = (row[2].string!, row[3].int!)
            }
            var assetGeneration: [String: String] = [:]
            var source: [String: String] = [:]
            for row in try tables.rows(
                "SELECT asset, deliverable, generation, source_asset FROM proj_assets WHERE seq <= ?", [bound])
            {
                if let generation = row[2].string { assetGeneration[row[0].string!] = "\(row[1].string!)/\(generation)" }
                if let origin = row[3].string { source[row[0].string!] = origin }
            }
            func generation(ofAsset asset: String) -> (model: String, attempt: Int64)? {
                var current = asset
                for _ in 0..<64 {
                    if let key = assetGeneration[current] { return generations[key] }
                    guard let next = source[current] else { return nil }
                    current = next
                }
                return nil
            }
            var audit = CostAudit(month: month)
            func add(_ groups: inout [String: CostGroup], _ key: String, micros: Int64, regeneration: Bool) {
                groups[key, default: CostGroup(key: key)].spendMicros += micros
                if regeneration { groups[key, default: CostGroup(key: key)].regenerationMicros += micros }
            }
            for row in try tables.rows(
                "SELECT seq, deliverable, kind, micros, generation, asset FROM proj_costs WHERE seq <= ? AND occurred_at >= ? AND occurred_at < ? ORDER BY seq",
                [bound, .text(start), .text(end)])
            {
                let deliverable = row[1].string!
                let micros = row[3].int!
                let attributed =
                    row[4].string.flatMap { generations["\(deliverable)/\($0)"] } ?? row[5].string.flatMap(generation(ofAsset:))
                let regeneration = (attributed?.attempt ?? 1) > 1 || row[2].string == "opportunity"
                let context = deliverables[deliverable] ?? ("?", "?", "(none)")
                audit.costSeqs.append(UInt64(row[0].int!))
                audit.total.spendMicros += micros
                if regeneration { audit.total.regenerationMicros += micros }
                add(&audit.byCategory, context.category, micros: micros, regeneration: regeneration)
                add(&audit.byStage, context.stage, micros: micros, regeneration: regeneration)
                add(&audit.byCampaign, context.campaign, micros: micros, regeneration: regeneration)
                let model = attributed?.model ?? "(unattributed)"
                add(&audit.byModel, model, micros: micros, regeneration: regeneration)
                add(&audit.byTier, tiers[model] ?? "(unattributed)", micros: micros, regeneration: regeneration)
            }
            // Acceptable deliverables: first accepted review of a generated output, in the month.
            var counted: Set<String> = []
            for row in try tables.rows(
                """
                SELECT r.deliverable, r.asset, e.occurred_at FROM proj_reviews r JOIN events e ON e.seq = r.seq
                WHERE r.seq <= ? AND r.verdict = 'accepted' ORDER BY r.seq
                """, [bound])
            {
                let deliverable = row[0].string!
                guard let key = assetGeneration[row[1].string!], counted.insert(deliverable).inserted else { continue }
                let at = row[2].string!
                guard at >= start && at < end, let context = deliverables[deliverable] else { continue }
                let model = generations[key]?.model ?? "(unattributed)"
                audit.total.accepted += 1
                audit.byCategory[context.category, default: CostGroup(key: context.category)].accepted += 1
                audit.byStage[context.stage, default: CostGroup(key: context.stage)].accepted += 1
                audit.byCampaign[context.campaign, default: CostGroup(key: context.campaign)].accepted += 1
                audit.byModel[model, default: CostGroup(key: model)].accepted += 1
                audit.byTier[tiers[model] ?? "(unattributed)", default: CostGroup(key: tiers[model] ?? "(unattributed)")]
                    .accepted += 1
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
        var (year, number) = (Int(month.prefix(4)) ?? 0, Int(month.suffix(2)) ?? 1)
        for _ in 0..<count {
            months.insert("\(year)-\(number < 10 ? "0" : "")\(number)", at: 0)
            (year, number) = number == 1 ? (year - 1, 12) : (year, number - 1)
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
