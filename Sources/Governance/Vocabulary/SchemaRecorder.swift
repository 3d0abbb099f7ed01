import LedgerLog

/// What a `Fields` reader accepts, written down as it reads: the JSON Schema (draft 2020-12) of
/// one object. A reader run over a describing `Fields` (`Fields(describing:)`) records every
/// field it asks for instead of reading it, so the schema of an event type is generated from the
/// very code that validates it (docs/events.schema.json, `genledger schema`).
///
/// Used by one thread at a time while a schema is generated; never shared.
final class SchemaRecorder: @unchecked Sendable {
    private enum Property {
        case leaf(JSONValue)
        case object(SchemaRecorder)
        case array(items: SchemaRecorder, minItems: Int)
    }

    private var properties: [String: Property] = [:]
    private var order: [String] = []
    private var required: [String] = []
    private var optional: Set<String> = []
    private var conditions: [(key: String, when: String, values: [String], message: String, schema: JSONValue?)] = []
    private var forbidden: [String] = []
    private var closed = false
    private var opaqueDescription: String?
    private var mapOfStrings = false

    func leaf(_ key: String, _ schema: JSONValue) { add(key, .leaf(schema)) }

    func object(_ key: String) -> SchemaRecorder {
        let child = SchemaRecorder()
        add(key, .object(child))
        return child
    }

    func arrayOfObjects(_ key: String, minItems: Int) -> SchemaRecorder {
        let child = SchemaRecorder()
        add(key, .array(items: child, minItems: minItems))
        return child
    }

    /// The field at `key` may be absent (or null).
    func makeOptional(_ key: String) {
        required.removeAll { $0 == key }
        optional.insert(key)
    }

    /// `key` is required (and, for a list, not empty) when the field `when` is one of `values`.
    /// `schema`, when given, is the field's own schema, which applies only then.
    func requireWhen(_ key: String, when: String, is values: [String], message: String, schema: JSONValue? = nil) {
        conditions.append((key, when, values, message, schema))
    }

    /// `key` must not be present at all.
    func forbid(_ key: String) { forbidden.append(key) }

    /// Fields other than those recorded are refused (policy documents).
    func close() { closed = true }

    /// An object the schema does not describe field by field; `description` says what reads it.
    func opaque(_ description: String) { opaqueDescription = description }

    /// An object whose every member is a non-empty string (a map from names to values).
    func stringMap() { mapOfStrings = true }

    private func add(_ key: String, _ property: Property) {
        if properties[key] == nil { order.append(key) }
        properties[key] = property
        if !optional.contains(key), !required.contains(key) { required.append(key) }
    }

    /// The schema of the object recorded, with `nullable` when the object itself may be null.
    func schema(nullable: Bool = false) -> JSONValue {
        var schema: [String: JSONValue] = ["type": Self.type("object", nullable: nullable)]
        if let opaqueDescription {
            schema["description"] = .string(opaqueDescription)
            return .object(schema)
        }
        if mapOfStrings {
            schema["additionalProperties"] = ["type": "string", "minLength": 1]
            return .object(schema)
        }
        var members: [String: JSONValue] = [:]
        for key in order {
            let isOptional = !required.contains(key)
            switch properties[key]! {
            case .leaf(let leaf): members[key] = isOptional ? Self.nullable(leaf) : leaf
            case .object(let child): members[key] = child.schema(nullable: isOptional)
            case .array(let items, let minItems):
                var array: [String: JSONValue] = ["type": Self.type("array", nullable: isOptional), "items": items.schema()]
                if minItems > 0 { array["minItems"] = .number(Double(minItems)) }
                members[key] = .object(array)
            }
        }
        for key in forbidden { members[key] = .bool(false) }
        if !members.isEmpty { schema["properties"] = .object(members) }
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        if closed { schema["additionalProperties"] = false }
        if !conditions.isEmpty {
            schema["allOf"] = .array(
                conditions.map { condition in
                    // Present means not null, and for a list, not empty.
                    var present: [String: JSONValue] = condition.schema?.objectValue ?? ["not": ["type": "null"]]
                    if isList(condition.key) { present["minItems"] = 1 }
                    var then: [String: JSONValue] = [
                        "required": [.string(condition.key)], "properties": [condition.key: .object(present)],
                    ]
                    then["description"] = .string(condition.message)
                    return [
                        "if": [
                            "properties": [condition.when: ["enum": .array(condition.values.map(JSONValue.string))]],
                            "required": [.string(condition.when)],
                        ],
                        "then": .object(then),
                    ]
                })
        }
        return .object(schema)
    }

    private func isList(_ key: String) -> Bool {
        switch properties[key] {
        case .array?: true
        case .leaf(let leaf)?: leaf["type"] == "array"
        default: false
        }
    }

    private static func type(_ name: String, nullable: Bool) -> JSONValue {
        nullable ? [.string(name), "null"] : .string(name)
    }

    /// The Swift readers treat a null field as absent: an optional field may be null.
    private static func nullable(_ leaf: JSONValue) -> JSONValue {
        guard case .object(var schema) = leaf else { return leaf }
        if case .string(let type) = schema["type"] { schema["type"] = [.string(type), "null"] }
        if case .array(let values) = schema["enum"] { schema["enum"] = .array(values + [.null]) }
        return .object(schema)
    }
}
