import Foundation

/// An evidence bundle (docs/FORMAT.md §12): some events of the log, each in its export form
/// with its RFC 9162 inclusion proof against one signed checkpoint (with any witnesses'
/// cosignatures), in one JSON file that anyone can check offline with SHA-256 and Ed25519:
///
///     {"format": "genledger-evidence-bundle/v1", "origin", "checkpoint": "<signed note>",
///      "subject": {…what the events are evidence of…},
///      "events": [{"event": {…export line…}, "inclusion": {"leafIdx", "treeSize", "proof": [base64…]}}]}
public enum EvidenceBundle {
    public static let format = "genledger-evidence-bundle/v1"

    /// The bundle of events `seqs` (ascending, each within the latest checkpoint), about `subject`.
    /// An event `disclose` turns down goes without its `payload` (withheld: its envelope, with
    /// the payload's digest, is still hashed and proven).
    public static func make(
        ledger: Ledger, seqs: [UInt64], subject: JSONValue, disclose: (RecordedEvent) -> Bool = { _ in true }
    ) throws -> JSONValue {
        guard let checkpoint = try ledger.latestCheckpoint() else {
            throw LedgerError(.badInput, "no checkpoint has been issued: run genledger checkpoint first")
        }
        var events: [JSONValue] = []
        for seq in Array(Set(seqs)).sorted() {
            guard seq <= checkpoint.treeSize else {
                throw LedgerError(
                    .badInput, "seq \(seq) is after the latest checkpoint (size \(checkpoint.treeSize)): run genledger checkpoint", seq: seq)
            }
            guard let event = try ledger.event(seq: seq) else { throw LedgerError(.badInput, "no event at seq \(seq)", seq: seq) }
            let proof = try ledger.inclusionProof(seq: seq, treeSize: checkpoint.treeSize)
            var line = try JSONParser.parse(EnvelopeEncoding.line(of: event))
            if !disclose(event), case .object(var members) = line {
                members["payload"] = nil
                line = .object(members)
            }
            events.append([
                "event": line,
                "inclusion": [
                    "leafIdx": .number(Double(proof.leafIndex)), "treeSize": .number(Double(proof.treeSize)),
                    "proof": .array(proof.path.map { .string($0.base64) }),
                ],
            ])
        }
        return [
            "format": .string(format), "origin": .string(ledger.origin), "checkpoint": .string(try ledger.cosignedNote(checkpoint)),
            "subject": subject, "events": .array(events),
        ]
    }

    public struct Verified: Sendable {
        public var origin: String
        public var treeSize: UInt64
        public var root: SHA256Digest
        public var subject: JSONValue
        public var events: [RecordedEvent]
        /// Seqs of events whose payload the bundle withholds (their `payloadBytes` are `{}`).
        public var withheld: [UInt64]
        public var verifiedBy: [String]
    }

    /// Checks a bundle with the trusted keys: the checkpoint's signature, then each event's
    /// payload digest, hash and inclusion in the checkpoint's tree. Any failure names the event.
    public static func verify(_ bytes: [UInt8], keys: [NoteVerifierKey]) throws -> Verified {
        let bundle: JSONValue
        do { bundle = try JSONParser.parse(bytes) } catch {
            throw LedgerError(.badInput, "the bundle is not JSON: \(error)")
        }
        guard bundle["format"]?.stringValue == format else {
            throw LedgerError(.badInput, "not a \(format) document", field: "format")
        }
        guard let note = bundle["checkpoint"]?.stringValue else { throw LedgerError(.badInput, "no checkpoint", field: "checkpoint") }
        let signed = try SignedCheckpoint(parsing: note)
        let verification = try signed.verify(with: keys)
        let checkpoint = signed.checkpoint
        guard bundle["origin"]?.stringValue == checkpoint.origin else {
            throw LedgerError(.verificationFailed, "the bundle's origin is not its checkpoint's", field: "origin")
        }
        let sha = SHA256()
        let hashing = MerkleHashing()
        var events: [RecordedEvent] = []
        var withheld: [UInt64] = []
        for (index, entry) in (bundle["events"]?.arrayValue ?? []).enumerated() {
            let field = "events[\(index)]"
            guard var eventValue = entry["event"], let inclusion = entry["inclusion"] else {
                throw LedgerError(.badInput, "an entry is {event, inclusion}", field: field)
            }
            let disclosed = eventValue["payload"] != nil
            if !disclosed, case .object(var members) = eventValue {
                members["payload"] = .object([:])
                eventValue = .object(members)
            }
            let event = try EnvelopeEncoding.parseLine(CanonicalJSON.bytes(of: eventValue))
            if !disclosed { withheld.append(event.seq) }
            guard !disclosed || sha.hash(event.payloadBytes) == event.payloadDigest else {
                throw LedgerError(.verificationFailed, "seq \(event.seq): its payload does not match its payload_digest", seq: event.seq)
            }
            guard sha.hash(EnvelopeEncoding.hashedBytes(of: event)) == event.hash else {
                throw LedgerError(.verificationFailed, "seq \(event.seq): its envelope does not match its hash", seq: event.seq)
            }
            guard let leafIndex = inclusion["leafIdx"]?.integerValue, leafIndex == Int64(event.seq) - 1,
                inclusion["treeSize"]?.integerValue == Int64(checkpoint.size)
            else {
                throw LedgerError(
                    .verificationFailed, "seq \(event.seq): its proof is not for leaf \(event.seq - 1) of the checkpoint's tree of \(checkpoint.size)",
                    seq: event.seq)
            }
            let path = try (inclusion["proof"]?.arrayValue ?? []).map { hash -> [UInt8] in
                guard let text = hash.stringValue, let data = Data(base64Encoded: text) else {
                    throw LedgerError(.badInput, "a proof hash is not base64", field: "\(field).inclusion.proof")
                }
                return Array(data)
            }
            do {
                try MerkleProofVerifier.verifyInclusion(
                    leafIndex: UInt64(leafIndex), treeSize: checkpoint.size, leafHash: hashing.leafHash(of: event.hash).bytes,
                    proof: path, root: checkpoint.root.bytes)
            } catch {
                throw LedgerError(.verificationFailed, "seq \(event.seq): its inclusion proof fails: \(error)", seq: event.seq)
            }
            events.append(event)
        }
        guard !events.isEmpty else { throw LedgerError(.verificationFailed, "the bundle holds no events") }
        return Verified(
            origin: checkpoint.origin, treeSize: checkpoint.size, root: checkpoint.root, subject: bundle["subject"] ?? .null,
            events: events, withheld: withheld, verifiedBy: verification.verifiedBy.map(\.description))
    }
}
