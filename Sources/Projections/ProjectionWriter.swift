import Governance
import LedgerLog

/// Folds recorded events into the projection tables: one deterministic function of the event.
struct ProjectionWriter {
    let tables: SideTables
    private var inserts: [String: SideTables.Prepared] = [:]

    /// Prepares one INSERT per table, against the tables as they are now (main, or the temp
    /// scratch copies `Projections.check` creates first).
    init(tables: SideTables) throws {
        self.tables = tables
        for projection in ProjectionSchema.projections {
            for table in projection.tables {
                let count = ProjectionSchema.columnNames(table.columns).count
                inserts[table.name] = try tables.prepare(
                    "INSERT INTO \(table.name) VALUES (\(Array(repeating: "?", count: count).joined(separator: ",")))")
            }
        }
    }

    /// One row for one table.
    struct Row: Sendable {
        var table: String
        var values: [SideTables.Value]
    }

    func apply(_ recorded: RecordedEvent) throws {
        for row in try Self.rows(for: recorded) { try inserts[row.table]!.run(row.values) }
    }

    /// The rows an event adds: a pure function of the event.
    static func rows(for recorded: RecordedEvent) throws -> [Row] {
        var rows: [Row] = []
        func insert(_ table: String, _ values: [SideTables.Value]) { rows.append(Row(table: table, values: values)) }
        let payload = try JSONParser.parse(recorded.payloadBytes)
        let event = try DomainEvent.decode(type: recorded.type, stream: recorded.stream, payload: payload, allowGateRecord: true)
        let seq = SideTables.Value.integer(Int64(recorded.seq))
        let at = SideTables.Value.text(recorded.occurredAt)
        func text(_ value: String?) -> SideTables.Value { value.map { .text($0) } ?? .null }
        func int(_ value: Int64?) -> SideTables.Value { value.map { .integer($0) } ?? .null }

        if let gate = payload["gate"] {
            insert(
                "proj_gate_records",
                [
                    seq, .text(recorded.type), text(payload["deliverable"]?.stringValue), text(gate["policy"]?.stringValue),
                    .integer(gate["version"]?.integerValue ?? 0), .text(gate["outcome"]?.stringValue ?? "allowed"),
                ])
        }
        switch event {
        case .modelRegistered(let e):
            insert(
                "proj_model_registrations",
                [seq, .text(e.model), .text(e.provider), .text(e.version), .text(e.tier.rawValue), at])
            insert("proj_model_prices", Self.price(seq, e.model, e.price, reason: nil))
        case .modelPricingChanged(let e):
            insert("proj_model_prices", Self.price(seq, e.model, e.price, reason: e.reason))
        case .modelVersionChanged(let e):
            insert(
                "proj_model_versions", [seq, .text(e.model), .text(e.version), .text(e.effective.description), text(e.reason)])
        case .modelStatusChanged(let e):
            insert(
                "proj_model_statuses",
                [
                    seq, .text(e.model), .text(e.status.rawValue), text(e.failureMode?.rawValue), .text(e.effective.description),
                    .text(e.reason),
                ])
        case .modelReviewCompleted(let e):
            insert(
                "proj_model_reviews", [seq, .text(e.model), .text(e.quarter), .text(e.decision.rawValue), .text(e.reviewer)])
        case .routingTablePublished(let e):
            insert(
                "proj_routing_tables",
                [
                    seq, .text(e.table.name), .integer(e.table.version), .text(e.author), .text(e.rationale), .text(e.digest),
                    .text(CanonicalJSON.string(of: payload["document"]!)), at,
                ])
        case .policyPublished(let e):
            insert(
                "proj_policies",
                [
                    seq, .text(e.policy.name), .integer(e.policy.version), .text(e.digest), .text(e.author),
                    .text(CanonicalJSON.string(of: payload["document"]!)),
                ])
        case .templateVersioned(let e):
            insert("proj_templates", [seq, .text(e.template), .integer(e.version)])
        case .campaignOpened(let e):
            insert("proj_campaigns", [seq, .text(e.campaign), .text(e.name)])
        case .deliverableOpened(let e):
            insert(
                "proj_deliverables",
                [
                    seq, .text(e.deliverable), text(e.campaign), .text(e.category), .text(e.stage.rawValue),
                    .text(e.modality.rawValue),
                ])
        case .seedLocked(let e):
            insert("proj_seeds", [seq, .text(e.scope.rawValue), .text(e.subject), .integer(e.seed)])
        case .routingDecided(let e):
            insert(
                "proj_routing_decisions",
                [
                    seq, .text(e.decision), text(e.request.deliverable), .text(e.table), .integer(e.tableVersion), .text(e.rule),
                    .text(e.model),
                    text(payload["fallback_from"]?["model"]?.stringValue),
                ])
        case .generationRequested(let e):
            insert(
                "proj_generations",
                [
                    seq, .text(e.deliverable), .text(e.generation), .integer(e.attempt), .text(e.model), .text(e.modelVersion),
                    .text(e.template),
                    .integer(e.templateVersion), .integer(e.seed), .text(e.routingDecision), text(e.fallbackFrom), at,
                ])
            for reference in e.references {
                insert("proj_references", [seq, .text(e.generation), .text(reference.asset), .text(reference.role.rawValue)])
            }
        case .generationCompleted(let e):
            insert(
                "proj_generation_outcomes",
                [
                    seq, .text(e.deliverable), .text(e.generation), .text("completed"), .null, .integer(e.latencyMilliseconds),
                    .text(e.asset),
                ])
            insert("proj_assets", [seq, .text(e.asset), .text(e.deliverable), .text(e.generation), .null, .null, .null])
        case .generationFailed(let e):
            insert(
                "proj_generation_outcomes",
                [
                    seq, .text(e.deliverable), .text(e.generation), .text("failed"), .text(e.failureMode.rawValue),
                    int(e.latencyMilliseconds), .null,
                ])
        case .fallbackTriggered(let e):
            insert(
                "proj_fallbacks",
                [
                    seq, .text(e.deliverable), .text(e.generation), .text(e.fromModel), .text(e.toModel),
                    .text(e.failureMode.rawValue), .text(e.table), .text(e.rule),
                ])
        case .regenerationRequested(let e):
            insert(
                "proj_regenerations", [seq, .text(e.deliverable), .integer(e.attempt ?? 0), .text(e.priorAsset), .text(e.reason)])
        case .policyDenied(let e):
            insert(
                "proj_denials",
                [
                    seq, text(e.deliverable), .text(e.policy), .integer(e.version), .text(e.rule),
                    .text(payload["action"]?.stringValue ?? ""),
                    .text(payload["judged"]?["type"]?.stringValue ?? ""),
                ])
        case .policyOverrideGranted(let e):
            insert(
                "proj_overrides",
                [seq, .text(e.deliverable), .text(e.rule), .text(e.approver), int(e.extraAttempts), int(e.extraBudget?.micros)])
        case .refinementApplied(let e):
            insert(
                "proj_assets",
                [
                    seq, .text(e.outputAsset), .text(e.deliverable), .null, .text(e.inputAsset), .text(e.step.rawValue),
                    .text(e.model),
                ])
        case .assetReviewed(let e):
            insert("proj_reviews", [seq, .text(e.deliverable), .text(e.asset), .text(e.verdict.rawValue), .text(e.reviewer)])
        case .deliverableDelivered(let e):
            insert("proj_deliveries", [seq, .text(e.deliverable), .text(e.asset)])
        case .costRecorded(let e):
            insert(
                "proj_costs",
                [
                    seq, .text(e.deliverable), .text(e.kind.rawValue), .integer(e.amount.micros),
                    .text(e.amount.currency.rawValue), text(e.generation), text(e.asset), at,
                ])
        }
        return rows
    }

    static func price(_ seq: SideTables.Value, _ model: String, _ price: Price, reason: String?) -> [SideTables.Value] {
        [
            seq, .text(model), .text(price.unit.rawValue), .integer(price.amount.micros), .text(price.amount.currency.rawValue),
            .text(price.effective.description), reason.map { .text($0) } ?? .null,
        ]
    }
}
