import Foundation

/// A proposed event, validated and canonicalized before the write lock is taken (or, for a
/// large batch, on another thread while the events before it are written).
struct PreparedEvent: Sendable {
    let id: String
    let idWasGiven: Bool
    let type: String
    let stream: String
    let payloadBytes: [UInt8]
    let payloadDigest: SHA256Digest
    let occurredAt: String?
    let actor: String?
    let expectedVersion: UInt64?
    /// The hashed envelope with the members known now in place.
    let envelope: EnvelopeTemplate

    init(_ event: ProposedEvent, sha: SHA256, ids: inout EventIDs) throws {
        try Self.checkText(event.type, field: "type")
        try Self.checkText(event.stream, field: "stream")
        if let actor = event.actor { try Self.checkText(actor, field: "actor") }
        guard case .object = event.payload else {
            throw LedgerError(.badInput, "payload must be a JSON object, not \(event.payload.kindName)", field: "payload")
        }
        let bytes = CanonicalJSON.bytes(of: event.payload)
        guard bytes.count <= EnvelopeEncoding.maxPayloadBytes else {
            throw LedgerError(
                .badInput, "payload is \(bytes.count) bytes canonicalized; the limit is \(EnvelopeEncoding.maxPayloadBytes)",
                field: "payload")
        }
        self.id = (event.id ?? ids.next()).lowercasedString
        self.idWasGiven = event.id != nil
        self.type = event.type
        self.stream = event.stream
        self.payloadBytes = bytes
        self.payloadDigest = sha.hash(bytes)
        self.occurredAt = event.occurredAt?.description
        self.actor = event.actor
        self.expectedVersion = event.expectedVersion
        self.envelope = EnvelopeTemplate(
            id: id, type: type, stream: stream, occurredAt: occurredAt, actor: event.actor ?? Self.unknownActor, payloadDigest: payloadDigest)
    }

    /// The actor recorded when the caller names none.
    static let unknownActor = "unknown"

    /// Same content: type, stream and payload, and the time and actor where the caller gave them.
    func matches(_ stored: RecordedEvent) -> Bool {
        stored.type == type && stored.stream == stream && stored.payloadDigest == payloadDigest
            && (occurredAt == nil || stored.occurredAt == occurredAt) && (actor == nil || stored.actor == actor)
    }

    func sameContent(as other: PreparedEvent) -> Bool {
        type == other.type && stream == other.stream && payloadDigest == other.payloadDigest
            && occurredAt == other.occurredAt && actor == other.actor
    }

    private static func checkText(_ text: String, field: String) throws {
        guard !text.isEmpty else { throw LedgerError(.badInput, "must not be empty", field: field) }
        guard text.utf8.count <= EnvelopeEncoding.maxFieldBytes else {
            throw LedgerError(.badInput, "longer than \(EnvelopeEncoding.maxFieldBytes) bytes", field: field)
        }
        // In UTF-8 these scalars are single bytes, and no other scalar's bytes fall below 0x80.
        for byte in text.utf8 where byte < 0x20 || byte == 0x7f {
            throw LedgerError(.badInput, "contains a control character", field: field)
        }
    }
}
