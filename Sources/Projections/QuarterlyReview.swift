public import Governance
import LedgerLog

/// A calendar quarter, `YYYY-Qn`.
public struct Quarter: Sendable, Hashable, CustomStringConvertible {
    public let year: Int
    public let number: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), parts[1].count == 2, parts[1].first == "Q",
            let number = Int(parts[1].dropFirst()), (1...4).contains(number)
        else { return nil }
        (self.year, self.number) = (year, number)
    }

    init(year: Int, number: Int) { (self.year, self.number) = (year, number) }

    public var description: String { "\(year)-Q\(number)" }
    public var previous: Quarter { number == 1 ? Quarter(year: year - 1, number: 4) : Quarter(year: year, number: number - 1) }
    /// First instant, inclusive, and the next quarter's first instant, exclusive, as RFC 3339 text.
    public var bounds: (start: String, end: String) {
        let startMonth = (number - 1) * 3 + 1
        let endYear = number == 4 ? year + 1 : year
        let endMonth = number == 4 ? 1 : startMonth + 3
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return ("\(Self.padded(year))-\(pad(startMonth))-01T00:00:00.000000Z", "\(Self.padded(endYear))-\(pad(endMonth))-01T00:00:00.000000Z")
    }

    /// A year in four digits (year 1 is 0001), as RFC 3339 and CalendarDate write it.
    static func padded(_ year: Int) -> String {
        let digits = String(year)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The quarter's first and last day.
    public var days: (first: CalendarDate, last: CalendarDate) {
        let firstMonth = (number - 1) * 3 + 1
        let lastDay = number == 1 || number == 4 ? 31 : 30
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = Self.padded(self.year)
        return (CalendarDate("\(year)-\(pad(firstMonth))-01")!, CalendarDate("\(year)-\(pad(firstMonth + 2))-\(lastDay)")!)
    }
}

/// One model's quarter, computed from the projections. Definitions (docs/REPORTS.md):
/// - volume: generations requested on the model with `occurred_at` in the quarter;
/// - failure rate: failed / (completed + failed) of those;
/// - acceptance rate: accepted / reviewed, over reviews of the outputs those generations made;
/// - regeneration multiplier: volume / accepted outputs (attempts per acceptable result);
/// - true cost per acceptable deliverable: (generation spend on those generations + refinement,
///   review-time and opportunity costs recorded against their outputs or anything refined from
///   them) / accepted outputs, i.e. cost per attempt × multiplier + refinement + time per accepted.
public struct ModelQuarter: Sendable, Equatable {
    public var model: String
    /// The deliverable category, when figures are kept per category and model.
    public var category: String?
    public var volume = 0
    public var completed = 0
    public var failed = 0
    public var failureModes: [String: Int] = [:]
    public var fallbacksOut = 0
    public var fallbacksIn = 0
    public var reviewed = 0
    public var accepted = 0
    public var latenciesMilliseconds: [Int64] = []
    public var generationMicros: Int64 = 0
    public var refinementMicros: Int64 = 0
    public var reviewTimeMicros: Int64 = 0
    public var opportunityMicros: Int64 = 0
    /// Review time and opportunity together: the people's time an output cost.
    public var timeMicros: Int64 { reviewTimeMicros + opportunityMicros }
    /// seqs of the generation requests counted, for citation.
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?

    public init(model: String, category: String? = nil) {
        self.model = model
        self.category = category
    }

    public var failureRate: Double? { completed + failed == 0 ? nil : Double(failed) / Double(completed + failed) }
    public var acceptanceRate: Double? { reviewed == 0 ? nil : Double(accepted) / Double(reviewed) }
    public var regenerationMultiplier: Double? { accepted == 0 ? nil : Double(volume) / Double(accepted) }
    public var spendMicros: Int64 { generationMicros + refinementMicros + timeMicros }
    public var costPerAttemptMicros: Double? { volume == 0 ? nil : Double(generationMicros) / Double(volume) }
    public var trueCostPerAcceptedMicros: Double? { accepted == 0 ? nil : Double(spendMicros) / Double(accepted) }
    public var p50: Int64? { Self.percentile(latenciesMilliseconds, 50) }
    public var p95: Int64? { Self.percentile(latenciesMilliseconds, 95) }

    /// Nearest-rank percentile.
    public static func percentile(_ values: [Int64], _ p: Int) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((Double(p) / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}

/// A price or version change of a model inside the quarter.
public struct ModelChange: Sendable, Equatable {
    /// The model, or the routing table, that changed.
    public var model: String
    public var seq: UInt64
    /// price, version, status or routing table.
    public var kind: String
    public var what: String
}

extension Projections {
    /// Every model's figures for a quarter, as the ledger stood at `asOf`.
    public func modelQuarters(_ quarter: Quarter, asOf: UInt64) throws -> [String: ModelQuarter] {
        try modelQuarters([quarter], asOf: asOf)[0]
    }

    /// Several quarters in one pass over reviews and costs (the review compares two). Keyed by
    /// model, or with `perCategory` by category and model (`category/model`).
    public func modelQuarters(_ quarters: [Quarter], asOf: UInt64, perCategory: Bool = false) throws -> [[String: ModelQuarter]] {
        try catchUp()
        let ranges = quarters.map(\.bounds)
        let start = ranges.map(\.start).min() ?? ""
        let end = ranges.map(\.end).max() ?? ""
        func quarterIndex(_ at: String) -> Int? { ranges.firstIndex { at >= $0.start && at < $0.end } }
        return try ledger.withSideTables(write: false) { tables in
            let bound: SideTables.Value = .integer(Int64(asOf))
            var models = [[String: ModelQuarter]](repeating: [:], count: quarters.count)
            var generationModel: [String: (Int, String)] = [:]  // deliverable/generation → quarter, model
            var assetModel: [String: (Int, String)] = [:]  // output asset → quarter, model
            for row in try tables.rows(
                """
                SELECT g.seq, g.deliverable, g.generation, g.model, o.outcome, o.failure_mode, o.latency_ms, o.asset, g.occurred_at,
                       d.category
                FROM proj_generations g
                LEFT JOIN proj_generation_outcomes o ON o.deliverable = g.deliverable AND o.generation = g.generation AND o.seq <= ?1
                LEFT JOIN proj_deliverables d ON d.deliverable = g.deliverable AND d.seq <= ?1
                WHERE g.seq <= ?1 AND g.occurred_at >= ?2 AND g.occurred_at < ?3 ORDER BY g.seq
                """, [bound, .text(start), .text(end)])
            {
                guard let q = quarterIndex(row[8].string!) else { continue }
                let category = perCategory ? row[9].string ?? "?" : nil
                let model = category.map { "\($0)/\(row[3].string!)" } ?? row[3].string!
                let key = "\(row[1].string!)/\(row[2].string!)"
                generationModel[key] = (q, model)
                var figures = models[q][model] ?? ModelQuarter(model: row[3].string!, category: category)
                let seq = UInt64(row[0].int!)
                figures.volume += 1
                figures.firstSeq = figures.firstSeq ?? seq
                figures.lastSeq = seq
                switch row[4].string {
                case "completed":
                    figures.completed += 1
                    if let latency = row[6].int { figures.latenciesMilliseconds.append(latency) }
                    if let asset = row[7].string { assetModel[asset] = (q, model) }
                case "failed":
                    figures.failed += 1
                    figures.failureModes[row[5].string ?? "unknown", default: 0] += 1
                default: break
                }
                models[q][model] = figures
            }
            // Refined outputs belong to the model whose output they refine.
            var source: [String: String] = [:]
            for row in try tables.rows(
                "SELECT asset, source_asset FROM proj_assets WHERE seq <= ? AND source_asset IS NOT NULL", [bound])
            {
                source[row[0].string!] = row[1].string!
            }
            func owner(_ asset: String) -> (Int, String)? {
                var current = asset
                for _ in 0..<64 {
                    if let model = assetModel[current] { return model }
                    guard let next = source[current] else { return nil }
                    current = next
                }
                return nil
            }
            for row in try tables.rows("SELECT asset, verdict FROM proj_reviews WHERE seq <= ?", [bound]) {
                // Acceptance counts reviews of the generated outputs themselves, not of refinements.
                guard let (q, model) = assetModel[row[0].string!] else { continue }
                models[q][model]?.reviewed += 1
                if row[1].string == "accepted" { models[q][model]?.accepted += 1 }
            }
            for row in try tables.rows(
                "SELECT deliverable, kind, micros, generation, asset FROM proj_costs WHERE seq <= ?", [bound])
            {
                let micros = row[2].int!
                switch row[1].string {
                case "generation":
                    if let generation = row[3].string, let (q, model) = generationModel["\(row[0].string!)/\(generation)"] {
                        models[q][model]?.generationMicros += micros
                    }
                case "refinement":
                    if let asset = row[4].string, let (q, model) = owner(asset) { models[q][model]?.refinementMicros += micros }
                default:
                    guard let asset = row[4].string, let (q, model) = owner(asset) else { break }
                    if row[1].string == CostKind.opportunity.rawValue {
                        models[q][model]?.opportunityMicros += micros
                    } else {
                        models[q][model]?.reviewTimeMicros += micros
                    }
                }
            }
            for row in try tables.rows(
                "SELECT deliverable, generation, from_model, to_model FROM proj_fallbacks WHERE seq <= ?", [bound])
            {
                guard let (q, from) = generationModel["\(row[0].string!)/\(row[1].string!)"] else { continue }
                let category = models[q][from]?.category
                let to = category.map { "\($0)/\(row[3].string!)" } ?? row[3].string!
                models[q][from]?.fallbacksOut += 1
                if models[q][to] == nil { models[q][to] = ModelQuarter(model: row[3].string!, category: category) }
                models[q][to]?.fallbacksIn += 1
            }
            return models
        }
    }

    /// What changed in the quarter: model prices and versions (not the ones a registration
    /// set), statuses, and routing-table versions, by effective or occurred date in the quarter.
    public func modelChanges(_ quarter: Quarter, asOf: UInt64) throws -> [ModelChange] {
        try catchUp()
        let (start, end) = quarter.bounds
        let (from, to) = (String(start.prefix(10)), String(end.prefix(10)))
        return try ledger.withSideTables(write: false) { tables in
            let window: [SideTables.Value] = [.integer(Int64(asOf)), .text(from), .text(to)]
            var changes: [ModelChange] = []
            let registered = "NOT EXISTS (SELECT 1 FROM proj_model_registrations r WHERE r.seq = p.seq)"
            for row in try tables.rows(
                "SELECT seq, model, unit, micros, currency, effective, reason FROM proj_model_prices p WHERE seq <= ?1 AND effective >= ?2 AND effective < ?3 AND \(registered) ORDER BY seq",
                window)
            {
                let amount = Money(micros: row[3].int!, currency: Currency(rawValue: row[4].string!) ?? .USD)
                changes.append(
                    ModelChange(
                        model: row[1].string!, seq: UInt64(row[0].int!), kind: "price",
                        what: "\(amount.amount) \(amount.currency.rawValue) \(row[2].string!) from \(row[5].string!)"
                            + (row[6].string.map { ": \($0)" } ?? "")))
            }
            for row in try tables.rows(
                "SELECT seq, model, version, effective, reason FROM proj_model_versions p WHERE seq <= ?1 AND effective >= ?2 AND effective < ?3 AND \(registered) ORDER BY seq",
                window)
            {
                changes.append(
                    ModelChange(
                        model: row[1].string!, seq: UInt64(row[0].int!), kind: "version",
                        what: "\(row[2].string!) from \(row[3].string!)" + (row[4].string.map { ": \($0)" } ?? "")))
            }
            for row in try tables.rows(
                "SELECT seq, model, status, failure_mode, effective, reason FROM proj_model_statuses WHERE seq <= ?1 AND effective >= ?2 AND effective < ?3 ORDER BY seq",
                window)
            {
                changes.append(
                    ModelChange(
                        model: row[1].string!, seq: UInt64(row[0].int!), kind: "status",
                        what: "\(row[2].string!)\(row[3].string.map { " (\($0))" } ?? "") from \(row[4].string!): \(row[5].string!)"))
            }
            for row in try tables.rows(
                "SELECT seq, table_name, version, author, rationale, occurred_at FROM proj_routing_tables WHERE seq <= ?1 AND occurred_at >= ?2 AND occurred_at < ?3 ORDER BY seq",
                window)
            {
                changes.append(
                    ModelChange(
                        model: "routing table \(row[1].string!)", seq: UInt64(row[0].int!), kind: "routing table",
                        what: "v\(row[2].int!) published \(row[5].string!.prefix(10)) by \(row[3].string!): \(row[4].string!)"))
            }
            return changes.sorted { $0.seq < $1.seq }
        }
    }
}
