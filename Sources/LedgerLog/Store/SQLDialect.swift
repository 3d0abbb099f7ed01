/// The SQL expressions that differ too much between the stores to rewrite: reading JSON, and
/// giving a value the type of the column it goes into (SQLite converts on insert; PostgreSQL
/// refuses text for a number). A layer that builds read models from payloads builds these
/// expressions here, and stays unaware of which store runs them. `json` arguments are SQL
/// expressions holding JSON text (`:payload`, a column); paths are dotted (`request.deliverable`).
public struct SQLDialect: Sendable {
    public let store: StoreKind

    public init(_ store: StoreKind) { self.store = store }

    private func pointer(_ path: String) -> String { "'{\(path.split(separator: ".").joined(separator: ","))}'" }

    /// The string or number at `path`, as SQL text or number; NULL when absent.
    public func member(_ path: String, of json: String) -> String {
        switch store {
        case .sqlite: "\(json) ->> '$.\(path)'"
        case .postgres: "(CAST(\(json) AS json) #>> \(pointer(path)))"
        }
    }

    /// The top-level member whose name `key` (an SQL expression) gives.
    public func member(named key: String, of json: String) -> String {
        switch store {
        case .sqlite: "\(json) ->> ('$.' || (\(key)))"
        case .postgres: "(CAST(\(json) AS json) ->> (\(key)))"
        }
    }

    /// The object or array at `path` as JSON text (canonical when `json` is).
    public func fragment(_ path: String, of json: String) -> String {
        switch store {
        case .sqlite: "\(json) -> '$.\(path)'"
        case .postgres: "CAST(CAST(\(json) AS json) #> \(pointer(path)) AS text)"
        }
    }

    /// True when `json` has a member at `path` (JSON null included).
    public func has(_ path: String, in json: String) -> String {
        switch store {
        case .sqlite: "json_type(\(json), '$.\(path)') IS NOT NULL"
        case .postgres: "(CAST(\(json) AS json) #> \(pointer(path))) IS NOT NULL"
        }
    }

    /// The event feed parameter for a payload field (`SideTables.EventFeed`), read with the
    /// event's other fields in one pass: the member's value as SQL, NULL when absent or null.
    public func payloadField(_ path: String) -> String { parameter("field", path) }

    /// The event feed parameter for a payload member's JSON text, NULL when absent.
    public func payloadJSON(_ path: String) -> String { parameter("json", path) }

    /// True when the payload has a member at `path` (JSON null included), from the event feed.
    public func payloadHas(_ path: String) -> String { "(\(parameter("has", path, as: "integer")) = 1)" }

    private func parameter(_ kind: String, _ path: String, as type: String = "text") -> String {
        let name = ":\(kind)_\(path.split(separator: ".", omittingEmptySubsequences: false).joined(separator: "__"))"
        // PostgreSQL infers a parameter's type from where it is used, and cannot from every place.
        return store == .postgres ? "CAST(\(name) AS \(type))" : name
    }

    /// A table source: one row per element of the JSON array text `json` (an SQL expression),
    /// named `alias`; no rows when it is NULL.
    public func elements(ofArray json: String, as alias: String) -> String {
        switch store {
        case .sqlite: "json_each(\(json)) AS \(alias)"
        case .postgres: "json_array_elements(CAST(\(json) AS json)) AS \(alias)(value)"
        }
    }

    /// A table source: one row per element of the array at `path`, named `alias`; read an
    /// element with `element(_:)` or `element(_:member:)`. No rows when there is no array.
    public func elements(_ path: String, of json: String, as alias: String) -> String {
        switch store {
        case .sqlite: "json_each(\(json), '$.\(path)') AS \(alias)"
        case .postgres: "json_array_elements(CAST(\(json) AS json) #> \(pointer(path))) AS \(alias)(value)"
        }
    }

    /// An element that is a string or number, as SQL text or number.
    public func element(_ alias: String) -> String {
        switch store {
        case .sqlite: "\(alias).value"
        case .postgres: "(\(alias).value #>> '{}')"
        }
    }

    /// A member of an element that is an object.
    public func element(_ alias: String, member path: String) -> String {
        switch store {
        case .sqlite: "\(alias).value ->> '$.\(path)'"
        case .postgres: "(\(alias).value #>> \(pointer(path)))"
        }
    }

    /// A decimal amount in micro-units, rounded half away from zero, as a 64-bit integer.
    public func micros(_ amount: String) -> String {
        switch store {
        case .sqlite: "CAST(round((\(amount)) * 1000000) AS INTEGER)"
        case .postgres: "CAST(round(CAST(\(amount) AS numeric) * 1000000) AS bigint)"
        }
    }

    /// `value`, or 0 when it is NULL, for a number read from JSON.
    public func orZero(_ value: String) -> String {
        switch store {
        case .sqlite: "coalesce(\(value), 0)"
        case .postgres: "coalesce(\(value), '0')"
        }
    }

    /// `value` given the type of a column declared `type` (INTEGER, REAL, TEXT).
    public func typed(_ value: String, as type: String) -> String {
        guard store == .postgres else { return value }
        switch type.uppercased() {
        case "INTEGER": return "CAST(\(value) AS bigint)"
        case "REAL": return "CAST(\(value) AS double precision)"
        case "TEXT": return "CAST(\(value) AS text)"
        default: return value
        }
    }
}

extension SideTables {
    /// The expressions of this store's SQL that the two stores write differently.
    public var dialect: SQLDialect { SQLDialect(store) }
}
