import LedgerLog

/// A routing table (`policies/routing/*.yaml`): which tier and model serve which requests, the
/// fallbacks for each failure mode, and when the choice should be reconsidered.
public struct RoutingTable: Sendable {
    public var name: String
    public var version: Int64
    public var modalities: [Modality]
    public var rules: [RoutingRule]

    public init(_ f: Fields) throws {
        try f.rejectUnknown(["table", "version", "author", "rationale", "modalities", "rules"])
        name = try f.string("table")
        try Identifier.check(name, f, "table")
        version = try f.int("version", min: 1)
        _ = try f.string("author")
        _ = try f.string("rationale")
        modalities = try f.choices("modalities", nonEmpty: true)
        rules = try f.eachObject("rules", nonEmpty: true, RoutingRule.init)
        var seen: Set<String> = []
        for (i, rule) in rules.enumerated() where !seen.insert(rule.id).inserted {
            throw GovernanceError(.invalidPolicy, "rule id '\(rule.id)' is used twice", field: "rules[\(i)].id")
        }
    }

    /// Every model the table names, with the field that names it.
    public var modelReferences: [(model: String, field: String)] {
        rules.enumerated().flatMap { i, rule in
            [(rule.primary, "rules[\(i)].primary")]
                + rule.fallbacks.flatMap { key, models in
                    models.enumerated().map { j, model in (model, "rules[\(i)].fallbacks.\(key)[\(j)]") }
                }
        }
    }
}

public struct RoutingRule: Sendable {
    public var id: String
    public var description: String?
    public var match: RuleMatch
    public var tier: Tier
    public var primary: String
    /// Ordered fallbacks per failure mode; the key `default` serves any mode not listed.
    public var fallbacks: [String: [String]]
    public var switching: SwitchingCriteria?

    init(_ f: Fields) throws {
        try f.rejectUnknown(["id", "description", "match", "tier", "primary", "fallbacks", "switching"])
        id = try f.string("id")
        try Identifier.check(id, f, "id")
        description = try f.optionalString("description")
        match = try RuleMatch(try f.object("match"))
        tier = try f.choice("tier")
        primary = try f.string("primary")
        var fallbacks: [String: [String]] = [:]
        if let object = try f.optionalObject("fallbacks") {
            for key in object.members.keys.sorted() {
                guard key == "default" || FailureMode(rawValue: key) != nil else {
                    throw object.error(
                        key,
                        "is not a failure mode (\(FailureMode.allCases.map(\.rawValue).joined(separator: ", "))) or 'default'")
                }
                fallbacks[key] = try object.strings(key, nonEmpty: true)
            }
        }
        self.fallbacks = fallbacks
        switching = try f.optionalObject("switching").map(SwitchingCriteria.init)
    }

    /// The fallbacks for a failure mode, in order: those listed for the mode, then `default`.
    public func fallbacks(for mode: FailureMode?) -> [String] {
        var models = mode.flatMap { fallbacks[$0.rawValue] } ?? []
        for model in fallbacks["default"] ?? [] where !models.contains(model) { models.append(model) }
        return models
    }
}

/// What a rule matches; an absent condition matches everything.
public struct RuleMatch: Sendable {
    /// Categories, or nil for any (`*`).
    public var categories: [String]?
    public var stages: [Stage]?
    public var modalities: [Modality]?
    public var durationSeconds: ClosedRange<Double>?
    public var characters: ClosedRange<Double>?

    init(_ f: Fields) throws {
        try f.rejectUnknown(["category", "stage", "modality", "duration_seconds", "characters"])
        let categories = try Self.list(f, "category")
        self.categories = categories == ["*"] ? nil : categories
        stages = try Self.list(f, "stage").map {
            try $0.map { text in
                guard let stage = Stage(rawValue: text) else { throw f.error("stage", Fields.notOneOf(text, Stage.self)) }
                return stage
            }
        }
        modalities = try Self.list(f, "modality").map {
            try $0.map { text in
                guard let modality = Modality(rawValue: text) else {
                    throw f.error("modality", Fields.notOneOf(text, Modality.self))
                }
                return modality
            }
        }
        durationSeconds = try Self.range(f, "duration_seconds")
        characters = try Self.range(f, "characters")
    }

    /// A string or a list of strings.
    private static func list(_ f: Fields, _ key: String) throws -> [String]? {
        guard f.has(key) else { return nil }
        if case .string(let single) = f.members[key] { return [single] }
        return try f.strings(key, nonEmpty: true)
    }

    private static func range(_ f: Fields, _ key: String) throws -> ClosedRange<Double>? {
        guard let object = try f.optionalObject(key) else { return nil }
        try object.rejectUnknown(["min", "max"])
        let low = try object.optionalNumber("min", min: 0) ?? 0
        let high = try object.optionalNumber("max", min: 0) ?? .greatestFiniteMagnitude
        guard low <= high else { throw object.error("max", "must not be below min") }
        return low...high
    }

    public func matches(_ request: RouteRequest) -> (Bool, String) {
        if let categories, !categories.contains(request.category) {
            return (false, "category \(request.category) not in \(categories)")
        }
        if let stages, !stages.contains(request.stage) { return (false, "stage \(request.stage.rawValue) not matched") }
        if let modalities, !modalities.contains(request.modality) {
            return (false, "modality \(request.modality.rawValue) not matched")
        }
        if let durationSeconds {
            guard let duration = request.durationSeconds, durationSeconds.contains(duration) else {
                return (false, "duration outside \(durationSeconds.lowerBound)...\(durationSeconds.upperBound) s")
            }
        }
        if let characters {
            guard characters.contains(Double(request.characters ?? 0)) else { return (false, "character count outside range") }
        }
        return (true, "matched")
    }
}

/// When a routing choice should move, in words and as thresholds the quarterly review checks.
public struct SwitchingCriteria: Sendable {
    public var criteria: String
    public var regenerationMultiplierAbove: Double?
    public var acceptanceRateBelow: Double?
    public var failureRateAbove: Double?
    public var p95LatencySecondsAbove: Double?

    init(_ f: Fields) throws {
        try f.rejectUnknown(["criteria", "thresholds"])
        criteria = try f.string("criteria")
        let t = try f.object("thresholds")
        try t.rejectUnknown([
            "regeneration_multiplier_above", "acceptance_rate_below", "failure_rate_above", "p95_latency_seconds_above",
        ])
        regenerationMultiplierAbove = try t.optionalNumber("regeneration_multiplier_above", min: 1)
        acceptanceRateBelow = try t.optionalNumber("acceptance_rate_below", min: 0)
        failureRateAbove = try t.optionalNumber("failure_rate_above", min: 0)
        p95LatencySecondsAbove = try t.optionalNumber("p95_latency_seconds_above", min: 0)
    }
}

extension RoutingTable {
    /// What a described `routing.table_published` carries (`Fields.isDescribing`): never read.
    static let described: RoutingTable = {
        let document: JSONValue = [
            "table": "described", "version": 1, "author": "x", "rationale": "x", "modalities": ["text-to-image"],
            "rules": [["id": "x", "match": [:], "tier": "budget", "primary": "x"]],
        ]
        return try! RoutingTable(Fields(document, path: "document", code: .invalidPolicy))
    }()
}
