public import LedgerLog

/// What a pipeline asks the routing engine to decide.
public struct RouteRequest: Sendable {
    public var deliverable: String?
    public var campaign: String?
    public var category: String
    public var stage: Stage
    public var modality: Modality
    public var durationSeconds: Double?
    public var characters: Int64?
    /// Set when asking for a fallback after a failed generation.
    public var afterFailure: (model: String, failureMode: FailureMode)?

    public init(
        deliverable: String? = nil, campaign: String? = nil, category: String, stage: Stage, modality: Modality,
        durationSeconds: Double? = nil, characters: Int64? = nil, afterFailure: (model: String, failureMode: FailureMode)? = nil
    ) {
        self.deliverable = deliverable
        self.campaign = campaign
        self.category = category
        self.stage = stage
        self.modality = modality
        self.durationSeconds = durationSeconds
        self.characters = characters
        self.afterFailure = afterFailure
    }

    public init(_ f: Fields) throws {
        deliverable = try f.optionalString("deliverable")
        campaign = try f.optionalString("campaign")
        category = try f.string("category")
        stage = try f.choice("stage")
        modality = try f.choice("modality")
        durationSeconds = try f.optionalNumber("duration_seconds", min: 0)
        characters = try f.optionalInt("characters", min: 0)
        if let failure = try f.optionalObject("after_failure") {
            afterFailure = (try failure.string("model"), try failure.choice("failure_mode"))
        }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "category": .string(category), "stage": .string(stage.rawValue), "modality": .string(modality.rawValue),
        ]
        if let deliverable { object["deliverable"] = .string(deliverable) }
        if let campaign { object["campaign"] = .string(campaign) }
        if let durationSeconds { object["duration_seconds"] = .number(durationSeconds) }
        if let characters { object["characters"] = .number(Double(characters)) }
        if let afterFailure {
            object["after_failure"] = [
                "model": .string(afterFailure.model), "failure_mode": .string(afterFailure.failureMode.rawValue),
            ]
        }
        return .object(object)
    }
}

extension RouteRequest {
    /// A request read from JSON, with fields it omits taken from the deliverable it names.
    public init(completing value: JSONValue, from state: GovernanceState) throws {
        guard case .object(var members) = value else {
            throw GovernanceError(.invalidEvent, "the request must be a JSON object, not \(value.kindName)")
        }
        if let id = members["deliverable"]?.stringValue {
            guard let opened = state.deliverables[id]?.opened else {
                throw GovernanceError(.invalidEvent, "deliverable '\(id)' was never opened", field: "deliverable")
            }
            members["category"] = members["category"] ?? .string(opened.category)
            members["stage"] = members["stage"] ?? .string(opened.stage.rawValue)
            members["modality"] = members["modality"] ?? .string(opened.modality.rawValue)
            if let campaign = opened.campaign { members["campaign"] = members["campaign"] ?? .string(campaign) }
            if let duration = opened.durationSeconds {
                members["duration_seconds"] = members["duration_seconds"] ?? .number(duration)
            }
            members["characters"] = members["characters"] ?? opened.characters.map { .number(Double($0)) }
        }
        try self.init(Fields(.object(members), path: ""))
    }
}
