public import Governance
public import LedgerLog

/// A routing table version as published.
public struct PublishedTable: Sendable {
    public var table: String
    public var version: Int64
    public var seq: UInt64
    public var author: String
    public var rationale: String
    public var digest: String
    public var occurredAt: String
    public var document: JSONValue
    public var parsed: RoutingTable
}

/// A model's status as last recorded.
public struct ModelStatusRecord: Sendable {
    public var model: String
    public var tier: Tier
    public var version: String
    public var status: ModelStatus
    public var failureMode: FailureMode?
    public var reason: String?
    /// The seq that set the status (the registration, for models never changed).
    public var seq: UInt64
}

extension Projections {
    /// Every routing table version published up to `asOf`, in seq order (`inDateOrder`: by
    /// `occurred_at`, then seq, for a history that reads in the order things happened).
    public func tableVersions(asOf: UInt64) throws -> [PublishedTable] {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            try tables.rows(
                "SELECT seq, table_name, version, author, rationale, digest, occurred_at, document FROM proj_routing_tables WHERE seq <= ? ORDER BY seq",
                [.integer(Int64(asOf))]
            ).map { row in
                let document = try JSONParser.parse(row[7].string ?? "{}")
                return PublishedTable(
                    table: row[1].string!, version: row[2].int!, seq: UInt64(row[0].int!), author: row[3].string!,
                    rationale: row[4].string!,
                    digest: row[5].string!, occurredAt: row[6].string!, document: document,
                    parsed: try RoutingTable(try Fields(document, path: "document")))
            }
        }
    }

    /// The latest version of each table as of `asOf`, by table name.
    public func tablesInForce(asOf: UInt64) throws -> [PublishedTable] {
        var latest: [String: PublishedTable] = [:]
        for version in try tableVersions(asOf: asOf) { latest[version.table] = version }
        return latest.values.sorted { $0.table < $1.table }
    }

    /// The version of each table in force on a day, in occurred time: of the versions the ledger
    /// knows as of `asOf`, those that took effect (`occurred_at`) by the end of `date`, the
    /// highest version winning. Right for a publication backfilled later, whose seq is late but
    /// whose occurred_at says when it governed.
    public func tablesInForce(on date: CalendarDate, asOf: UInt64) throws -> [PublishedTable] {
        try tablesInForce(before: "\(date)T23:59:59.999999Z~", asOf: asOf)
    }

    /// As `tablesInForce(on:asOf:)`, for versions that took effect before an RFC 3339 instant
    /// (canonical text compares in time order).
    public func tablesInForce(before instant: String, asOf: UInt64) throws -> [PublishedTable] {
        var latest: [String: PublishedTable] = [:]
        for version in try tableVersions(asOf: asOf) where version.occurredAt < instant {
            if let current = latest[version.table], current.version > version.version { continue }
            latest[version.table] = version
        }
        return latest.values.sorted { $0.table < $1.table }
    }

    /// Every registered model with its status as of `asOf`.
    public func modelStatuses(asOf: UInt64) throws -> [String: ModelStatusRecord] {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            var models: [String: ModelStatusRecord] = [:]
            let bound: [SideTables.Value] = [.integer(Int64(asOf))]
            for row in try tables.rows(
                "SELECT seq, model, tier, version FROM proj_model_registrations WHERE seq <= ? ORDER BY seq", bound)
            {
                models[row[1].string!] = ModelStatusRecord(
                    model: row[1].string!, tier: Tier(rawValue: row[2].string!) ?? .speed, version: row[3].string!,
                    status: .active,
                    failureMode: nil, reason: nil, seq: UInt64(row[0].int!))
            }
            for row in try tables.rows("SELECT seq, model, version FROM proj_model_versions WHERE seq <= ? ORDER BY seq", bound) {
                models[row[1].string!]?.version = row[2].string!
            }
            for row in try tables.rows(
                "SELECT seq, model, status, failure_mode, reason FROM proj_model_statuses WHERE seq <= ? ORDER BY seq", bound)
            {
                guard var record = models[row[1].string!] else { continue }
                record.status = ModelStatus(rawValue: row[2].string!) ?? .active
                record.failureMode =
                    row[3].string.flatMap(FailureMode.init(rawValue:)) ?? (record.status == .retired ? .retired : nil)
                record.reason = row[4].string
                record.seq = UInt64(row[0].int!)
                models[record.model] = record
            }
            return models
        }
    }
}

/// One rule's difference between two versions of a table.
public struct RuleChange: Sendable {
    public enum Kind: String, Sendable {
        case added
        case removed
        case changed
    }

    public var rule: String
    public var kind: Kind
    /// Changed fields: name, before, after (canonical JSON; empty when absent).
    public var fields: [(field: String, before: String, after: String)]
}

public enum RoutingDiff {
    /// Rule by rule, by rule id; then the table's own fields (modalities, rationale, author).
    public static func between(_ old: JSONValue, _ new: JSONValue) -> [RuleChange] {
        func rules(_ document: JSONValue) -> [(String, [String: JSONValue])] {
            (document["rules"]?.arrayValue ?? []).compactMap { rule in
                guard let id = rule["id"]?.stringValue, let object = rule.objectValue else { return nil }
                return (id, object)
            }
        }
        func text(_ value: JSONValue?) -> String { value.map { CanonicalJSON.string(of: $0) } ?? "" }
        let before = Dictionary(rules(old), uniquingKeysWith: { a, _ in a })
        let after = Dictionary(rules(new), uniquingKeysWith: { a, _ in a })
        var changes: [RuleChange] = []
        for (id, rule) in rules(new) {
            guard let previous = before[id] else {
                changes.append(RuleChange(rule: id, kind: .added, fields: rule.keys.sorted().map { ($0, "", text(rule[$0])) }))
                continue
            }
            let fields = Set(rule.keys).union(previous.keys).sorted().compactMap { key -> (String, String, String)? in
                previous[key] == rule[key] ? nil : (key, text(previous[key]), text(rule[key]))
            }
            if !fields.isEmpty { changes.append(RuleChange(rule: id, kind: .changed, fields: fields)) }
        }
        for (id, rule) in rules(old) where after[id] == nil {
            changes.append(RuleChange(rule: id, kind: .removed, fields: rule.keys.sorted().map { ($0, text(rule[$0]), "") }))
        }
        let tableFields = ["modalities", "rationale", "author"].compactMap { key -> (String, String, String)? in
            old[key] == new[key] ? nil : (key, text(old[key]), text(new[key]))
        }
        if !tableFields.isEmpty { changes.append(RuleChange(rule: "(table)", kind: .changed, fields: tableFields)) }
        return changes
    }
}

/// A what-if recorded by `genledger replay --record`.
public struct RecordedReplay: Sendable, Equatable {
    public var seq: UInt64
    public var table: String
    public var candidateVersion: Int64
    public var candidateDigest: String
    public var source: String
    public var requests, changed, unroutable: Int64
    public var spendBefore, spendAfter: Double
    public var currency: String
    public var occurredAt: String
}

extension Projections {
    /// Every replay recorded at or before `asOf`, in seq order.
    public func recordedReplays(asOf: UInt64) throws -> [RecordedReplay] {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            try tables.rows(
                """
                SELECT seq, table_name, candidate_version, candidate_digest, source, requests, changed, unroutable,
                       spend_before, spend_after, currency, occurred_at
                FROM proj_replays WHERE seq <= ? ORDER BY seq
                """, [.integer(Int64(asOf))]
            ).map { row in
                RecordedReplay(
                    seq: UInt64(row[0].int ?? 0), table: row[1].string ?? "", candidateVersion: row[2].int ?? 0,
                    candidateDigest: row[3].string ?? "", source: row[4].string ?? "", requests: row[5].int ?? 0,
                    changed: row[6].int ?? 0, unroutable: row[7].int ?? 0, spendBefore: row[8].double ?? 0,
                    spendAfter: row[9].double ?? 0, currency: row[10].string ?? "", occurredAt: row[11].string ?? "")
            }
        }
    }
}

extension Projections {
    /// The day of the latest generation request the ledger knows as of `asOf` (occurred time).
    public func lastGenerationDate(asOf: UInt64) throws -> CalendarDate? {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            try tables.rows("SELECT MAX(occurred_at) FROM proj_generations WHERE seq <= ?", [.integer(Int64(asOf))]).first?[0]
                .string.flatMap { CalendarDate(String($0.prefix(10))) }
        }
    }
}

extension Projections {
    /// The first and last day on which a generation was requested, as of `asOf` (occurred time).
    public func generationSpan(asOf: UInt64) throws -> (first: String, last: String)? {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            guard let row = try tables.rows(
                "SELECT MIN(occurred_at), MAX(occurred_at) FROM proj_generations WHERE seq <= ?", [.integer(Int64(asOf))]
            ).first, let first = row[0].string, let last = row[1].string
            else { return nil }
            return (String(first.prefix(10)), String(last.prefix(10)))
        }
    }
}
