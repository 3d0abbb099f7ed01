import LedgerLog

/// `policies/models.yaml`: the models a studio may route to, with their price history.
public struct ModelCatalog: Sendable {
    public var name: String
    public var models: [ModelSpec]

    public init(_ f: Fields) throws {
        try f.rejectUnknown(["catalog", "as_of", "note", "models"])
        name = try f.string("catalog")
        _ = try f.date("as_of")
        models = try f.eachObject("models", nonEmpty: true, ModelSpec.init)
        var seen: Set<String> = []
        for (i, model) in models.enumerated() where !seen.insert(model.id).inserted {
            throw GovernanceError(.invalidPolicy, "model '\(model.id)' is listed twice", field: "models[\(i)].id")
        }
    }
}

/// One catalog entry.
public struct ModelSpec: Sendable {
    public var id, provider, version: String
    public var tier: Tier
    public var modalities: [Modality]
    /// Oldest first; at least one.
    public var prices: [Price]
    public var status: ModelStatus
    public var failureMode: FailureMode?
    public var statusReason: String?

    init(_ f: Fields) throws {
        try f.rejectUnknown([
            "id", "provider", "version", "tier", "modalities", "prices", "status", "failure_mode", "status_reason", "notes",
        ])
        id = try f.string("id")
        try Identifier.check(id, f, "id")
        provider = try f.string("provider")
        version = try f.string("version")
        tier = try f.choice("tier")
        modalities = try f.choices("modalities", nonEmpty: true)
        prices = try f.objects("prices", nonEmpty: true).map { p in
            try p.rejectUnknown(["effective", "unit", "amount", "currency", "credits"])
            return try Price(p, effective: try p.date("effective"))
        }
        for i in prices.indices.dropFirst() where !(prices[i - 1].effective < prices[i].effective) {
            throw GovernanceError(
                .invalidPolicy, "prices must be in increasing effective-date order", field: "\(f.path("prices"))[\(i)].effective")
        }
        status = try f.optionalChoice("status") ?? .active
        failureMode = try f.optionalChoice("failure_mode")
        statusReason = try f.optionalString("status_reason")
        if status != .active && statusReason == nil {
            throw f.error("status_reason", "required when status is \(status.rawValue)")
        }
        if status == .degraded && failureMode == nil {
            throw f.error("failure_mode", "required when status is degraded: it picks the routing fallback")
        }
    }
}

/// Ids of models, tables, rules and policies appear in stream names: keep them to a safe alphabet.
enum Identifier {
    static func check(_ text: String, _ f: Fields, _ key: String) throws {
        let allowed = text.utf8.allSatisfy { b in
            (48...57).contains(b) || (97...122).contains(b) || (65...90).contains(b) || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "_")
        }
        guard allowed, text.utf8.count <= 64 else {
            throw f.error(key, "'\(text)' must be at most 64 letters, digits, '-', '.' or '_'")
        }
    }
}
