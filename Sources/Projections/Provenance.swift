import LedgerLog

/// Why an asset was produced the way it was: every event behind it, across refinements and
/// image-to-video chains (an upstream asset's own lineage is part of the video's).
public struct Lineage: Sendable {
    public struct Cited: Sendable, Equatable {
        public var seq: UInt64
        public var type: String
        /// What the event is to this asset: "generation requested", "routing decision"…
        public var role: String
        public var summary: String
        /// The asset whose lineage cites it.
        public var asset: String
    }

    public struct Edge: Sendable, Equatable {
        public var from: String
        public var to: String
        public var label: String
    }

    public var asset: String
    /// Every asset in the lineage, the explained one first.
    public var assets: [String]
    public var edges: [Edge]
    /// In seq order, each event once.
    public var events: [Cited]
}

extension Projections {
    public func lineage(of asset: String, asOf: UInt64) throws -> Lineage {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            var cited: [UInt64: Lineage.Cited] = [:]
            var assets: [String] = []
            var edges: [Lineage.Edge] = []
            func cite(_ seq: Int64?, _ type: String, _ role: String, _ summary: String, _ asset: String) {
                guard let seq, cited[UInt64(seq)] == nil else { return }
                cited[UInt64(seq)] = .init(seq: UInt64(seq), type: type, role: role, summary: summary, asset: asset)
            }
            func one(_ sql: String, _ values: [SideTables.Value]) throws -> [SideTables.Value]? {
                try tables.rows(sql, values).first
            }

            var queue = [asset]
            while let current = queue.first {
                queue.removeFirst()
                guard !assets.contains(current), assets.count < 64 else { continue }
                guard
                    let row = try one(
                        "SELECT seq, deliverable, generation, source_asset, step, model FROM proj_assets WHERE asset = ? AND seq <= ?",
                        [.text(current), bound])
                else {
                    if current == asset {
                        throw LedgerError(.badInput, "no asset '\(asset)' is recorded (as of seq \(asOf))", field: "asset")
                    }
                    continue
                }
                assets.append(current)
                let deliverable = row[1].string!
                for review in try tables.rows(
                    "SELECT seq, verdict, reviewer FROM proj_reviews WHERE asset = ? AND seq <= ?", [.text(current), bound])
                {
                    cite(review[0].int, "asset.reviewed", "review", "\(review[1].string!) by \(review[2].string!)", current)
                }
                for cost in try tables.rows(
                    "SELECT seq, kind, micros, currency FROM proj_costs WHERE deliverable = ? AND asset = ? AND seq <= ?",
                    [.text(deliverable), .text(current), bound])
                {
                    cite(
                        cost[0].int, "cost.recorded", "cost",
                        "\(cost[1].string!) \(Double(cost[2].int!) / 1e6) \(cost[3].string!)", current)
                }
                for delivery in try tables.rows(
                    "SELECT seq FROM proj_deliveries WHERE asset = ? AND seq <= ?", [.text(current), bound])
                {
                    cite(delivery[0].int, "deliverable.delivered", "delivery", "delivered as \(deliverable)", current)
                }
                if let source = row[3].string {
                    cite(
                        row[0].int, "refinement.applied", "refinement",
                        "\(row[4].string!) of \(source) on \(row[5].string ?? "?")", current)
                    edges.append(.init(from: source, to: current, label: row[4].string!))
                    queue.append(source)
                    continue
                }
                guard let generation = row[2].string,
                    let gen = try one(
                        "SELECT seq, attempt, model, model_version, template, template_version, seed, routing_decision, fallback_from FROM proj_generations WHERE deliverable = ? AND generation = ? AND seq <= ?",
                        [.text(deliverable), .text(generation), bound])
                else { continue }
                cite(row[0].int, "generation.completed", "output", "\(generation) produced \(current)", current)
                cite(
                    gen[0].int, "generation.requested", "generation requested",
                    "attempt \(gen[1].int!) on \(gen[2].string!) (version \(gen[3].string!)), template \(gen[4].string!) v\(gen[5].int!), seed \(gen[6].int!)",
                    current)
                for cost in try tables.rows(
                    "SELECT seq, micros, currency FROM proj_costs WHERE deliverable = ? AND generation = ? AND seq <= ?",
                    [.text(deliverable), .text(generation), bound])
                {
                    cite(
                        cost[0].int, "cost.recorded", "cost", "generation \(Double(cost[1].int!) / 1e6) \(cost[2].string!)",
                        current)
                }
                if let decision = try one(
                    "SELECT seq, table_name, table_version, rule, model FROM proj_routing_decisions WHERE decision = ? AND seq <= ?",
                    [gen[7], bound])
                {
                    cite(
                        decision[0].int, "routing.decided", "routing decision",
                        "table \(decision[1].string!) v\(decision[2].int!), rule \(decision[3].string!) chose \(decision[4].string!)",
                        current)
                    if let table = try one(
                        "SELECT seq, author FROM proj_routing_tables WHERE table_name = ? AND version = ? AND seq <= ?",
                        [decision[1], decision[2], bound])
                    {
                        cite(
                            table[0].int, "routing.table_published", "routing table",
                            "\(decision[1].string!) v\(decision[2].int!) by \(table[1].string!)", current)
                    }
                }
                if let failed = gen[8].string {
                    for fallback in try tables.rows(
                        "SELECT seq, from_model, to_model, failure_mode FROM proj_fallbacks WHERE deliverable = ? AND generation = ? AND seq <= ?",
                        [.text(deliverable), .text(failed), bound])
                    {
                        cite(
                            fallback[0].int, "fallback.triggered", "fallback",
                            "\(fallback[1].string!) → \(fallback[2].string!) after \(fallback[3].string!)", current)
                    }
                    if let outcome = try one(
                        "SELECT seq, failure_mode FROM proj_generation_outcomes WHERE deliverable = ? AND generation = ? AND seq <= ?",
                        [.text(deliverable), .text(failed), bound])
                    {
                        cite(
                            outcome[0].int, "generation.failed", "failure", "\(failed) failed: \(outcome[1].string ?? "?")",
                            current)
                    }
                }
                if let opened = try one(
                    "SELECT seq, category, stage, campaign FROM proj_deliverables WHERE deliverable = ? AND seq <= ?",
                    [.text(deliverable), bound])
                {
                    cite(
                        opened[0].int, "deliverable.opened", "deliverable",
                        "\(deliverable): \(opened[1].string!), \(opened[2].string!)", current)
                    if let campaign = opened[3].string {
                        let seed = try tables.rows(
                            "SELECT seq FROM proj_seeds WHERE ((scope = 'deliverable' AND subject = ?) OR (scope = 'campaign' AND subject = ?)) AND seq < ? ORDER BY seq",
                            [.text(deliverable), .text(campaign), gen[0]])
                        if let last = seed.last { cite(last[0].int, "seed.locked", "locked seed", "seed lock in force", current) }
                    }
                }
                if let template = try one(
                    "SELECT seq FROM proj_templates WHERE template = ? AND version = ? AND seq <= ?", [gen[4], gen[5], bound])
                {
                    cite(template[0].int, "template.versioned", "template", "\(gen[4].string!) v\(gen[5].int!)", current)
                }
                for regeneration in try tables.rows(
                    "SELECT seq, attempt, reason FROM proj_regenerations WHERE deliverable = ? AND seq < ? AND attempt <= ?",
                    [.text(deliverable), gen[0], gen[1]])
                {
                    cite(
                        regeneration[0].int, "regeneration.requested", "regeneration",
                        "attempt \(regeneration[1].int!): \(regeneration[2].string!)", current)
                }
                for override in try tables.rows(
                    "SELECT seq, rule, approver FROM proj_overrides WHERE deliverable = ? AND seq < ?",
                    [.text(deliverable), gen[0]])
                {
                    cite(
                        override[0].int, "policy.override_granted", "override",
                        "\(override[1].string!) lifted by \(override[2].string!)", current)
                }
                for reference in try tables.rows(
                    "SELECT asset, role FROM proj_references WHERE generation = ? AND seq = ? ORDER BY rowid", [.text(generation), gen[0]])
                {
                    edges.append(.init(from: reference[0].string!, to: current, label: reference[1].string!))
                    queue.append(reference[0].string!)
                }
            }
            return Lineage(asset: asset, assets: assets, edges: edges, events: cited.values.sorted { $0.seq < $1.seq })
        }
    }
}
