import Foundation

/// The proposed envelope as JSON: one line of `genledger append`, one element of an HTTP batch.
extension ProposedEvent {
    /// The envelope's fields; any other is refused by name.
    public static let jsonFields: Set<String> = ["type", "stream", "payload", "id", "occurred_at", "actor", "expected_version"]

    /// Parses one JSON line (`{"type", "stream", "payload", "id"?, "occurred_at"?, "actor"?, "expected_version"?}`).
    public init(line: [UInt8]) throws {
        if line.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw LedgerError(
                .badInput, "the line starts with a UTF-8 byte order mark (BOM); save the file as UTF-8 without one")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch let failure as JSONParser.Failure {
            throw LedgerError(.badInput, "malformed JSON: \(failure)")
        }
        try self.init(proposal: value)
    }

    /// Reads a parsed envelope, naming the field at fault.
    public init(proposal value: JSONValue) throws {
        guard case .object(let members) = value else {
            throw LedgerError(.badInput, "an event is a JSON object, not \(value.kindName)")
        }
        if let unknown = Set(members.keys).subtracting(Self.jsonFields).sorted().first {
            throw LedgerError(
                .badInput, "unknown field (expected \(Self.jsonFields.sorted().joined(separator: ", ")))", field: unknown)
        }
        func requiredString(_ key: String) throws -> String {
            guard let member = members[key] else { throw LedgerError(.badInput, "is required", field: key) }
            guard let string = member.stringValue else {
                throw LedgerError(.badInput, "must be a string, not \(member.kindName)", field: key)
            }
            return string
        }
        func optionalString(_ key: String) throws -> String? {
            guard let member = members[key], member != .null else { return nil }
            guard let string = member.stringValue else {
                throw LedgerError(.badInput, "must be a string, not \(member.kindName)", field: key)
            }
            return string
        }
        let type = try requiredString("type")
        let stream = try requiredString("stream")
        guard let payload = members["payload"] else { throw LedgerError(.badInput, "is required", field: "payload") }
        guard case .object = payload else {
            throw LedgerError(.badInput, "must be a JSON object, not \(payload.kindName)", field: "payload")
        }
        self.init(type: type, stream: stream, payload: payload)
        if let id = try optionalString("id") {
            guard let uuid = UUID(uuidString: id) else { throw LedgerError(.badInput, "'\(id)' is not a UUID", field: "id") }
            self.id = uuid
        }
        if let occurredAt = try optionalString("occurred_at") {
            do { self.occurredAt = try Timestamp(rfc3339: occurredAt) } catch let error as LedgerError {
                throw LedgerError(.badInput, error.message, field: "occurred_at")
            }
        }
        actor = try optionalString("actor")
        if let expected = members["expected_version"], expected != .null {
            guard let version = expected.integerValue, version >= 0 else {
                throw LedgerError(.badInput, "must be a non-negative integer", field: "expected_version")
            }
            expectedVersion = UInt64(version)
        }
    }
}
