public import LedgerLog

/// Reads one JSON object field by field, naming the full path of any field that is missing or
/// of the wrong type. Event payloads and policy documents (YAML read as JSON) share it.
public struct Fields: Sendable {
    public let members: [String: JSONValue]
    /// Where this object sits, as a JSON path (`payload`, `rules[2]`); empty at the root.
    public let path: String
    let code: GovernanceError.Code

    public init(_ value: JSONValue, path: String, code: GovernanceError.Code = .invalidEvent) throws {
        guard case .object(let members) = value else {
            throw GovernanceError(code, "must be an object, not \(value.kindName)", field: path.isEmpty ? nil : path)
        }
        self.members = members
        self.path = path
        self.code = code
    }

    public func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func error(_ key: String, _ message: String) -> GovernanceError {
        GovernanceError(code, message, field: path(key))
    }

    public func has(_ key: String) -> Bool {
        if let value = members[key], value != .null { return true }
        return false
    }

    func required(_ key: String) throws -> JSONValue {
        guard let value = members[key], value != .null else { throw error(key, "required, missing") }
        return value
    }

    public func string(_ key: String) throws -> String {
        let value = try required(key)
        guard case .string(let text) = value else { throw error(key, "must be a string, not \(value.kindName)") }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    public func optionalString(_ key: String) throws -> String? {
        has(key) ? try string(key) : nil
    }

    public func int(_ key: String, min: Int64? = nil, max: Int64? = nil) throws -> Int64 {
        let value = try required(key)
        guard let number = value.integerValue else {
            throw error(key, value.numberValue == nil ? "must be an integer, not \(value.kindName)" : "must be a whole number")
        }
        if let min, number < min { throw error(key, "must be at least \(min), not \(number)") }
        if let max, number > max { throw error(key, "must be at most \(max), not \(number)") }
        return number
    }

    public func optionalInt(_ key: String, min: Int64? = nil, max: Int64? = nil) throws -> Int64? {
        has(key) ? try int(key, min: min, max: max) : nil
    }

    public func number(_ key: String, min: Double? = nil) throws -> Double {
        let value = try required(key)
        guard let number = value.numberValue else { throw error(key, "must be a number, not \(value.kindName)") }
        if let min, number < min { throw error(key, min == 0 ? "must not be negative" : "must be at least \(min)") }
        return number
    }

    public func optionalNumber(_ key: String, min: Double? = nil) throws -> Double? {
        has(key) ? try number(key, min: min) : nil
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try required(key)
        guard let flag = value.boolValue else { throw error(key, "must be true or false, not \(value.kindName)") }
        return flag
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        has(key) ? try bool(key) : nil
    }

    public func object(_ key: String) throws -> Fields {
        try Fields(try required(key), path: path(key), code: code)
    }

    public func optionalObject(_ key: String) throws -> Fields? {
        has(key) ? try object(key) : nil
    }

    public func array(_ key: String, nonEmpty: Bool = false) throws -> [JSONValue] {
        let value = try required(key)
        guard case .array(let items) = value else { throw error(key, "must be an array, not \(value.kindName)") }
        if nonEmpty && items.isEmpty { throw error(key, "must not be empty") }
        return items
    }

    public func objects(_ key: String, nonEmpty: Bool = false) throws -> [Fields] {
        try array(key, nonEmpty: nonEmpty).enumerated().map { i, item in
            try Fields(item, path: "\(path(key))[\(i)]", code: code)
        }
    }

    public func optionalObjects(_ key: String) throws -> [Fields] {
        has(key) ? try objects(key) : []
    }

    public func strings(_ key: String, nonEmpty: Bool = false) throws -> [String] {
        try array(key, nonEmpty: nonEmpty).enumerated().map { i, item in
            guard case .string(let text) = item, !text.isEmpty else {
                throw GovernanceError(code, "must be a non-empty string, not \(item.kindName)", field: "\(path(key))[\(i)]")
            }
            return text
        }
    }

    public func optionalStrings(_ key: String) throws -> [String] {
        has(key) ? try strings(key) : []
    }

    /// A string that must be one of an enumeration's raw values.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ type: Choice.Type = Choice.self) throws
        -> Choice where Choice.RawValue == String
    {
        let text = try string(key)
        guard let value = Choice(rawValue: text) else { throw error(key, Self.notOneOf(text, Choice.self)) }
        return value
    }

    public func optionalChoice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ type: Choice.Type = Choice.self)
        throws -> Choice? where Choice.RawValue == String
    {
        has(key) ? try choice(key, type) : nil
    }

    public func choices<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ type: Choice.Type = Choice.self, nonEmpty: Bool = false
    ) throws -> [Choice] where Choice.RawValue == String {
        try strings(key, nonEmpty: nonEmpty).enumerated().map { i, text in
            guard let value = Choice(rawValue: text) else {
                throw GovernanceError(code, Self.notOneOf(text, Choice.self), field: "\(path(key))[\(i)]")
            }
            return value
        }
    }

    static func notOneOf<Choice: RawRepresentable & CaseIterable>(_ text: String, _ type: Choice.Type) -> String
    where Choice.RawValue == String {
        "'\(text)' is not one of: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))"
    }

    /// A timestamp in the envelope's form, or an RFC 3339 date-time.
    public func timestamp(_ key: String) throws -> Timestamp {
        let text = try string(key)
        do { return try Timestamp(rfc3339: text) } catch { throw self.error(key, "'\(text)' is not an RFC 3339 date-time") }
    }

    /// A calendar date, `YYYY-MM-DD`.
    public func date(_ key: String) throws -> CalendarDate {
        let text = try string(key)
        guard let date = CalendarDate(text) else { throw error(key, "'\(text)' is not a date (YYYY-MM-DD)") }
        return date
    }

    /// A lowercase hex SHA-256 digest.
    public func digest(_ key: String) throws -> String {
        let text = try string(key)
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw error(key, "must be 64 lowercase hex digits (a SHA-256 digest)")
        }
        return text
    }

    /// Reads every object of the list at `key`, going on past an entry that is wrong so that
    /// every wrong entry is reported: throws the first error with the others in `alsoFound`.
    public func eachObject<T>(_ key: String, nonEmpty: Bool = false, _ read: (Fields) throws -> T) throws -> [T] {
        var results: [T] = []
        var errors: [GovernanceError] = []
        for item in try objects(key, nonEmpty: nonEmpty) {
            do { results.append(try read(item)) } catch let error as GovernanceError {
                errors.append(error)
                errors += error.alsoFound
                errors[errors.count - 1 - error.alsoFound.count].alsoFound = []
            }
        }
        guard var first = errors.first else { return results }
        first.alsoFound = Array(errors.dropFirst())
        throw first
    }

    /// Keys present that are not in `known`: an error in policy documents, where a misspelt key
    /// would otherwise be silently ignored.
    public func rejectUnknown(_ known: Set<String>) throws {
        for key in members.keys.sorted() where !known.contains(key) {
            throw error(key, "unknown field; expected one of: \(known.sorted().joined(separator: ", "))")
        }
    }
}
