import Foundation

/// The read models, as tables in the ledger file. Every row is a fact recorded by one event and
/// carries that event's `seq`, and rows are only ever inserted; so "as of seq N" is exactly the
/// rows with `seq <= N`, and a rebuild from the log reproduces the tables row for row.
public enum ProjectionSchema {
    /// A named read model and the tables it owns.
    public struct Projection: Sendable {
        public let name: String
        public let tables: [(name: String, columns: String)]
    }

    public static let projections: [Projection] = [
        Projection(
            name: "catalog",
            tables: [
                (
                    "proj_model_registrations",
                    "seq INTEGER NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL, version TEXT NOT NULL, tier TEXT NOT NULL, occurred_at TEXT NOT NULL"
                ),
                (
                    "proj_model_prices",
                    "seq INTEGER NOT NULL, model TEXT NOT NULL, unit TEXT NOT NULL, micros INTEGER NOT NULL, currency TEXT NOT NULL, effective TEXT NOT NULL, reason TEXT"
                ),
                (
                    "proj_model_versions",
                    "seq INTEGER NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, effective TEXT NOT NULL, reason TEXT"
                ),
                (
                    "proj_model_statuses",
                    "seq INTEGER NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL, failure_mode TEXT, effective TEXT NOT NULL, reason TEXT NOT NULL"
                ),
                (
                    "proj_model_reviews",
                    "seq INTEGER NOT NULL, model TEXT NOT NULL, quarter TEXT NOT NULL, decision TEXT NOT NULL, reviewer TEXT NOT NULL"
                ),
            ]),
        Projection(
            name: "routing",
            tables: [
                (
                    "proj_routing_tables",
                    "seq INTEGER NOT NULL, table_name TEXT NOT NULL, version INTEGER NOT NULL, author TEXT NOT NULL, rationale TEXT NOT NULL, digest TEXT NOT NULL, document TEXT NOT NULL, occurred_at TEXT NOT NULL"
                ),
                (
                    "proj_routing_decisions",
                    "seq INTEGER NOT NULL, decision TEXT NOT NULL, deliverable TEXT, table_name TEXT NOT NULL, table_version INTEGER NOT NULL, rule TEXT NOT NULL, model TEXT NOT NULL, fallback_from TEXT, tier TEXT NOT NULL, campaign TEXT, category TEXT NOT NULL, stage TEXT NOT NULL, modality TEXT NOT NULL, duration_seconds REAL, characters INTEGER, after_failure_model TEXT, after_failure_mode TEXT, occurred_at TEXT NOT NULL"
                ),
                (
                    "proj_fallbacks",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, generation TEXT NOT NULL, from_model TEXT NOT NULL, to_model TEXT NOT NULL, failure_mode TEXT NOT NULL, table_name TEXT NOT NULL, rule TEXT NOT NULL"
                ),
            ]),
        Projection(
            name: "production",
            tables: [
                ("proj_campaigns", "seq INTEGER NOT NULL, campaign TEXT NOT NULL, name TEXT NOT NULL"),
                (
                    "proj_deliverables",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, campaign TEXT, category TEXT NOT NULL, stage TEXT NOT NULL, modality TEXT NOT NULL"
                ),
                ("proj_seeds", "seq INTEGER NOT NULL, scope TEXT NOT NULL, subject TEXT NOT NULL, seed INTEGER NOT NULL"),
                ("proj_templates", "seq INTEGER NOT NULL, template TEXT NOT NULL, version INTEGER NOT NULL"),
                (
                    "proj_generations",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, generation TEXT NOT NULL, attempt INTEGER NOT NULL, model TEXT NOT NULL, model_version TEXT NOT NULL, template TEXT NOT NULL, template_version INTEGER NOT NULL, seed INTEGER NOT NULL, routing_decision TEXT NOT NULL, fallback_from TEXT, occurred_at TEXT NOT NULL"
                ),
                (
                    "proj_generation_outcomes",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, generation TEXT NOT NULL, outcome TEXT NOT NULL, failure_mode TEXT, latency_ms INTEGER, asset TEXT"
                ),
                (
                    "proj_assets",
                    "seq INTEGER NOT NULL, asset TEXT NOT NULL, deliverable TEXT NOT NULL, generation TEXT, source_asset TEXT, step TEXT, model TEXT, sha256 TEXT NOT NULL"
                ),
                ("proj_references", "seq INTEGER NOT NULL, generation TEXT NOT NULL, asset TEXT NOT NULL, role TEXT NOT NULL"),
                (
                    "proj_reviews",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, asset TEXT NOT NULL, verdict TEXT NOT NULL, reviewer TEXT NOT NULL"
                ),
                (
                    "proj_regenerations",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, attempt INTEGER NOT NULL, prior_asset TEXT NOT NULL, reason TEXT NOT NULL"
                ),
                ("proj_deliveries", "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, asset TEXT NOT NULL"),
            ]),
        Projection(
            name: "costs",
            tables: [
                (
                    "proj_costs",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, kind TEXT NOT NULL, micros INTEGER NOT NULL, currency TEXT NOT NULL, generation TEXT, asset TEXT, occurred_at TEXT NOT NULL"
                )
            ]),
        Projection(
            name: "governance",
            tables: [
                (
                    "proj_policies",
                    "seq INTEGER NOT NULL, policy TEXT NOT NULL, version INTEGER NOT NULL, digest TEXT NOT NULL, author TEXT NOT NULL, document TEXT NOT NULL"
                ),
                (
                    // Each distinct list of rules gate records name, under the seq of the first.
                    "proj_rule_sets", "seq INTEGER NOT NULL, rules TEXT NOT NULL UNIQUE"
                ),
                (
                    // One row per gate record; `rules_seq` names its list of rules.
                    "proj_gate_records",
                    "seq INTEGER NOT NULL, type TEXT NOT NULL, deliverable TEXT, policy TEXT, version INTEGER NOT NULL, outcome TEXT NOT NULL, rules_seq INTEGER, occurred_at TEXT NOT NULL"
                ),
                (
                    "proj_denials",
                    "seq INTEGER NOT NULL, deliverable TEXT, policy TEXT NOT NULL, version INTEGER NOT NULL, rule TEXT NOT NULL, action TEXT NOT NULL, judged_type TEXT NOT NULL"
                ),
                (
                    "proj_replays",
                    "seq INTEGER NOT NULL, table_name TEXT NOT NULL, candidate_version INTEGER NOT NULL, candidate_digest TEXT NOT NULL, source TEXT NOT NULL, requests INTEGER NOT NULL, changed INTEGER NOT NULL, unroutable INTEGER NOT NULL, spend_before REAL NOT NULL, spend_after REAL NOT NULL, currency TEXT NOT NULL, occurred_at TEXT NOT NULL"
                ),
                (
                    // One row per rule that did not simply pass: a gate record's findings (with the
                    // record's `rules_seq`), or a denied request's (`rules_seq` NULL). A rule a gate
                    // record lists with no row here allowed the event. The compliance report counts
                    // both.
                    "proj_rule_results",
                    "seq INTEGER NOT NULL, type TEXT NOT NULL, deliverable TEXT, rule TEXT NOT NULL, result TEXT NOT NULL, action TEXT, reason TEXT, mode TEXT NOT NULL, occurred_at TEXT NOT NULL, rules_seq INTEGER"
                ),
                (
                    "proj_overrides",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, rule TEXT NOT NULL, approver TEXT NOT NULL, extra_attempts INTEGER, extra_micros INTEGER"
                ),
                (
                    // An approver's no (outcome `violated`: not an approver's, and not counted).
                    "proj_declines",
                    "seq INTEGER NOT NULL, deliverable TEXT NOT NULL, rule TEXT NOT NULL, approver TEXT NOT NULL, reason TEXT NOT NULL, denied_seq INTEGER, outcome TEXT NOT NULL"
                ),
            ]),
    ]

    /// Indexes for the queries the reports run.
    static let indexes = [
        "CREATE INDEX IF NOT EXISTS proj_generations_by_deliverable ON proj_generations(deliverable, generation)",
        "CREATE INDEX IF NOT EXISTS proj_outcomes_by_generation ON proj_generation_outcomes(deliverable, generation)",
        "CREATE INDEX IF NOT EXISTS proj_assets_by_asset ON proj_assets(asset)",
        "CREATE INDEX IF NOT EXISTS proj_assets_by_sha256 ON proj_assets(sha256)",
        "CREATE INDEX IF NOT EXISTS proj_reviews_by_asset ON proj_reviews(asset)",
        "CREATE INDEX IF NOT EXISTS proj_reviews_by_seq ON proj_reviews(seq)",
        "CREATE INDEX IF NOT EXISTS proj_costs_by_deliverable ON proj_costs(deliverable)",
        "CREATE INDEX IF NOT EXISTS proj_deliverables_by_id ON proj_deliverables(deliverable)",
        "CREATE INDEX IF NOT EXISTS proj_gate_records_by_time ON proj_gate_records(occurred_at, rules_seq)",
        "CREATE INDEX IF NOT EXISTS proj_rule_results_by_time ON proj_rule_results(occurred_at)",
        "CREATE INDEX IF NOT EXISTS proj_rule_results_by_deliverable ON proj_rule_results(deliverable)",
        "CREATE INDEX IF NOT EXISTS proj_denials_by_deliverable ON proj_denials(deliverable, rule)",
        "CREATE INDEX IF NOT EXISTS proj_overrides_by_deliverable ON proj_overrides(deliverable, rule)",
    ]

    /// The names `indexes` creates.
    static var indexNames: [String] {
        indexes.map { statement in
            String(statement.split(separator: " ")[5])  // CREATE INDEX IF NOT EXISTS <name> ON …
        }
    }

    static let positions = "proj_positions"

    /// Raised whenever a table changes shape: projections of another version are rebuilt.
    static let version: Int64 = 9
    static let versionKey = "(schema)"

    static var createStatements: [String] {
        projections.flatMap { projection in
            projection.tables.map { "CREATE TABLE IF NOT EXISTS \($0.name) (\($0.columns))" }
        } + ["CREATE TABLE IF NOT EXISTS \(positions) (projection TEXT PRIMARY KEY, seq INTEGER NOT NULL)"]
    }

    static var dropStatements: [String] {
        projections.flatMap { $0.tables.map { "DROP TABLE IF EXISTS \($0.name)" } } + ["DROP TABLE IF EXISTS \(positions)"]
    }

    /// A projection table's column types (INTEGER, REAL, TEXT), in order.
    static func columnTypes(of table: String) -> [String] {
        columnDefinitions(of: table).map(\.type)
    }

    /// A projection table's columns: name, type and whether NULL is refused.
    static func columnDefinitions(of table: String) -> [Column] { columnsByTable[table] ?? [] }

    typealias Column = (name: String, type: String, notNull: Bool)

    /// Every table's columns, read from `projections` once: every catch-up writes its feeds'
    /// SQL from them, and splitting the definitions again each time cost a one-shot `append`
    /// 9 % of its instructions (docs/BENCHMARKS.md).
    private static let columnsByTable: [String: [Column]] = Dictionary(
        uniqueKeysWithValues: projections.flatMap(\.tables).map { table in
            // The definitions are ASCII, written above in capitals: read as bytes (String's
            // `split` and `uppercased()` work by Unicode character and cost 5 M instructions here).
            let definitions = table.columns.utf8.split(separator: UInt8(ascii: ",")).map { definition in
                definition.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            }
            return (
                table.name,
                definitions.map { words -> Column in
                    let notNull = zip(words, words.dropFirst()).contains { $0 == "NOT" && $1 == "NULL" }
                    return (words.first ?? "", words.dropFirst().first ?? "", notNull)
                }
            )
        })

    /// A table's column names, in order.
    static func columnNames(_ columns: String) -> [String] {
        columns.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces).prefix { $0 != " " }) }
    }
}
