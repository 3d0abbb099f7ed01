import Foundation
public import Governance
import LedgerLog

/// History re-run under a candidate routing table: every recorded `routing.decided` request in a
/// window is decided again by the routing engine with the candidate in force and each model's
/// status as it stood at that request, and the cost of both routings is estimated from the rates
/// observed in the ledger before that request (docs/REPLAY.md). Nothing is written.
public struct Replay: Sendable {
    /// Requests whose `occurred_at` falls on these UTC days (both inclusive); nil is open.
    public struct Window: Sendable, Equatable {
        public var from: CalendarDate?
        public var to: CalendarDate?
        public init(from: CalendarDate? = nil, to: CalendarDate? = nil) { (self.from, self.to) = (from, to) }
    }

    /// Estimated figures of one routing over the compared requests.
    public struct Figures: Sendable, Equatable {
        /// Expected generation spend, in micro-units.
        public var spendMicros = 0.0
        public var multiplierSum = 0.0
        public var failureRateSum = 0.0
        public var trueCostSum = 0.0
        public var requests = 0

        public init() {}

        /// Attempts per acceptable output, averaged over the requests.
        public var regenerationMultiplier: Double? { requests == 0 ? nil : multiplierSum / Double(requests) }
        public var failureRate: Double? { requests == 0 ? nil : failureRateSum / Double(requests) }
        /// True cost per acceptable deliverable, averaged over the requests (micro-units).
        public var trueCostPerAcceptableMicros: Double? { requests == 0 ? nil : trueCostSum / Double(requests) }

        mutating func add(spend: Double, _ rates: ObservedRates) {
            spendMicros += spend
            multiplierSum += rates.multiplier
            failureRateSum += rates.failureRate
            trueCostSum += rates.trueCostMicros
            requests += 1
        }
    }

    /// Requests that move from one model to another.
    public struct Move: Sendable, Equatable {
        public var category: String
        public var from: String
        public var fromTier: String
        public var to: String
        public var toTier: String
        public var requests = 0
        /// The first few requests that move, for citation.
        public var seqs: [UInt64] = []
    }

    /// Requests the candidate cannot route at all.
    public struct Unroutable: Sendable, Equatable {
        public var category: String
        public var stage: String
        public var modality: String
        public var reason: String
        public var requests = 0
        public var seqs: [UInt64] = []
    }

    public struct Category: Sendable, Equatable {
        public var category: String
        public var requests = 0
        public var changed = 0
        public var unroutable = 0
        /// Compared requests whose estimate rests on a tier's average.
        public var lowConfidence = 0
        public var before = Figures()
        public var after = Figures()
        /// The generation spend the ledger records for this category's requests.
        public var actualSpendMicros: Int64 = 0
    }

    public var table: String
    public var candidateVersion: Int64
    public var candidateDigest: String
    public var candidateSource: CandidateTable.Source
    public var window: Window
    public var asOf: UInt64
    /// Requests in the window, and the seqs of the first and last.
    public var requests = 0
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?
    public var changed = 0
    public var unroutableRequests = 0
    public var moves: [Move] = []
    public var unroutable: [Unroutable] = []
    /// Estimates over the requests routable under the candidate with rates on both sides.
    public var before = Figures()
    public var after = Figures()
    /// Compared requests where either side rests on its tier's average.
    public var lowConfidence = 0
    /// Routable requests with no observed rates at all, even for the tier.
    public var withoutEstimate = 0
    public var byCategory: [Category] = []
    public var currency: Currency = .USD
    /// The generation spend the ledger actually records for the window's requests (the
    /// `cost.recorded` of kind generation of each generation a request's decision routed), and
    /// how many requests it covers: the recorded side's real figure, beside both estimates.
    public var actualSpendMicros: Int64 = 0
    public var actualRequests = 0
}

/// Rates of one model in one category, observed up to a point of the log.
public struct ObservedRates: Sendable, Equatable {
    /// Generation spend per attempt (micro-units): the observed price.
    public var costPerAttemptMicros: Double
    /// Attempts per accepted output.
    public var multiplier: Double
    /// Failed / (completed + failed) attempts.
    public var failureRate: Double
    /// (cost per attempt + review and opportunity time per attempt in the category) × multiplier
    /// + refinement spend per accepted output in the category.
    public var trueCostMicros: Double
    /// True when the model had no accepted output in the category and its tier's pooled figures
    /// stand in.
    public var lowConfidence: Bool
}

/// What has been observed of one model, tier or category.
struct Tally: Sendable {
    var attempts = 0
    var completed = 0
    var failed = 0
    var accepted = 0
    var generationMicros: Int64 = 0
    /// Review-time and opportunity spend (category tallies only).
    var timeMicros: Int64 = 0
    /// Refinement spend (category tallies only).
    var refinementMicros: Int64 = 0
}

/// A 128-bit fingerprint of a row's identifiers, mixed from their bytes with seeds drawn at
/// random for each process: a compact map key that needs no String per row. (Two ids would need
/// the same 128 bits under seeds nobody knows in advance to be confused.)
struct Fingerprint: Hashable {
    var high: UInt64
    var low: UInt64

    private static let seeds = (UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))

    /// `word` adds a value that is not text (a number's bit pattern).
    init(_ row: SideTables.Cursor, _ columns: Int32..., word: UInt64 = 0) {
        var a = Self.seeds.0
        var b = Self.seeds.1
        Self.mix(&a, &b, word)
        for column in columns {
            let bytes = row.bytes(column)
            Self.mix(&a, &b, UInt64(bytes.count) | 1 << 63)
            var offset = 0
            while offset + 8 <= bytes.count {
                Self.mix(&a, &b, bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            if offset < bytes.count {
                var tail: UInt64 = 0
                for i in offset..<bytes.count { tail = tail << 8 | UInt64(bytes[i]) }
                Self.mix(&a, &b, tail)
            }
        }
        Self.mix(&a, &b, 0)
        (high, low) = (a, b)
    }

    @inline(__always)
    private static func mix(_ a: inout UInt64, _ b: inout UInt64, _ word: UInt64) {
        a = (a ^ word) &* 0x9E37_79B9_7F4A_7C15
        a ^= a >> 32
        b = (b ^ word) &* 0xC2B2_AE3D_27D4_EB4F
        b ^= b >> 29
    }

    func hash(into hasher: inout Hasher) { hasher.combine(high) }
}

/// Running tallies by model × category, tier × category, tier, and category.
struct RateBook {
    private var models: [Fingerprint: Int] = [:]
    private(set) var modelNames: [String] = []
    private var tiers: [Int?] = []  // each model's tier index
    private var categories: [Fingerprint: Int] = [:]
    private(set) var categoryNames: [String] = []
    // Tallies in arrays, indexed by model, tier and category index: updated on every fact.
    private var byModel: [[Tally]] = []  // [model][category]
    private var byTier: [[Tally]] = Array(repeating: [], count: Tier.allCases.count)  // [tier][category]
    private var byTierOverall: [Tally] = Array(repeating: Tally(), count: Tier.allCases.count)
    private var byCategory: [Tally] = []

    struct Key: Hashable {
        var model: Int
        var category: Int
    }

    /// The index of a model (named by `column` of `row`), and its tier from the catalog.
    mutating func model(_ row: SideTables.Cursor, _ column: Int32, tiers: [String: Tier]) -> Int {
        let print = Fingerprint(row, column)
        if let known = models[print] { return known }
        let name = row.text(column) ?? ""
        return add(model: name, print: print, tier: tiers[name])
    }

    mutating func model(named name: String, tier: Tier?) -> Int { add(model: name, print: nil, tier: tier) }

    private mutating func add(model name: String, print: Fingerprint?, tier: Tier?) -> Int {
        if let index = modelNames.firstIndex(of: name) {
            if let print { models[print] = index }
            return index
        }
        modelNames.append(name)
        tiers.append(tier.map(Self.tierIndex))
        byModel.append(Array(repeating: Tally(), count: categoryNames.count))
        if let print { models[print] = modelNames.count - 1 }
        return modelNames.count - 1
    }

    mutating func category(_ row: SideTables.Cursor, _ column: Int32) -> Int {
        let print = Fingerprint(row, column)
        if let known = categories[print] { return known }
        return category(named: row.text(column) ?? "", print: print)
    }

    mutating func category(named name: String, print: Fingerprint? = nil) -> Int {
        if let index = categoryNames.firstIndex(of: name) {
            if let print { categories[print] = index }
            return index
        }
        categoryNames.append(name)
        if let print { categories[print] = categoryNames.count - 1 }
        for model in byModel.indices { byModel[model].append(Tally()) }
        for tier in byTier.indices { byTier[tier].append(Tally()) }
        byCategory.append(Tally())
        return categoryNames.count - 1
    }

    /// Adds to the model's tally and to its tier's and category's.
    mutating func record(_ key: Key, _ change: (inout Tally) -> Void) {
        change(&byModel[key.model][key.category])
        change(&byCategory[key.category])
        if let tier = tiers[key.model] {
            change(&byTier[tier][key.category])
            change(&byTierOverall[tier])
        }
    }

    /// Adds to the category's tally only (costs of review time, opportunity and refinement).
    mutating func record(category: Int, _ change: (inout Tally) -> Void) {
        change(&byCategory[category])
    }

    /// The model's own rates in the category; else its tier's in the category; else its tier's
    /// across categories (both marked low-confidence); nil when none has an accepted output.
    func rates(_ key: Key) -> ObservedRates? {
        let category = byCategory[key.category]
        func rates(_ tally: Tally, lowConfidence: Bool) -> ObservedRates? {
            guard tally.attempts > 0, tally.accepted > 0 else { return nil }
            let costPerAttempt = Double(tally.generationMicros) / Double(tally.attempts)
            let multiplier = Double(tally.attempts) / Double(tally.accepted)
            let timePerAttempt = category.attempts == 0 ? 0 : Double(category.timeMicros) / Double(category.attempts)
            let refinementPerAccepted =
                category.accepted == 0 ? 0 : Double(category.refinementMicros) / Double(category.accepted)
            return ObservedRates(
                costPerAttemptMicros: costPerAttempt, multiplier: multiplier,
                failureRate: tally.completed + tally.failed == 0
                    ? 0 : Double(tally.failed) / Double(tally.completed + tally.failed),
                trueCostMicros: (costPerAttempt + timePerAttempt) * multiplier + refinementPerAccepted,
                lowConfidence: lowConfidence)
        }
        if let own = rates(byModel[key.model][key.category], lowConfidence: false) { return own }
        guard let tier = tiers[key.model] else { return nil }
        return rates(byTier[tier][key.category], lowConfidence: true) ?? rates(byTierOverall[tier], lowConfidence: true)
    }

    private static func tierIndex(_ tier: Tier) -> Int { Tier.allCases.firstIndex(of: tier)! }
}

/// A bounded map: the most recent entries are kept, older ones dropped in halves, so memory
/// stays flat however long the history; a miss falls back to a lookup in the projections.
struct RecentMap<Value> {
    private var young: [Fingerprint: Value] = [:]
    private var old: [Fingerprint: Value] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    mutating func insert(_ key: Fingerprint, _ value: Value) {
        young[key] = value
        if young.count >= capacity / 2 {
            old = young
            young = [:]
            young.reserveCapacity(capacity / 2)
        }
    }

    func lookup(_ key: Fingerprint) -> Value? { young[key] ?? old[key] }
}

extension Projections {
    /// A published version of a routing table as a candidate: `version` of `table`, or of the
    /// only table that has that version. An error lists what was published.
    public func publishedCandidate(table: String?, version: Int64, asOf: UInt64) throws -> CandidateTable {
        let versions = try tableVersions(asOf: asOf)
        let matching = versions.filter { $0.version == version && (table == nil || $0.table == table) }
        guard matching.count == 1, let found = matching.first else {
            let published = versions.map { "\($0.table)@\($0.version)" }.joined(separator: ", ")
            throw LedgerError(
                .badInput,
                (matching.isEmpty
                    ? "no published routing table version \(version)" : "version \(version) of several tables: name one")
                    + (table.map { " of table '\($0)'" } ?? "") + "; published: \(published.isEmpty ? "none" : published)",
                field: "compare-published")
        }
        return try CandidateTable(published: found.document, digest: found.digest, seq: found.seq)
    }

    /// The models registered at or before `asOf`: what a candidate table may name.
    public func registeredModels(asOf: UInt64) throws -> Set<String> {
        try catchUp()
        return try ledger.withSideTables(write: false) {
            Set(
                try $0.rows("SELECT model FROM proj_model_registrations WHERE seq <= ?", [.integer(Int64(asOf))])
                    .compactMap { $0[0].string })
        }
    }

    /// Replays the requests of `window` recorded at or before `asOf` under `candidate`.
    public func replay(_ candidate: CandidateTable, window: Replay.Window = .init(), asOf: UInt64) throws -> Replay {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            var run = ReplayRun(tables: tables, ledger: ledger, candidate: candidate, asOf: asOf, window: window)
            return try run.run()
        }
    }
}

/// One replay: a merge, by seq, of the routing-relevant events, the facts the rates are
/// tallied from, and the requests to decide again. Its state lives in this one value, changed by
/// one method per stream.
private struct ReplayRun {
    let tables: SideTables
    let ledger: Ledger
    let candidate: CandidateTable
    let bound: SideTables.Value
    var replay: Replay

    /// Catalog, routing-table and policy events: what the routing engine reads.
    static let routingSources = [
        "proj_model_registrations", "proj_model_prices", "proj_model_versions", "proj_model_statuses", "proj_routing_tables",
        "proj_policies",
    ]

    /// The candidate's decision for a request: its model (index in the book) and tier, or the key
    /// of the unroutable group the request joins.
    struct Decided {
        var model = 0
        var tier = ""
        var unroutable: String?
    }

    struct MoveKey: Hashable {
        var category, from, to: Int
    }

    var routing = GovernanceState()
    /// The routing state with the candidate in force.
    var weighed: GovernanceState
    /// Each model's tier, kept apart from the routing state for the per-row code.
    var tiers: [String: Tier] = [:]
    var book = RateBook()
    // Generation → its key; generated output → its key (nil: a refined asset); deliverable → category.
    var generations = RecentMap<RateBook.Key>(capacity: 1 << 16)
    var assets = RecentMap<RateBook.Key?>(capacity: 1 << 16)
    var deliverables = RecentMap<Int>(capacity: 1 << 16)
    var decisions: [Fingerprint: Decided] = [:]
    var moves: [MoveKey: Replay.Move] = [:]
    var unroutable: [String: Replay.Unroutable] = [:]
    var categories: [Replay.Category] = []  // by the book's category index

    init(tables: SideTables, ledger: Ledger, candidate: CandidateTable, asOf: UInt64, window: Replay.Window) {
        (self.tables, self.ledger, self.candidate, bound) = (tables, ledger, candidate, .integer(Int64(asOf)))
        weighed = GovernanceState().weighing(candidate)
        replay = Replay(
            table: candidate.table.name, candidateVersion: candidate.table.version, candidateDigest: candidate.digest,
            candidateSource: candidate.source, window: window, asOf: asOf)
    }

    mutating func run() throws -> Replay {
        // The streams, each in seq order (rowid order: projection rows are inserted by seq).
        let streams = [
            try tables.cursor(
                Self.routingSources.map { "SELECT seq FROM \($0) WHERE seq <= ?1" }.joined(separator: " UNION ")
                    + " ORDER BY seq", [bound]),
            try tables.cursor("SELECT seq, deliverable, category FROM proj_deliverables WHERE seq <= ?1 ORDER BY rowid", [bound]),
            try tables.cursor(
                "SELECT seq, deliverable, generation, model FROM proj_generations WHERE seq <= ?1 ORDER BY rowid", [bound]),
            try tables.cursor(
                "SELECT seq, deliverable, generation, outcome, asset FROM proj_generation_outcomes WHERE seq <= ?1 ORDER BY rowid",
                [bound]),
            try tables.cursor(
                "SELECT seq, asset FROM proj_assets WHERE generation IS NULL AND seq <= ?1 ORDER BY rowid", [bound]),
            try tables.cursor(
                "SELECT seq, asset FROM proj_reviews WHERE verdict = 'accepted' AND seq <= ?1 ORDER BY rowid", [bound]),
            try tables.cursor(
                "SELECT seq, deliverable, kind, micros, generation FROM proj_costs WHERE seq <= ?1 ORDER BY rowid", [bound]),
            try requestCursor(),
        ]
        var heads: [UInt64?] = try streams.map { try $0.next() ? UInt64($0.int(0)) : nil }
        while true {
            var next: Int?
            for (i, head) in heads.enumerated() {
                guard let head else { continue }
                if next == nil || head < heads[next!]! { next = i }
            }
            guard let stream = next else { break }
            let seq = heads[stream]!
            let row = streams[stream]
            switch stream {
            case 0: try routingEvent(seq)
            case 1: deliverables.insert(Fingerprint(row, 1), book.category(row, 2))
            case 2: try attempt(row)
            case 3: try outcome(row)
            case 4: assets.insert(Fingerprint(row, 1), nil)  // a refined asset: its acceptance is not a generated output's
            case 5: if let key = try assetKey(row, 1) { book.record(key) { $0.accepted += 1 } }
            case 6: try cost(row)
            default: try request(row, seq)
            }
            heads[stream] = try row.next() ? UInt64(row.int(0)) : nil
        }
        replay.moves = moves.values.sorted {
            ($0.requests, $1.category, $1.from, $1.to) > ($1.requests, $0.category, $0.from, $0.to)
        }
        replay.unroutable = unroutable.values.sorted {
            ($0.category, $0.stage, $0.modality) < ($1.category, $1.stage, $1.modality)
        }
        replay.byCategory = categories.filter { $0.requests > 0 }.sorted { $0.category < $1.category }
        try actualSpend()
        return replay
    }

    /// What the ledger records as generation spend for the window's requests.
    mutating func actualSpend() throws {
        var sql = """
            SELECT r.category, SUM(c.micros), COUNT(DISTINCT r.seq)
            FROM proj_routing_decisions r
            JOIN proj_generations g ON g.routing_decision = r.decision AND g.seq <= ?1
            JOIN proj_costs c ON c.deliverable = g.deliverable AND c.generation = g.generation AND c.kind = 'generation' AND c.seq <= ?1
            WHERE r.seq <= ?1
            """
        let values = inWindow(&sql, column: "r.occurred_at")
        for row in try tables.rows(sql + " GROUP BY r.category", values) {
            let micros = row[1].int ?? 0
            replay.actualSpendMicros += micros
            replay.actualRequests += Int(row[2].int ?? 0)
            if let index = replay.byCategory.firstIndex(where: { $0.category == row[0].string }) {
                replay.byCategory[index].actualSpendMicros += micros
            }
        }
    }

    func requestCursor() throws -> SideTables.Cursor {
        var sql = """
            SELECT seq, model, tier, category, stage, modality, duration_seconds, characters, after_failure_model,
                   after_failure_mode
            FROM proj_routing_decisions WHERE seq <= ?1
            """
        let values = inWindow(&sql, column: "occurred_at")
        return try tables.cursor(sql + " ORDER BY rowid", values)
    }

    /// Narrows `sql` (whose ?1 is the bound) to decisions whose `column` falls in the window's
    /// days; the values to bind.
    func inWindow(_ sql: inout String, column: String) -> [SideTables.Value] {
        var values: [SideTables.Value] = [bound]
        if let from = replay.window.from {
            sql += " AND \(column) >= ?\(values.count + 1)"
            values.append(.text("\(from)T00:00:00.000000Z"))
        }
        if let to = replay.window.to {
            sql += " AND \(column) <= ?\(values.count + 1)"
            values.append(.text("\(to)T23:59:59.999999Z"))
        }
        return values
    }

    mutating func routingEvent(_ seq: UInt64) throws {
        guard let event = try ledger.event(seq: seq) else { return }
        routing.apply(
            try DomainEvent.decode(type: event.type, stream: event.stream, payload: event.payload, allowGateRecord: true),
            seq: seq)
        weighed = routing.weighing(candidate)
        tiers = routing.models.mapValues(\.tier)
        decisions.removeAll(keepingCapacity: true)
        if let currency = routing.policyInForce?.document.currency { replay.currency = currency }
    }

    mutating func attempt(_ row: SideTables.Cursor) throws {
        guard let category = try categoryIndex(row, 1) else { return }
        let key = RateBook.Key(model: book.model(row, 3, tiers: tiers), category: category)
        generations.insert(Fingerprint(row, 1, 2), key)
        book.record(key) { $0.attempts += 1 }
    }

    mutating func outcome(_ row: SideTables.Cursor) throws {
        guard let key = try generationKey(row, deliverable: 1, generation: 2) else { return }
        if row.text(3) == "failed" {
            book.record(key) { $0.failed += 1 }
        } else {
            book.record(key) { $0.completed += 1 }
            if !row.isNull(4) { assets.insert(Fingerprint(row, 4), key) }
        }
    }

    mutating func cost(_ row: SideTables.Cursor) throws {
        let micros = row.int(3)
        switch row.text(2) {
        case CostKind.generation.rawValue:
            if !row.isNull(4), let key = try generationKey(row, deliverable: 1, generation: 4) {
                book.record(key) { $0.generationMicros += micros }
            }
        case CostKind.refinement.rawValue:
            if let category = try categoryIndex(row, 1) { book.record(category: category) { $0.refinementMicros += micros } }
        default:
            if let category = try categoryIndex(row, 1) { book.record(category: category) { $0.timeMicros += micros } }
        }
    }

    mutating func request(_ row: SideTables.Cursor, _ seq: UInt64) throws {
        replay.requests += 1
        replay.firstSeq = replay.firstSeq ?? seq
        replay.lastSeq = seq
        let category = book.category(row, 3)
        while categories.count <= category {
            categories.append(Replay.Category(category: book.categoryNames[categories.count]))
        }
        categories[category].requests += 1
        let decided = try decide(row, seq)
        if let id = decided.unroutable {
            replay.unroutableRequests += 1
            categories[category].unroutable += 1
            unroutable[id]!.requests += 1
            if unroutable[id]!.seqs.count < 5 { unroutable[id]!.seqs.append(seq) }
            return
        }
        let recordedModel = book.model(row, 1, tiers: tiers)
        if decided.model != recordedModel {
            replay.changed += 1
            categories[category].changed += 1
            let id = MoveKey(category: category, from: recordedModel, to: decided.model)
            if moves[id] == nil {
                moves[id] = Replay.Move(
                    category: book.categoryNames[category], from: book.modelNames[recordedModel], fromTier: row.text(2) ?? "",
                    to: book.modelNames[decided.model], toTier: decided.tier)
            }
            moves[id]!.requests += 1
            if moves[id]!.seqs.count < 5 { moves[id]!.seqs.append(seq) }
        }
        guard
            let before = book.rates(RateBook.Key(model: recordedModel, category: category)),
            let after = book.rates(RateBook.Key(model: decided.model, category: category))
        else {
            replay.withoutEstimate += 1
            return
        }
        // One recorded attempt; the candidate's model would need after/before as many.
        let spendAfter = after.costPerAttemptMicros * after.multiplier / before.multiplier
        replay.before.add(spend: before.costPerAttemptMicros, before)
        replay.after.add(spend: spendAfter, after)
        categories[category].before.add(spend: before.costPerAttemptMicros, before)
        categories[category].after.add(spend: spendAfter, after)
        if before.lowConfidence || after.lowConfidence {
            replay.lowConfidence += 1
            categories[category].lowConfidence += 1
        }
    }

    /// The candidate's decision: equal requests in one routing state get equal decisions, so
    /// each is decided once per state.
    mutating func decide(_ row: SideTables.Cursor, _ seq: UInt64) throws -> Decided {
        // (Duration by its bits, NULL as a NaN pattern no duration has: a number's bytes would be printed.)
        let print = Fingerprint(row, 3, 4, 5, 7, 8, 9, word: row.isNull(6) ? .max : row.double(6).bitPattern)
        if let known = decisions[print] { return known }
        let recorded = try RecordedRequest(row, seq: seq)
        let decided: Decided
        do {
            let decision = try RoutingEngine.decide(recorded.request, in: weighed, decision: "replay")
            decided = Decided(
                model: book.model(named: decision.model, tier: tiers[decision.model]), tier: decision.tier.rawValue)
        } catch let error as GovernanceError {
            let id = "\(recorded.category)|\(recorded.stage)|\(recorded.modality)"
            if unroutable[id] == nil {
                unroutable[id] = Replay.Unroutable(
                    category: recorded.category, stage: recorded.stage, modality: recorded.modality, reason: error.message)
            }
            decided = Decided(unroutable: id)
        }
        decisions[print] = decided
        return decided
    }

    // Lookups for what fell out of the recent maps (long-lived deliverables).

    mutating func generationKey(_ row: SideTables.Cursor, deliverable: Int32, generation: Int32) throws -> RateBook.Key? {
        let print = Fingerprint(row, deliverable, generation)
        if let known = generations.lookup(print) { return known }
        guard
            let found = try tables.rows(
                """
                SELECT g.model, d.category FROM proj_generations g JOIN proj_deliverables d ON d.deliverable = g.deliverable
                WHERE g.deliverable = ?1 AND g.generation = ?2 AND g.seq <= ?3
                """, [.text(row.text(deliverable) ?? ""), .text(row.text(generation) ?? ""), bound]
            ).first, let model = found[0].string, let category = found[1].string
        else { return nil }
        let key = RateBook.Key(model: book.model(named: model, tier: tiers[model]), category: book.category(named: category))
        generations.insert(print, key)
        return key
    }

    mutating func assetKey(_ row: SideTables.Cursor, _ asset: Int32) throws -> RateBook.Key? {
        let print = Fingerprint(row, asset)
        if let known = assets.lookup(print) { return known }
        let found = try tables.rows(
            """
            SELECT g.model, d.category FROM proj_assets a
            JOIN proj_generations g ON g.deliverable = a.deliverable AND g.generation = a.generation
            JOIN proj_deliverables d ON d.deliverable = a.deliverable WHERE a.asset = ?1 AND a.seq <= ?2
            """, [.text(row.text(asset) ?? ""), bound]
        ).first
        var key: RateBook.Key?
        if let found, let model = found[0].string, let category = found[1].string {
            key = RateBook.Key(model: book.model(named: model, tier: tiers[model]), category: book.category(named: category))
        }
        assets.insert(print, key)
        return key
    }

    mutating func categoryIndex(_ row: SideTables.Cursor, _ deliverable: Int32) throws -> Int? {
        let print = Fingerprint(row, deliverable)
        if let known = deliverables.lookup(print) { return known }
        guard
            let category = try tables.rows(
                "SELECT category FROM proj_deliverables WHERE deliverable = ? AND seq <= ?",
                [.text(row.text(deliverable) ?? ""), bound]
            ).first?[0].string
        else { return nil }
        let index = book.category(named: category)
        deliverables.insert(print, index)
        return index
    }
}

/// A recorded request, as the routing engine reads it.
private struct RecordedRequest {
    var category: String
    var stage: String
    var modality: String
    let request: RouteRequest

    init(_ row: SideTables.Cursor, seq: UInt64) throws {
        category = row.text(3)!
        stage = row.text(4)!
        modality = row.text(5)!
        guard let stage = Stage(rawValue: stage), let modality = Modality(rawValue: modality) else {
            throw LedgerError(.damaged, "the recorded request has an unknown stage or modality", seq: seq)
        }
        var afterFailure: (model: String, failureMode: FailureMode)?
        if let model = row.text(8) {
            guard let mode = row.text(9).flatMap(FailureMode.init(rawValue:)) else {
                throw LedgerError(.damaged, "the recorded request's after_failure has no known failure mode", seq: seq)
            }
            afterFailure = (model, mode)
        }
        request = RouteRequest(
            category: category, stage: stage, modality: modality, durationSeconds: row.isNull(6) ? nil : row.double(6),
            characters: row.isNull(7) ? nil : row.int(7), afterFailure: afterFailure)
    }
}
