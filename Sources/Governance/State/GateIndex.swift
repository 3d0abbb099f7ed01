public import LedgerLog

/// The state one judgement needs, read from the log through indexes instead of folding the whole
/// log: the global documents (catalog, routing tables, policies, templates), the streams of the
/// deliverables the events name or whose assets they name and of their campaigns, the routing
/// decisions they cite, and each concerned campaign's spend. Its cost grows with those
/// streams, not with the ledger (docs/BENCHMARKS.md, "One-shot calls").
///
/// Beside the log it keeps a small read model, caught up incrementally from the events after its
/// position at every use (inside the caller's transaction): which deliverable produced each
/// asset, where each routing decision is, each deliverable's campaign, and each campaign's spend;
/// and a partial index of the global documents on the log's own table. The ledger's connection
/// does not trust functions in its schema (`trusted_schema=OFF`), so the keys live in a table,
/// not in expression indexes. `rebuild --check` compares the read model with a fresh one.
public struct GateIndex {
    let tables: SideTables

    public init(_ tables: SideTables) { self.tables = tables }

    /// Event types every judgement may need, whoever they concern: the studio's configuration,
    /// which grows with its changes, not with its work.
    static let globalTypes = [
        "model.registered", "model.pricing_changed", "model.version_changed", "model.status_changed",
        "routing.table_published", "policy.published", "template.versioned",
    ]

    /// Written once and compared exactly: SQLite uses a partial index only for a query whose
    /// WHERE clause repeats the index's. Comparisons joined by OR, not `type IN (…)`: SQLite
    /// evaluates an IN list of more than two constants through an ephemeral table it builds
    /// anew for every statement, so every event inserted paid for a B-tree of seven strings
    /// (a quarter of the insert's time in a loaded service; docs/BENCHMARKS.md).
    static let globalCondition = "(" + globalTypes.map { "type = '\($0)'" }.joined(separator: " OR ") + ")"

    /// Indexes earlier versions made and this one replaced: dropped when the new ones exist.
    /// `gate_documents` was the global documents' index under `type IN (…)`.
    static let retired = ["gate_documents"]

    func member(_ path: String, of table: String = "") -> String { tables.jsonText(path, ofColumn: "\(table)payload") }

    static let schema = [
        "CREATE INDEX IF NOT EXISTS gate_global_documents ON events(seq) WHERE \(globalCondition)",
        // kind 'asset': the deliverable that produced it; 'decision': the seq of the routing
        // decision; 'deliverable': its campaign.
        "CREATE TABLE IF NOT EXISTS gate_keys(kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(kind, key)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS gate_campaign_spend(campaign TEXT PRIMARY KEY, micros INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS gate_position(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)",
    ]

    /// Creates what a ledger does not have yet and drops what it replaced (in a write
    /// transaction of its own; once per ledger: the read model then fills from the whole log at
    /// the first catch-up, and a new index reads the log once).
    public static func prepare(_ ledger: Ledger) throws {
        let current = try ledger.withSideTables(write: false) { tables in
            // A retired index goes in the transaction that creates its replacement, so the
            // replacement's presence says it is gone; SQLite, where asking costs no round trip,
            // also drops one an older binary made again.
            try ["gate_global_documents", "gate_keys", "gate_campaign_spend", "gate_position"].allSatisfy { try tables.exists($0) }
                && (tables.store == .postgres || !retired.contains { try tables.exists($0) })
        }
        guard !current else { return }
        try ledger.withSideTables(write: true) { tables in
            for statement in schema { try tables.execute(statement) }
            for name in retired { try tables.execute("DROP INDEX IF EXISTS \(name)") }
        }
    }

    /// Brings the read model up to the end of the log; it must run in a write transaction.
    /// Nothing is read first: each statement finds the position itself, so on PostgreSQL the
    /// three go with the next statement, in one round trip (a group of the service begins
    /// with a catch-up; with nothing new they find nothing).
    public func catchUp() throws {
        try fill(keys: "gate_keys", spend: "gate_campaign_spend", after: "(SELECT COALESCE((SELECT seq FROM gate_position WHERE id = 1), 0))")
        // `WHERE true`: SQLite needs it to read ON CONFLICT as the upsert's.
        try tables.runLater(
            """
            INSERT INTO gate_position(id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events WHERE true
            ON CONFLICT(id) DO UPDATE SET seq = excluded.seq
            """)
    }

    /// Adds the keys and the spend of the events after the seq `after` (an SQL expression) to
    /// the two tables named.
    func fill(keys: String, spend: String, after: String) throws {
        let m = member
        try tables.runLater(
            """
            INSERT OR IGNORE INTO \(keys)(kind, key, value)
            SELECT kind, key, value FROM (
                SELECT 'asset' AS kind, \(m("asset", "")) AS key, \(m("deliverable", "")) AS value FROM events
                    WHERE seq > \(after) AND type = 'generation.completed'
                UNION ALL SELECT 'asset', \(m("output_asset", "")), \(m("deliverable", "")) FROM events
                    WHERE seq > \(after) AND type = 'refinement.applied'
                UNION ALL SELECT 'decision', \(m("decision", "")), CAST(seq AS TEXT) FROM events
                    WHERE seq > \(after) AND type = 'routing.decided'
                UNION ALL SELECT 'deliverable', \(m("deliverable", "")), \(m("campaign", "")) FROM events
                    WHERE seq > \(after) AND type = 'deliverable.opened'
            ) AS found WHERE key IS NOT NULL AND value IS NOT NULL
            """)
        try tables.runLater(
            """
            INSERT INTO \(spend)(campaign, micros)
            SELECT k.value, SUM(\(tables.jsonMicros("amount", ofColumn: "e.payload"))) FROM events e
            JOIN \(keys) k ON k.kind = 'deliverable' AND k.key = \(m("deliverable", "e."))
            WHERE e.seq > \(after) AND e.type = 'cost.recorded' GROUP BY k.value
            ON CONFLICT(campaign) DO UPDATE SET micros = \(spend).micros + excluded.micros
            """)
    }

    /// The seq of the last event in this transaction's view of the log.
    public func logEnd() throws -> UInt64 {
        UInt64(try tables.rows("SELECT COALESCE(MAX(seq), 0) FROM events").first?[0].int ?? 0)
    }

    /// Compares the read model with one built afresh from the whole log (`rebuild --check`):
    /// every key or campaign spend that differs, named. Runs in a write transaction.
    public func check() throws -> [String] {
        try catchUp()
        try tables.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS fresh_gate_keys(kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(kind, key)) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS fresh_gate_campaign_spend(campaign TEXT PRIMARY KEY, micros INTEGER NOT NULL) WITHOUT ROWID;
            """)
        try tables.execute("DELETE FROM fresh_gate_keys; DELETE FROM fresh_gate_campaign_spend")
        try fill(keys: "fresh_gate_keys", spend: "fresh_gate_campaign_spend", after: "0")
        var mismatches: [String] = []
        for row in try tables.rows(
            "SELECT kind, key, value FROM gate_keys EXCEPT SELECT kind, key, value FROM fresh_gate_keys LIMIT 20")
        {
            mismatches.append("gate_keys: \(row[0].string ?? "?") '\(row[1].string ?? "?")' → '\(row[2].string ?? "?")' is not what the log records")
        }
        for row in try tables.rows(
            "SELECT kind, key, value FROM fresh_gate_keys EXCEPT SELECT kind, key, value FROM gate_keys LIMIT 20")
        {
            mismatches.append("gate_keys: \(row[0].string ?? "?") '\(row[1].string ?? "?")' → '\(row[2].string ?? "?")' is missing")
        }
        for row in try tables.rows(
            """
            SELECT f.campaign, f.micros, g.micros FROM fresh_gate_campaign_spend f
            LEFT JOIN gate_campaign_spend g ON g.campaign = f.campaign WHERE g.micros IS NOT f.micros
            UNION ALL SELECT g.campaign, NULL, g.micros FROM gate_campaign_spend g
            WHERE NOT EXISTS (SELECT 1 FROM fresh_gate_campaign_spend f WHERE f.campaign = g.campaign) LIMIT 20
            """)
        {
            mismatches.append(
                "gate_campaign_spend: campaign '\(row[0].string ?? "?")' holds \(row[2].int.map(String.init) ?? "nothing") µ, the log records \(row[1].int.map(String.init) ?? "nothing")")
        }
        return mismatches
    }

    /// Empties the read model: the next use builds it again from the whole log.
    public func reset() throws {
        try tables.execute("DELETE FROM gate_keys; DELETE FROM gate_campaign_spend; DELETE FROM gate_position")
    }

    /// Whether the ledger holds the read model (a ledger no one-shot call has touched does not).
    public static func isPresent(_ ledger: Ledger) throws -> Bool {
        try ledger.withSideTables(write: false) { tables in
            try tables.exists("gate_keys")
        }
    }

    /// What a batch of events names: the keys its state is loaded by.
    public struct Scope: Sendable {
        public var deliverables: Set<String> = []
        public var assets: Set<String> = []
        public var decisions: Set<String> = []
        public var campaigns: Set<String> = []

        public init(deliverables: Set<String> = [], assets: Set<String> = [], decisions: Set<String> = []) {
            self.deliverables = deliverables
            self.assets = assets
            self.decisions = decisions
        }

        /// The keys named by `events`' payloads: deliverables (also a routing request's and a
        /// deliverable seed lock's), assets (produced, refined, reviewed, delivered, referenced,
        /// regenerated from) and routing decisions (cited or recorded).
        public init(_ events: [ProposedEvent]) {
            for event in events {
                let payload = event.payload
                for key in ["deliverable", "subject"] {
                    if let id = payload[key]?.stringValue { deliverables.insert(id) }
                }
                if let id = payload["request"]?["deliverable"]?.stringValue { deliverables.insert(id) }
                if let id = payload["campaign"]?.stringValue { campaigns.insert(id) }
                if let id = payload["request"]?["campaign"]?.stringValue { campaigns.insert(id) }
                for key in ["asset", "prior_asset", "input_asset", "output_asset"] {
                    if let id = payload[key]?.stringValue { assets.insert(id) }
                }
                for reference in payload["references"]?.arrayValue ?? [] {
                    if let id = reference["asset"]?.stringValue { assets.insert(id) }
                }
                for key in ["routing_decision", "decision"] {
                    if let id = payload[key]?.stringValue { decisions.insert(id) }
                }
            }
        }
    }

    /// The state for `scope`, as the log stands at `size` in this transaction (the read model
    /// caught up first: the transaction must be a write transaction).
    public func state(for scope: Scope, size: UInt64) throws -> GovernanceState {
        try catchUp()
        var state = GovernanceState()
        try collect("SELECT seq, type, stream, payload FROM events WHERE \(Self.globalCondition)", [], into: &state)
        try load(scope, into: &state)
        state.position = size
        return state
    }

    /// Whether `state` already holds all that `scope` names (its deliverables, assets and routing
    /// decisions, and no campaign, whose spend is always read afresh), so that `load` would read
    /// nothing: the requests of a group about what the writer has loaded touch neither the read
    /// model nor its catch-up.
    public static func covers(_ scope: Scope, _ state: GovernanceState) -> Bool {
        scope.campaigns.isEmpty && scope.deliverables.allSatisfy { state.deliverables[$0] != nil }
            && scope.assets.allSatisfy { state.assets[$0] != nil }
            && scope.decisions.allSatisfy { state.routingDecisions[$0] != nil }
    }

    /// `load`, after catching the read model up, unless `state` covers `scope` already. It must
    /// run in a write transaction.
    public func catchUpAndLoad(_ scope: Scope, into state: inout GovernanceState) throws {
        guard !Self.covers(scope, state) else { return }
        try catchUp()
        try load(scope, into: &state)
    }

    /// Folds into `state` the streams `scope` needs that it does not hold yet (deliverables named
    /// or owning the assets named, their campaigns, the decisions cited), and sets the spend of
    /// every campaign concerned from the read model. Returns the deliverables and campaigns it
    /// added. `state.position` is kept. The read model must be caught up.
    @discardableResult
    public func load(_ scope: Scope, into state: inout GovernanceState) throws -> (deliverables: Set<String>, campaigns: Set<String>) {
        let position = state.position
        defer { state.position = position }
        var deliverables = scope.deliverables.filter { state.deliverables[$0] == nil }
        for asset in scope.assets where state.assets[asset] == nil {
            if let owner = try tables.rows("SELECT value FROM gate_keys WHERE kind = 'asset' AND key = ?1", [.text(asset)]).first?[0].string,
                state.deliverables[owner] == nil
            {
                deliverables.insert(owner)
            }
        }
        var rows: [UInt64: Row] = [:]
        for decision in scope.decisions where state.routingDecisions[decision] == nil {
            if let seq = try tables.rows("SELECT value FROM gate_keys WHERE kind = 'decision' AND key = ?1", [.text(decision)])
                .first?[0].string.flatMap(Int64.init)
            {
                try read("SELECT seq, type, stream, payload FROM events WHERE seq = ?1", [.integer(seq)], into: &rows)
            }
        }
        for deliverable in deliverables {
            try read(Self.eventsOfStream, [.text("deliverable/\(deliverable)")], into: &rows)
        }
        // The campaigns named, and those of the deliverables loaded: opened, seed locks.
        var campaigns = scope.campaigns
        for row in rows.values where row.type == "deliverable.opened" {
            if let campaign = row.payload["campaign"]?.stringValue { campaigns.insert(campaign) }
        }
        let newCampaigns = campaigns.filter { state.campaigns[$0] == nil }
        for campaign in newCampaigns {
            try read(Self.eventsOfStream, [.text("campaign/\(campaign)")], into: &rows)
        }
        try apply(rows, to: &state)
        // A campaign's spend is every cost of its deliverables, not only of those loaded (and a
        // loaded deliverable's costs must not count twice).
        for campaign in campaigns where state.campaigns[campaign] != nil {
            let spend = try tables.rows("SELECT micros FROM gate_campaign_spend WHERE campaign = ?1", [.text(campaign)])
            state.campaigns[campaign]?.spendMicros = spend.first?[0].int ?? 0
        }
        return (deliverables, newCampaigns)
    }

    /// The campaign a deliverable belongs to, as the read model knows it.
    public func campaign(of deliverable: String) throws -> String? {
        try tables.rows("SELECT value FROM gate_keys WHERE kind = 'deliverable' AND key = ?1", [.text(deliverable)]).first?[0].string
    }

    typealias Row = (type: String, stream: String, payload: JSONValue)

    /// The events of the stream `?1` names, found from its head (no index on the stream).
    private static let eventsOfStream =
        Ledger.streamChain(stream: "?1") + "SELECT seq, type, stream, payload FROM events WHERE seq IN (SELECT seq FROM stream_chain)"

    private func read(_ sql: String, _ values: [SideTables.Value], into rows: inout [UInt64: Row]) throws {
        let cursor = try tables.cursor(sql, values)
        while try cursor.next() {
            let seq = UInt64(cursor.int(0))
            guard rows[seq] == nil else { continue }
            rows[seq] = (cursor.text(1) ?? "", cursor.text(2) ?? "", try JSONParser.parse(Array(cursor.bytes(3))))
        }
    }

    private func collect(_ sql: String, _ values: [SideTables.Value], into state: inout GovernanceState) throws {
        var rows: [UInt64: Row] = [:]
        try read(sql, values, into: &rows)
        try apply(rows, to: &state)
    }

    private func apply(_ rows: [UInt64: Row], to state: inout GovernanceState) throws {
        for seq in rows.keys.sorted() {
            let row = rows[seq]!
            let event: DomainEvent
            do {
                event = try DomainEvent.decode(type: row.type, stream: row.stream, payload: row.payload, allowGateRecord: true)
            } catch {
                throw GovernanceError(.invalidEvent, "recorded event seq \(seq) (\(row.type)) does not fit the vocabulary: \(error)")
            }
            state.apply(event, seq: seq)
        }
    }
}
