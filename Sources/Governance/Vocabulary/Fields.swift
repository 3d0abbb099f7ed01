public import LedgerLog

/// Reads one JSON object field by field, naming the full path of any field that is missing or
/// of the wrong type. Event payloads and policy documents (YAML read as JSON) share it.
public struct Fields: Sendable {
    public let members: [String: JSONValue]
    /// Where this object sits, as a JSON path (`payload`, `rules[2]`); empty at the root.
    public let path: String
    let code: GovernanceError.Code
    /// Set when this reader describes instead of reads (`init(describing:)`): every accessor
    /// records the field it asks for and returns a placeholder that passes its own checks.
    let recorder: SchemaRecorder?

    public init(_ value: JSONValue, path: String, code: GovernanceError.Code = .invalidEvent) throws {
        guard case .object(let members) = value else {
            throw GovernanceError(code, "must be an object, not \(value.kindName)", field: path.isEmpty ? nil : path)
        }
        self.members = members
        self.path = path
        self.code = code
        self.recorder = nil
    }

    /// A reader that records what it is asked for into `recorder`.
    init(describing recorder: SchemaRecorder, path: String = "payload") {
        members = [:]
        self.path = path
        code = .invalidEvent
        self.recorder = recorder
    }

    /// Whether this reader describes rather than reads: checks between fields are skipped.
    public var isDescribing: Bool { recorder != nil }

    /// What a described string field returns.
    static let placeholder = "x"

    /// Reads an optional field with `read`; while describing, records it as optional.
    private func optional<T>(_ key: String, _ read: () throws -> T) rethrows -> T? {
        if let recorder {
            defer { recorder.makeOptional(key) }
            return try read()
        }
        return has(key) ? try read() : nil
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
        if let recorder {
            recorder.leaf(key, ["type": "string", "minLength": 1])
            return Self.placeholder
        }
        let value = try required(key)
        guard case .string(let text) = value else { throw error(key, "must be a string, not \(value.kindName)") }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    public func optionalString(_ key: String) throws -> String? {
        try optional(key) { try string(key) }
    }

    public func int(_ key: String, min: Int64? = nil, max: Int64? = nil) throws -> Int64 {
        if let recorder {
            var schema: [String: JSONValue] = ["type": "integer"]
            if let min { schema["minimum"] = .number(Double(min)) }
            if let max { schema["maximum"] = .number(Double(max)) }
            recorder.leaf(key, .object(schema))
            return min ?? 0
        }
        let value = try required(key)
        guard let number = value.integerValue else {
            throw error(key, value.numberValue == nil ? "must be an integer, not \(value.kindName)" : "must be a whole number")
        }
        if let min, number < min { throw error(key, "must be at least \(min), not \(number)") }
        if let max, number > max { throw error(key, "must be at most \(max), not \(number)") }
        return number
    }

    public func optionalInt(_ key: String, min: Int64? = nil, max: Int64? = nil) throws -> Int64? {
        try optional(key) { try int(key, min: min, max: max) }
    }

    public func number(_ key: String, min: Double? = nil) throws -> Double {
        if let recorder {
            var schema: [String: JSONValue] = ["type": "number"]
            if let min { schema["minimum"] = .number(min) }
            recorder.leaf(key, .object(schema))
            return min ?? 0
        }
        let value = try required(key)
        guard let number = value.numberValue else { throw error(key, "must be a number, not \(value.kindName)") }
        if let min, number < min { throw error(key, min == 0 ? "must not be negative" : "must be at least \(min)") }
        return number
    }

    public func optionalNumber(_ key: String, min: Double? = nil) throws -> Double? {
        try optional(key) { try number(key, min: min) }
    }

    public func bool(_ key: String) throws -> Bool {
        if let recorder {
            recorder.leaf(key, ["type": "boolean"])
            return false
        }
        let value = try required(key)
        guard let flag = value.boolValue else { throw error(key, "must be true or false, not \(value.kindName)") }
        return flag
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        try optional(key) { try bool(key) }
    }

    public func object(_ key: String) throws -> Fields {
        if let recorder { return Fields(describing: recorder.object(key), path: path(key)) }
        return try Fields(try required(key), path: path(key), code: code)
    }

    public func optionalObject(_ key: String) throws -> Fields? {
        try optional(key) { try object(key) }
    }

    /// An object mapping names to non-empty strings (`template_values`), in name order.
    public func optionalStringMap(_ key: String) throws -> [(name: String, value: String)] {
        if let recorder {
            recorder.object(key).stringMap()
            recorder.makeOptional(key)
            return []
        }
        guard let map = try optionalObject(key) else { return [] }
        return try map.members.keys.sorted().map { ($0, try map.string($0)) }
    }

    public func array(_ key: String, nonEmpty: Bool = false) throws -> [JSONValue] {
        if let recorder {
            recorder.leaf(key, nonEmpty ? ["type": "array", "minItems": 1] : ["type": "array"])
            return []
        }
        let value = try required(key)
        guard case .array(let items) = value else { throw error(key, "must be an array, not \(value.kindName)") }
        if nonEmpty && items.isEmpty { throw error(key, "must not be empty") }
        return items
    }

    public func objects(_ key: String, nonEmpty: Bool = false) throws -> [Fields] {
        if let recorder {
            return [Fields(describing: recorder.arrayOfObjects(key, minItems: nonEmpty ? 1 : 0), path: "\(path(key))[]")]
        }
        return try array(key, nonEmpty: nonEmpty).enumerated().map { i, item in
            try Fields(item, path: "\(path(key))[\(i)]", code: code)
        }
    }

    public func optionalObjects(_ key: String) throws -> [Fields] {
        try optional(key) { try objects(key) } ?? []
    }

    public func strings(_ key: String, nonEmpty: Bool = false) throws -> [String] {
        if let recorder {
            var schema: [String: JSONValue] = ["type": "array", "items": ["type": "string", "minLength": 1]]
            if nonEmpty { schema["minItems"] = 1 }
            recorder.leaf(key, .object(schema))
            return [Self.placeholder]
        }
        return try array(key, nonEmpty: nonEmpty).enumerated().map { i, item in
            guard case .string(let text) = item, !text.isEmpty else {
                throw GovernanceError(code, "must be a non-empty string, not \(item.kindName)", field: "\(path(key))[\(i)]")
            }
            return text
        }
    }

    public func optionalStrings(_ key: String) throws -> [String] {
        try optional(key) { try strings(key) } ?? []
    }

    /// A string that must be one of an enumeration's raw values.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ type: Choice.Type = Choice.self) throws
        -> Choice where Choice.RawValue == String
    {
        if let recorder {
            recorder.leaf(key, ["type": "string", "enum": Self.values(Choice.self)])
            return Choice.allCases.first!
        }
        let text = try string(key)
        guard let value = Choice(rawValue: text) else { throw error(key, Self.notOneOf(text, Choice.self)) }
        return value
    }

    public func optionalChoice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ type: Choice.Type = Choice.self)
        throws -> Choice? where Choice.RawValue == String
    {
        try optional(key) { try choice(key, type) }
    }

    public func choices<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ type: Choice.Type = Choice.self, nonEmpty: Bool = false
    ) throws -> [Choice] where Choice.RawValue == String {
        if let recorder {
            var schema: [String: JSONValue] = ["type": "array", "items": ["type": "string", "enum": Self.values(Choice.self)]]
            if nonEmpty { schema["minItems"] = 1 }
            recorder.leaf(key, .object(schema))
            return [Choice.allCases.first!]
        }
        return try strings(key, nonEmpty: nonEmpty).enumerated().map { i, text in
            guard let value = Choice(rawValue: text) else {
                throw GovernanceError(code, Self.notOneOf(text, Choice.self), field: "\(path(key))[\(i)]")
            }
            return value
        }
    }

    static func values<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) -> JSONValue
    where Choice.RawValue == String {
        .array(Choice.allCases.map { .string($0.rawValue) })
    }

    static func notOneOf<Choice: RawRepresentable & CaseIterable>(_ text: String, _ type: Choice.Type) -> String
    where Choice.RawValue == String {
        "'\(text)' is not one of: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))"
    }

    /// A timestamp in the envelope's form, or an RFC 3339 date-time.
    public func timestamp(_ key: String) throws -> Timestamp {
        if let recorder {
            recorder.leaf(key, ["type": "string", "format": "date-time"])
            return Timestamp(microsecondsSinceEpoch: 0)
        }
        let text = try string(key)
        do { return try Timestamp(rfc3339: text) } catch { throw self.error(key, "'\(text)' is not an RFC 3339 date-time") }
    }

    /// A calendar date, `YYYY-MM-DD`.
    public func date(_ key: String) throws -> CalendarDate {
        if let recorder {
            recorder.leaf(key, ["type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"])
            return CalendarDate("2000-01-01")!
        }
        let text = try string(key)
        guard let date = CalendarDate(text) else { throw error(key, "'\(text)' is not a date (YYYY-MM-DD)") }
        return date
    }

    /// A lowercase hex SHA-256 digest.
    public func digest(_ key: String) throws -> String {
        if let recorder {
            recorder.leaf(key, ["type": "string", "pattern": "^[0-9a-f]{64}$"])
            return String(repeating: "0", count: 64)
        }
        let text = try string(key)
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw error(key, "must be 64 lowercase hex digits (a SHA-256 digest)")
        }
        return text
    }

    /// A string of a textual form: `pattern` (an ECMA-262 regular expression, as JSON Schema
    /// uses) describes exactly the strings `isValid` accepts; `example` is a valid one.
    public func formatted(
        _ key: String, pattern: String, example: String, _ message: (String) -> String, isValid: (String) -> Bool
    ) throws -> String {
        if let recorder {
            recorder.leaf(key, ["type": "string", "pattern": .string(pattern)])
            return example
        }
        let text = try string(key)
        guard isValid(text) else { throw error(key, message(text)) }
        return text
    }

    /// A string that must be one of `values` (a set the domain keeps as strings).
    public func string(_ key: String, oneOf values: [String], _ message: ((String) -> String)? = nil) throws -> String {
        if let recorder {
            recorder.leaf(key, ["type": "string", "enum": .array(values.map(JSONValue.string))])
            return values[0]
        }
        let text = try string(key)
        guard values.contains(text) else {
            throw error(key, message?(text) ?? "'\(text)' is not one of: \(values.joined(separator: ", "))")
        }
        return text
    }

    /// A document carried whole (a policy or routing table): read by its own reader, which the
    /// schema does not describe; `description` says what it is.
    public func document(_ key: String, _ description: String) throws -> Fields {
        if let recorder {
            let child = recorder.object(key)
            child.opaque(description)
            return Fields(describing: child, path: path(key))
        }
        return try object(key)
    }

    /// A check across fields, made when reading; while describing, `description` is all there is.
    public func check(_ holds: @autoclosure () throws -> Bool, _ key: String, _ message: String) throws {
        if isDescribing { return }
        guard try holds() else { throw error(key, message) }
    }

    /// `key` is required (a list: not empty) when the string field `other` is one of `values`.
    public func require(_ key: String, when other: String, is values: [String], _ message: String) throws {
        if let recorder { return recorder.requireWhen(key, when: other, is: values, message: message) }
        guard case .string(let value) = members[other], values.contains(value) else { return }
        let present: Bool
        switch members[key] {
        case .none, .null?: present = false
        case .array(let items)?: present = !items.isEmpty
        default: present = true
        }
        if !present { throw error(key, message) }
    }

    /// A string required only when the string field `other` is `value` (and not read otherwise).
    public func string(_ key: String, when other: String, is value: String) throws -> String? {
        if let recorder {
            recorder.requireWhen(
                key, when: other, is: [value], message: "required when \(other) is \(value)",
                schema: ["type": "string", "minLength": 1])
            return Self.placeholder
        }
        guard case .string(value) = members[other] else { return nil }
        return try string(key)
    }

    /// `key` may not be supplied at all (not even as null).
    public func forbid(_ key: String, _ message: String) throws {
        if let recorder { return recorder.forbid(key) }
        if members[key] != nil { throw error(key, message) }
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
        if let recorder { return recorder.close() }
        for key in members.keys.sorted() where !known.contains(key) {
            throw error(key, "unknown field; expected one of: \(known.sorted().joined(separator: ", "))")
        }
    }
}
