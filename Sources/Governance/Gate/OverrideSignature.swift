public import Foundation
public import LedgerLog

/// An approver's signature on an override, for writers that hold no token (the command line):
/// Ed25519 over `genledger override v1\n` followed by the RFC 8785 bytes of
/// `{"id", "payload", "stream", "type"}`, the payload without its `approver_signature`. The event
/// id is signed, so a signature cannot be replayed as a second override; it is checked against
/// the key the policy in force registers for the approver (docs/POLICIES.md, approvers).
public enum OverrideSignature {
    static let context = Array("genledger override v1\n".utf8)

    /// The bytes an approver signs.
    public static func message(id: UUID, stream: String, payload: JSONValue) -> [UInt8] {
        var unsigned = payload.objectValue ?? [:]
        unsigned[PolicyOverrideGranted.signatureKey] = nil
        let signed: JSONValue = [
            "id": .string(id.uuidString.lowercased()), "payload": .object(unsigned), "stream": .string(stream),
            "type": .string(EventType.policyOverrideGranted.rawValue),
        ]
        return context + CanonicalJSON.bytes(of: signed)
    }

    /// The override with the approver's signature in its payload (an id is given it if it has none).
    public static func sign(_ event: ProposedEvent, with key: NoteSignerKey) throws -> ProposedEvent {
        var signed = event
        let id = event.id ?? UUID()
        signed.id = id
        let signature = try key.privateKey.signature(for: message(id: id, stream: event.stream, payload: event.payload))
        var payload = event.payload.objectValue ?? [:]
        payload[PolicyOverrideGranted.signatureKey] = .string(Data(signature).base64EncodedString())
        signed.payload = .object(payload)
        return signed
    }

    /// The approver the signature proves, or why it proves nothing.
    static func verify(_ event: ProposedEvent, _ override: PolicyOverrideGranted, policy: GovernancePolicy?) -> Result<
        ApprovalProof, ApprovalRefusal
    > {
        guard let text = override.approverSignature else { return .failure(.init("no signature")) }
        guard let id = event.id else {
            return .failure(.init("a signed override must carry the event id it was signed with ('id')"))
        }
        guard let key = policy?.approverKeys[override.approver] else {
            return .failure(
                .init("approver '\(override.approver)' has no key registered in the policy in force; add {id, key} to approvers"))
        }
        guard let signature = Data(base64Encoded: text), signature.count == 64,
            key.publicKey.isValidSignature(Array(signature), for: message(id: id, stream: event.stream, payload: event.payload))
        else {
            return .failure(.init("the approver_signature does not verify with approver '\(override.approver)''s key \(key)"))
        }
        let keyName = key.description.split(separator: "+").prefix(2).joined(separator: "+")
        return .success(ApprovalProof(approver: override.approver, provenBy: "signature \(keyName)"))
    }

    struct ApprovalRefusal: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
