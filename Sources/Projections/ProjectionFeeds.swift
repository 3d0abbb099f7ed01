import Governance
import LedgerLog

/// How events become projection rows: for each table, the event types that add rows to it and,
/// column by column, the SQL expression that reads the value from the event. The statements run
/// straight over the log's rows (`SideTables.run`). Payload fields are statement parameters that
/// `SideTables` fills from one pass over each payload, shared by every statement of the event
/// (asking the store's JSON operators instead parsed the payload again for every column); only
/// arrays that add several rows go through the store's JSON (`json_each`), over the array's own
/// text. Nothing is decoded into Swift values. A projection is therefore a pure function of the
/// events, declared in one place.
struct ProjectionFeeds {
    /// The store's way of reading JSON and typing values.
    let dialect: SQLDialect

    struct Feed {
        var types: [EventType]
        var table: String
        var values: [String]
        /// A table-valued source for events that add several rows (`json_each` over an array),
        /// with the bytes its payloads must contain to add any (see `SideTables.feed`).
        var from: (source: String, requiring: String)? = nil
        /// Skip the event, adding no row, when a NOT NULL column comes out NULL.
        var skipsWhenNull = false
        /// Add no row when the table's UNIQUE column already holds the value: the first event
        /// that names a value keeps it. The payload member the value comes from: an event that
        /// repeats a value the fold already ran the statement for skips it (`SideTables.feed`).
        var keepsFirstOf: String? = nil
        var keepsFirst: Bool { keepsFirstOf != nil }

        func sql(_ dialect: SQLDialect) -> String {
            // Each value in its column's type (PostgreSQL does not convert text to numbers on insert).
            let types = ProjectionSchema.columnTypes(of: table)
            let typed = values.enumerated().map { index, value in
                index < types.count ? dialect.typed(value, as: types[index]) : value
            }.joined(separator: ", ")
            if let from { return "INSERT INTO \(table) SELECT \(typed) FROM \(from.source)" }
            if skipsWhenNull && dialect.store != .sqlite {
                // SQLite's OR IGNORE skips a row that breaks NOT NULL; elsewhere, filter it out.
                let columns = ProjectionSchema.columnDefinitions(of: table)
                let named = typed.isEmpty ? "" : zip(values.indices, columns).map { index, column in
                    "\(index < types.count ? dialect.typed(values[index], as: types[index]) : values[index]) AS \(column.name)"
                }.joined(separator: ", ")
                let required = columns.filter(\.notNull).map { "\($0.name) IS NOT NULL" }.joined(separator: " AND ")
                return "INSERT INTO \(table) SELECT * FROM (SELECT \(named)) AS row WHERE \(required)\(keepsFirst ? " ON CONFLICT DO NOTHING" : "")"
            }
            if keepsFirst && dialect.store != .sqlite { return "INSERT INTO \(table) VALUES (\(typed)) ON CONFLICT DO NOTHING" }
            // A single-row VALUES insert costs SQLite far less than INSERT … SELECT. Its OR IGNORE
            // skips a row that breaks NOT NULL or UNIQUE.
            return "INSERT \(skipsWhenNull || keepsFirst ? "OR IGNORE " : "")INTO \(table) VALUES (\(typed))"
        }
    }

    // The event's envelope fields, and its payload's fields by JSON path.
    let seq = ":seq"
    let occurredAt = ":occurred_at"
    /// A payload field: the feeds of an event read all their fields in one pass over its payload
    /// (`SideTables.EventFeed`), not once per expression.
    func field(_ path: String) -> String { dialect.payloadField(path) }
    /// An object or array field as canonical JSON text (the payload is canonical, so are its parts).
    func json(_ path: String) -> String { dialect.payloadJSON(path) }
    func has(_ path: String) -> String { dialect.payloadHas(path) }
    /// One row per element of the payload's array at `path`.
    func elements(_ path: String, as alias: String) -> String { dialect.elements(ofArray: json(path), as: alias) }
    /// A decimal amount in micro-units, rounded as `Money` rounds it.
    func micros(_ path: String) -> String { dialect.micros(field(path)) }
    func literal(_ text: String) -> String { "'\(text)'" }
    /// The seq of the first gate record that listed the same rules as this event's
    /// (`proj_rule_sets`); NULL when the record lists none.
    var ruleSet: String { "(SELECT seq FROM proj_rule_sets WHERE rules = \(json("gate.rules")))" }
    /// True when the element `alias` names a rule the gate record lists. `EXISTS`, not
    /// `IN (SELECT …)`: SQLite fills an ephemeral table for an IN subquery at every execution
    /// of the statement (PerEventStatementTests).
    func listed(_ alias: String) -> String {
        "EXISTS (SELECT 1 FROM \(elements("gate.rules", as: "l")) WHERE \(dialect.element("l")) = \(dialect.element(alias, member: "rule")))"
    }
    let null = "NULL"

    var all: [Feed] { [
        // catalog
        Feed(
            types: [.modelRegistered], table: "proj_model_registrations",
            values: [seq, field("model"), field("provider"), field("version"), field("tier"), occurredAt]),
        Feed(
            types: [.modelRegistered, .modelPricingChanged], table: "proj_model_prices",
            values: [
                seq, field("model"), field("pricing.unit"), micros("pricing.amount"), field("pricing.currency"),
                field("effective"), field("reason"),
            ]),
        Feed(
            types: [.modelVersionChanged], table: "proj_model_versions",
            values: [seq, field("model"), field("version"), field("effective"), field("reason")]),
        Feed(
            types: [.modelStatusChanged], table: "proj_model_statuses",
            values: [seq, field("model"), field("status"), field("failure_mode"), field("effective"), field("reason")]),
        Feed(
            types: [.modelReviewCompleted], table: "proj_model_reviews",
            values: [seq, field("model"), field("quarter"), field("decision"), field("reviewer")]),
        // routing
        Feed(
            types: [.routingTablePublished], table: "proj_routing_tables",
            values: [
                seq, field("table"), field("version"), field("author"), field("rationale"), field("digest"), json("document"),
                occurredAt,
            ]),
        Feed(
            types: [.routingDecided], table: "proj_routing_decisions",
            values: [
                seq, field("decision"), field("request.deliverable"), field("table"), field("table_version"), field("rule"),
                field("model"), field("fallback_from.model"), field("tier"), field("request.campaign"),
                field("request.category"), field("request.stage"), field("request.modality"),
                field("request.duration_seconds"), field("request.characters"), field("request.after_failure.model"),
                field("request.after_failure.failure_mode"), occurredAt,
            ]),
        Feed(
            types: [.fallbackTriggered], table: "proj_fallbacks",
            values: [
                seq, field("deliverable"), field("generation"), field("from_model"), field("to_model"), field("failure_mode"),
                field("table"), field("rule"),
            ]),
        // production
        Feed(types: [.campaignOpened], table: "proj_campaigns", values: [seq, field("campaign"), field("name")]),
        Feed(
            types: [.deliverableOpened], table: "proj_deliverables",
            values: [seq, field("deliverable"), field("campaign"), field("category"), field("stage"), field("modality")]),
        Feed(
            types: [.seedLocked], table: "proj_seeds",
            // The subject sits under the scope's own name: `campaign` or `deliverable`.
            values: [seq, field("scope"), dialect.member(named: field("scope"), of: ":payload"), field("seed")]),
        Feed(types: [.templateVersioned], table: "proj_templates", values: [seq, field("template"), field("version")]),
        Feed(
            types: [.generationRequested], table: "proj_generations",
            values: [
                seq, field("deliverable"), field("generation"), field("attempt"), field("model"), field("model_version"),
                field("template"), field("template_version"), field("seed"), field("routing_decision"),
                field("fallback_from.generation"), occurredAt,
            ]),
        Feed(
            types: [.generationRequested], table: "proj_references",
            values: [seq, field("generation"), dialect.element("e", member: "asset"), dialect.element("e", member: "role")],
            from: (elements("references", as: "e"), requiring: "\"references\"")),
        Feed(
            types: [.generationCompleted], table: "proj_generation_outcomes",
            values: [
                seq, field("deliverable"), field("generation"), literal("completed"), null, field("latency_ms"), field("asset"),
            ]),
        Feed(
            types: [.generationFailed], table: "proj_generation_outcomes",
            values: [
                seq, field("deliverable"), field("generation"), literal("failed"), field("failure_mode"), field("latency_ms"),
                null,
            ]),
        Feed(
            types: [.generationCompleted], table: "proj_assets",
            values: [seq, field("asset"), field("deliverable"), field("generation"), null, null, null, field("asset_sha256")]),
        Feed(
            types: [.refinementApplied], table: "proj_assets",
            values: [
                seq, field("output_asset"), field("deliverable"), null, field("input_asset"), field("step"), field("model"),
                field("output_sha256"),
            ]),
        Feed(
            types: [.assetReviewed], table: "proj_reviews",
            values: [seq, field("deliverable"), field("asset"), field("verdict"), field("reviewer")]),
        Feed(
            types: [.regenerationRequested], table: "proj_regenerations",
            // The gate numbers an attempt the pipeline left out; 0 marks one recorded without.
            values: [seq, field("deliverable"), dialect.orZero(field("attempt")), field("prior_asset"), field("reason")]),
        Feed(types: [.deliverableDelivered], table: "proj_deliveries", values: [seq, field("deliverable"), field("asset")]),
        // costs
        Feed(
            types: [.costRecorded], table: "proj_costs",
            values: [
                seq, field("deliverable"), field("kind"), micros("amount"), field("currency"), field("generation"),
                field("asset"), occurredAt,
            ]),
        // governance
        Feed(
            types: [.policyPublished], table: "proj_policies",
            values: [seq, field("policy"), field("version"), field("digest"), field("author"), json("document")]),
        Feed(
            // Each list of rules gate records name, once, under the seq of the first record that
            // named it: a record points at its list (`rules_seq`) rather than adding a row per rule.
            types: EventType.allCases.filter(\.isGated), table: "proj_rule_sets", values: [seq, json("gate.rules")],
            skipsWhenNull: true, keepsFirstOf: "gate.rules"),
        Feed(
            // A gated event has a gate record when it came through the gate; one appended past it
            // (straight into the log) has none and adds no row: its outcome, the one NOT NULL
            // column that can come out NULL, is NULL then. Every rule it lists that has no row in
            // `proj_rule_results` allowed the event.
            types: EventType.allCases.filter(\.isGated), table: "proj_gate_records",
            values: [
                seq, ":type", field("deliverable"), field("gate.policy"), dialect.orZero(field("gate.version")),
                "CASE WHEN \(has("gate")) THEN coalesce(\(field("gate.outcome")), 'allowed') END", ruleSet, occurredAt,
            ],
            skipsWhenNull: true),
        Feed(
            // Every finding of a gate record (a rule that did not simply pass) for a rule it lists.
            types: EventType.allCases.filter(\.isGated), table: "proj_rule_results",
            values: [
                seq, ":type", field("deliverable"), dialect.element("f", member: "rule"), dialect.element("f", member: "result"),
                dialect.element("f", member: "action"), dialect.element("f", member: "reason"),
                "coalesce(\(field("gate.mode")), 'enforce')", occurredAt, ruleSet,
            ],
            from: ("\(elements("gate.findings", as: "f")) WHERE \(listed("f"))", requiring: "\"findings\"")),
        Feed(
            // Records written before findings name their warnings only.
            types: EventType.allCases.filter(\.isGated), table: "proj_rule_results",
            values: [
                seq, ":type", field("deliverable"), dialect.element("w", member: "rule"), literal("warned"), null,
                dialect.element("w", member: "reason"), "coalesce(\(field("gate.mode")), 'enforce')", occurredAt, ruleSet,
            ],
            from: ("\(elements("gate.warnings", as: "w")) WHERE NOT \(has("gate.findings")) AND \(listed("w"))", requiring: "\"warnings\"")),
        Feed(
            types: [.policyDenied], table: "proj_rule_results",
            values: [
                seq, field("judged.type"), field("deliverable"), dialect.element("f", member: "rule"),
                dialect.element("f", member: "result"), dialect.element("f", member: "action"),
                dialect.element("f", member: "reason"), literal("enforce"), occurredAt, null,
            ],
            from: (elements("findings", as: "f"), requiring: "\"findings\"")),
        Feed(
            // A denial recorded before findings were: its one rule.
            types: [.policyDenied], table: "proj_rule_results",
            values: [
                seq, "coalesce(\(field("judged.type")), '')", field("deliverable"),
                "CASE WHEN NOT \(has("findings")) THEN \(field("rule")) END", literal("denied"),
                field("action"), field("reason"), literal("enforce"), occurredAt, null,
            ],
            skipsWhenNull: true),
        Feed(
            types: [.policyDenied], table: "proj_denials",
            values: [
                seq, field("deliverable"), field("policy"), field("version"), field("rule"),
                "coalesce(\(field("action")), '')", "coalesce(\(field("judged.type")), '')",
            ]),
        Feed(
            types: [.replayCompleted], table: "proj_replays",
            values: [
                seq, field("table"), field("candidate_version"), field("candidate_digest"), field("source"),
                field("requests"), field("changed"), field("unroutable"), field("before.spend"), field("after.spend"),
                field("currency"), occurredAt,
            ]),
        Feed(
            types: [.policyOverrideGranted], table: "proj_overrides",
            values: [
                seq, field("deliverable"), field("rule"), field("approver"), field("extra_attempts"),
                micros("extra_budget.amount"),
            ]),
        Feed(
            types: [.policyOverrideDeclined], table: "proj_declines",
            values: [
                seq, field("deliverable"), field("rule"), field("approver"), field("reason"), field("denied_seq"),
                "coalesce(\(field("gate.outcome")), 'allowed')",
            ]),
    ] }

    /// Prepares the feeds of `types` (every feed when nil) against the tables as they are now
    /// (main, or the temp scratch copies `Projections.check` creates first: unqualified names
    /// resolve to temp first).
    static func prepare(_ tables: SideTables, types: Set<String>? = nil) throws -> [SideTables.EventFeed] {
        let feeds = ProjectionFeeds(dialect: tables.dialect)
        return try feeds.all.filter { feed in types.map { types in feed.types.contains { types.contains($0.rawValue) } } ?? true }.map { feed in
            try tables.feed(
                types: feed.types.map(\.rawValue), requiring: feed.from?.requiring, once: feed.keepsFirstOf, feed.sql(tables.dialect))
        }
    }
}
