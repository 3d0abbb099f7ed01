import Foundation

/// Key rotation as events of the log itself, each signed by a key already trusted, so that the
/// keys an auditor may trust are a chain from the one `genledger init` printed (the trust root):
///
///     log.key_added    {key, signer, signature}   the key may sign checkpoints of ≥ this seq's tree
///     log.key_retired  {key, signer, signature}   …and no checkpoint of a larger tree than this seq's
///     log.key_revoked  {key, signer, signature}   …and none at all (it was compromised)
///
/// on stream `log/keys`. `signature` is the signer's Ed25519 signature (base64) of
/// `genledger key v1\n<origin>\n<add|retire|revoke> <key>\n`; `signer` is the signer's verifier
/// key. A statement whose signer is not trusted at its seq adds nothing.
public enum KeyChain {
    public enum Action: String, Sendable, CaseIterable {
        case add, retire, revoke

        public var eventType: String {
            switch self {
            case .add: "log.key_added"
            case .retire: "log.key_retired"
            case .revoke: "log.key_revoked"
            }
        }

        public init?(eventType: String) {
            guard let action = Action.allCases.first(where: { $0.eventType == eventType }) else { return nil }
            self = action
        }
    }

    public static let stream = "log/keys"

    public static func statement(origin: String, action: Action, key: NoteVerifierKey) -> [UInt8] {
        Array("genledger key v1\n\(origin)\n\(action.rawValue) \(key)\n".utf8)
    }

    /// The event that records `action` on `key`, signed by `signer`.
    public static func event(origin: String, action: Action, key: NoteVerifierKey, signer: NoteSignerKey) throws -> ProposedEvent {
        let signature = try signer.privateKey.signature(for: statement(origin: origin, action: action, key: key))
        return ProposedEvent(
            type: action.eventType, stream: stream,
            payload: [
                "key": .string(key.description), "signer": .string(signer.verifierKey.description),
                "signature": .string(Data(signature).base64EncodedString()),
            ],
            actor: "key:\(signer.verifierKey.name)")
    }

    /// What the chain of statements makes of the trust root: which key may sign a checkpoint of
    /// which tree size.
    public struct Trust: Sendable {
        struct Span: Sendable {
            var from: UInt64
            var through: UInt64?
            var revoked = false
            /// Seq of the statement that added it (0: a root).
            var addedAt: UInt64
        }

        private(set) var spans: [NoteVerifierKey: Span] = [:]
        public private(set) var ignored: [(seq: UInt64, reason: String)] = []
        public let roots: [NoteVerifierKey]

        public init(roots: [NoteVerifierKey]) {
            self.roots = roots
            for root in roots { spans[root] = Span(from: 0, addedAt: 0) }
        }

        /// Whether `key` may sign a checkpoint of a tree of `size` events.
        public func trusts(_ key: NoteVerifierKey, atSize size: UInt64) -> Bool {
            guard let span = spans[key], !span.revoked else { return false }
            return size >= span.from && span.through.map { size <= $0 } ?? true
        }

        public func keys(atSize size: UInt64) -> [NoteVerifierKey] {
            spans.keys.filter { trusts($0, atSize: size) }.sorted { $0.description < $1.description }
        }

        /// Every key the chain reached (revoked ones aside), with the seq that added it.
        public var reached: [(key: NoteVerifierKey, addedAt: UInt64)] {
            spans.filter { !$0.value.revoked }.map { ($0.key, $0.value.addedAt) }.sorted { $0.addedAt < $1.addedAt }
        }

        /// Applies one key statement recorded at `seq` (events in seq order).
        public mutating func apply(seq: UInt64, type: String, payload: JSONValue, origin: String) {
            guard let action = Action(eventType: type) else { return }
            guard let keyText = payload["key"]?.stringValue, let key = try? NoteVerifierKey(parsing: keyText),
                let signerText = payload["signer"]?.stringValue, let signer = try? NoteVerifierKey(parsing: signerText),
                let signatureText = payload["signature"]?.stringValue, let signature = Data(base64Encoded: signatureText)
            else {
                ignored.append((seq, "the key statement is malformed"))
                return
            }
            guard trusts(signer, atSize: seq) else {
                ignored.append((seq, "\(type) of \(key) is signed by \(signer), which is not trusted there"))
                return
            }
            guard signer.publicKey.isValidSignature(Array(signature), for: statement(origin: origin, action: action, key: key)) else {
                ignored.append((seq, "\(type) of \(key): the signature by \(signer) does not verify"))
                return
            }
            switch action {
            case .add:
                if spans[key] == nil { spans[key] = Span(from: seq, addedAt: seq) }
            case .retire:
                if var span = spans[key] {
                    span.through = min(span.through ?? seq, seq)
                    spans[key] = span
                }
            case .revoke:
                // Keys it added while it was trusted stay: revoke them too if they are suspect.
                spans[key]?.revoked = true
            }
        }
    }
}
