import Governance
public import LedgerLog

/// What it takes to produce an asset again, as the ledger records it: the generation behind it
/// (through any refinements) with its model, parameters, seed and the lock on it, the template's
/// body with the values it was filled with and the final prompt when the pipeline recorded one,
/// the refinements on the way, the asset's own cost by kind, and the deliverable's every attempt
/// (rejected, failed and denied ones too).
public struct AssetRecipe: Sendable {
    public struct Refinement: Sendable, Equatable {
        public var from: String
        public var to: String
        public var step: String
        public var model: String
        public var seq: UInt64
    }

    public struct SeedLock: Sendable, Equatable {
        public var scope: String
        public var subject: String
        public var seed: Int64
        public var seq: UInt64
    }

    public var asset: String
    public var sha256: String
    public var deliverable: String
    /// The generation the asset comes from (itself, or the one its refinements start from).
    public var generation: String?
    public var generationSeq: UInt64?
    /// The `generation.requested` payload as recorded (parameters, seed, template, values, prompt).
    public var request: JSONValue?
    public var templateBody: String?
    /// Fields erased from the events the recipe cites (`genledger erase`): "prompt",
    /// "template_values", "template body" → "erased at seq N (reason)".
    public var erased: [String: String] = [:]
    public var templateVariables: [String] = []
    public var seedLock: SeedLock?
    public var refinements: [Refinement] = []
    /// The asset's own spend (its generation, its refinements and their reviews) by cost kind.
    public var costByKindMicros: [String: Int64] = [:]
    public var story: DeliverableStory
}

extension Projections {
    /// Finds the asset `query` names: an asset id; a deliverable id (its delivered asset, else its
    /// latest accepted output, else its latest output); or a file's SHA-256 (64 hex digits).
    /// Returns the asset and how it was found; an unknown name is a `badInput` error.
    public func findAsset(_ query: String, asOf: UInt64) throws -> (asset: String, foundBy: String?) {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            if try !tables.rows("SELECT 1 FROM proj_assets WHERE asset = ?1 AND seq <= ?2", [.text(query), bound]).isEmpty {
                return (query, nil)
            }
            let hex = query.lowercased()
            if hex.utf8.count == 64 && hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                if let row = try tables.rows(
                    "SELECT asset FROM proj_assets WHERE sha256 = ?1 AND seq <= ?2 ORDER BY seq LIMIT 1", [.text(hex), bound]
                ).first {
                    return (row[0].string!, "the file with SHA-256 \(hex)")
                }
                throw LedgerError(.badInput, "no asset with SHA-256 \(hex) is recorded (as of seq \(asOf))", field: "asset")
            }
            let deliverable = query.hasPrefix("deliverable/") ? String(query.dropFirst("deliverable/".count)) : query
            if try !tables.rows(
                "SELECT 1 FROM proj_deliverables WHERE deliverable = ?1 AND seq <= ?2", [.text(deliverable), bound]
            ).isEmpty {
                let choices: [(String, String)] = [
                    ("SELECT asset FROM proj_deliveries WHERE deliverable = ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT 1", "delivered asset"),
                    (
                        "SELECT asset FROM proj_reviews WHERE deliverable = ?1 AND seq <= ?2 AND verdict = 'accepted' ORDER BY seq DESC LIMIT 1",
                        "latest accepted output (not delivered)"
                    ),
                    ("SELECT asset FROM proj_assets WHERE deliverable = ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT 1", "latest output (none accepted)"),
                ]
                for (sql, what) in choices {
                    if let row = try tables.rows(sql, [.text(deliverable), bound]).first {
                        return (row[0].string!, "deliverable \(deliverable): its \(what)")
                    }
                }
                throw LedgerError(
                    .badInput, "deliverable '\(deliverable)' has no output yet (as of seq \(asOf))", field: "asset")
            }
            throw LedgerError(
                .badInput,
                "'\(query)' is not a recorded asset id, deliverable id or file SHA-256 (as of seq \(asOf))", field: "asset")
        }
    }

    public func recipe(of asset: String, lineage: Lineage, asOf: UInt64) throws -> AssetRecipe {
        try catchUp()
        let found = try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            guard
                let row = try tables.rows(
                    "SELECT deliverable, sha256 FROM proj_assets WHERE asset = ?1 AND seq <= ?2", [.text(asset), bound]
                ).first
            else { throw LedgerError(.badInput, "no asset '\(asset)' is recorded (as of seq \(asOf))", field: "asset") }
            var refinements: [AssetRecipe.Refinement] = []
            var current = asset
            var generation: (name: String, deliverable: String)?
            for _ in 0..<64 {
                guard
                    let step = try tables.rows(
                        "SELECT seq, deliverable, generation, source_asset, step, model FROM proj_assets WHERE asset = ?1 AND seq <= ?2",
                        [.text(current), bound]
                    ).first
                else { break }
                if let source = step[3].string {
                    refinements.insert(
                        .init(from: source, to: current, step: step[4].string!, model: step[5].string ?? "?", seq: UInt64(step[0].int!)),
                        at: 0)
                    current = source
                    continue
                }
                generation = step[2].string.map { ($0, step[1].string!) }
                break
            }
            var generationSeq: UInt64?
            var lock: AssetRecipe.SeedLock?
            var templateSeq: UInt64?
            if let generation,
                let gen = try tables.rows(
                    "SELECT seq, template, template_version FROM proj_generations WHERE deliverable = ?1 AND generation = ?2 AND seq <= ?3",
                    [.text(generation.deliverable), .text(generation.name), bound]
                ).first
            {
                generationSeq = UInt64(gen[0].int!)
                templateSeq = try tables.rows(
                    "SELECT seq FROM proj_templates WHERE template = ?1 AND version = ?2 AND seq <= ?3", [gen[1], gen[2], bound]
                ).first?[0].int.map(UInt64.init)
                let campaign = try tables.rows(
                    "SELECT campaign FROM proj_deliverables WHERE deliverable = ?1", [.text(generation.deliverable)]
                ).first?[0].string
                if let seed = try tables.rows(
                    """
                    SELECT seq, scope, subject, seed FROM proj_seeds
                    WHERE ((scope = 'deliverable' AND subject = ?1) OR (scope = 'campaign' AND subject = ?2)) AND seq < ?3
                    ORDER BY seq DESC LIMIT 1
                    """, [.text(generation.deliverable), campaign.map { .text($0) } ?? .null, gen[0]]
                ).first {
                    lock = .init(scope: seed[1].string!, subject: seed[2].string!, seed: seed[3].int!, seq: UInt64(seed[0].int!))
                }
            }
            var costs: [String: Int64] = [:]
            for cited in lineage.events where cited.type == EventType.costRecorded.rawValue {
                if let cost = try tables.rows("SELECT kind, micros FROM proj_costs WHERE seq = ?1", [.integer(Int64(cited.seq))]).first {
                    costs[cost[0].string!, default: 0] += cost[1].int!
                }
            }
            return (
                deliverable: row[0].string!, sha256: row[1].string!, generation: generation?.name, generationSeq: generationSeq,
                templateSeq: templateSeq, lock: lock, refinements: refinements, costs: costs
            )
        }
        var recipe = AssetRecipe(
            asset: asset, sha256: found.sha256, deliverable: found.deliverable, generation: found.generation,
            generationSeq: found.generationSeq, seedLock: found.lock, refinements: found.refinements,
            costByKindMicros: found.costs, story: try deliverableStory(found.deliverable, asOf: asOf))
        if let seq = found.generationSeq { recipe.request = try ledger.event(seq: seq)?.payload }
        if let seq = found.templateSeq, let template = try ledger.event(seq: seq)?.payload {
            recipe.templateBody = template["body"]?.stringValue
            recipe.templateVariables = template["variables"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        let erasures = try erasures(asOf: asOf)
        for (field, erasure) in erasures[found.generationSeq ?? 0] ?? [:] { recipe.erased[field] = erasure }
        if let body = erasures[found.templateSeq ?? 0]?["body"] { recipe.erased["template body"] = body }
        return recipe
    }

    /// Every erasure recorded as of `asOf`: erased seq → field → "erased at seq N (reason)".
    public func erasures(asOf: UInt64) throws -> [UInt64: [String: String]] {
        var found: [UInt64: [String: String]] = [:]
        try ledger.forEachEvent(through: asOf, stream: Erasure.stream, type: Erasure.eventType) { event in
            guard let seq = event.payload["seq"]?.integerValue else { return true }
            let note = "erased at seq \(event.seq) (\(event.payload["reason"]?.stringValue ?? "no reason"))"
            for field in event.payload["fields"]?.arrayValue ?? [] {
                if let name = field.stringValue { found[UInt64(seq), default: [:]][name] = note }
            }
            return true
        }
        return found
    }
}
