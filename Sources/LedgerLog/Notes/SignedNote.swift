import Foundation

/// A C2SP signed note: text ending in a newline, a blank line, then one line per signature,
/// `— name base64(keyID ‖ signature)`.
public struct SignedNote: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public var name: String
        public var keyID: UInt32
        /// The algorithm-specific signature bytes (64 for Ed25519), without the key ID.
        public var signature: [UInt8]
    }

    /// Unknown signatures are ignored, per the spec; a known key whose signature fails is an
    /// error, since it means the note was altered or the key misused.
    public struct Verification: Sendable, Equatable {
        public var verifiedBy: [NoteVerifierKey]
        public var unknownSignatures: [Signature]
    }

    public var text: String
    public var signatures: [Signature]

    private static let dash = "\u{2014} "

    public init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` with each key, in order.
    public static func sign(text: String, with signers: [NoteSignerKey]) throws -> SignedNote {
        try validateText(text)
        let signatures = try signers.map { signer in
            Signature(name: signer.name, keyID: signer.keyID, signature: try signer.privateKey.signature(for: text))
        }
        return SignedNote(text: text, signatures: signatures)
    }

    public init(parsing note: String) throws {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            // Unsigned evidence is evidence that does not hold (exit 2), not a malformed file.
            throw LedgerError(.verificationFailed, "unsigned: a signed note needs its text, a blank line and at least one signature line")
        }
        let text = String(note[..<note.index(after: split.lowerBound)])
        try Self.validateText(text)
        let block = note[split.upperBound...]
        guard block.hasSuffix("\n") else { throw LedgerError(.badInput, "a signed note ends with a newline") }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix(Self.dash) else {
                throw LedgerError(.badInput, "signature line '\(line)' does not start with '— '")
            }
            let fields = line.dropFirst(Self.dash.count).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty,
                let raw = Data(base64Encoded: String(fields[1])), raw.count > 4
            else { throw LedgerError(.badInput, "signature line '\(line)' is not '— name base64'") }
            let bytes = Array(raw)
            signatures.append(
                Signature(
                    name: String(fields[0]),
                    keyID: bytes[0..<4].reduce(0) { $0 << 8 | UInt32($1) },
                    signature: Array(bytes[4...])
                ))
        }
        guard !signatures.isEmpty else { throw LedgerError(.verificationFailed, "unsigned: a signed note has at least one signature") }
        self.init(text: text, signatures: signatures)
    }

    public var serialized: String {
        var out = text + "\n"
        for signature in signatures {
            let keyID = withUnsafeBytes(of: signature.keyID.bigEndian) { Array($0) }
            out += Self.dash + signature.name + " " + Data(keyID + signature.signature).base64EncodedString() + "\n"
        }
        return out
    }

    public func verify(with keys: [NoteVerifierKey]) throws -> Verification {
        var verified: [NoteVerifierKey] = []
        var unknown: [Signature] = []
        for signature in signatures {
            guard let key = keys.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else {
                unknown.append(signature)
                continue
            }
            guard key.publicKey.isValidSignature(signature.signature, for: text) else {
                throw LedgerError(
                    .verificationFailed, "signature by key \(key.name)+\(hex8(key.keyID)) does not verify: the note was altered")
            }
            if !verified.contains(key) { verified.append(key) }
        }
        guard !verified.isEmpty else {
            throw LedgerError(
                .verificationFailed, "no signature by a known key (\(counted(signatures.count, "signature")) by unknown keys)")
        }
        return Verification(verifiedBy: verified, unknownSignatures: unknown)
    }

    private static func validateText(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw LedgerError(.badInput, "note text must end with a newline") }
        for scalar in text.unicodeScalars where (scalar.value < 0x20 && scalar != "\n") || scalar.value == 0x7f {
            throw LedgerError(.badInput, "note text contains control character U+\(String(scalar.value, radix: 16))")
        }
    }
}
