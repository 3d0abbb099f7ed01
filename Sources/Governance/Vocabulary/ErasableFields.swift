public import LedgerLog

/// Which payload fields may be erased: text the governance never reads (a prompt, the values a
/// template was filled with, a template's body, a failure's message, review notes) and any field
/// a pipeline added that the vocabulary does not define. Everything the gate, the projections or
/// the reports fold stays, so they work on what remains.
public enum ErasableFields {
    static let text: [EventType: Set<String>] = [
        .generationRequested: ["prompt", "template_values"],
        .templateVersioned: ["body", "note"],
        .generationFailed: ["message"],
        .modelReviewCompleted: ["notes"],
    ]

    /// Fields the policy in force also allows (`erasure.allow`), less any the vocabulary requires:
    /// the event must still read after the erasure.
    public static func allowedByPolicy(type: String, payload: JSONValue, policy: GovernancePolicy?) -> Set<String> {
        guard let allowed = policy?.erasureAllowed[type], let eventType = EventType(rawValue: type) else { return [] }
        let required = Set(EventSchema.payloadSchema(eventType)["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        return allowed.subtracting(required).intersection(payload.objectValue?.keys.map { $0 } ?? [])
    }

    /// The fields of `payload` (of an event of `type`) that may be erased.
    public static func erasable(type: String, payload: JSONValue) -> Set<String> {
        guard let eventType = EventType(rawValue: type), let members = payload.objectValue else { return [] }
        if [.payloadErased, .logKeyAdded, .logKeyRetired, .logKeyRevoked].contains(eventType) { return [] }
        let known = Set(EventSchema.payloadSchema(eventType)["properties"]?.objectValue?.keys.map { $0 } ?? [])
        return Set(members.keys).subtracting(known).subtracting([DomainEvent.gateKey]).union(text[eventType] ?? [])
            .intersection(members.keys)
    }
}
