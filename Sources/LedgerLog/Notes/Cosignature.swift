import Foundation

/// C2SP tlog-cosignature, the Ed25519 type (signature type 0x04): a witness's statement that, as
/// of a time, the checkpoint is the largest consistent tree it has seen for the log. A
/// cosignature is a signed-note signature line
///
///     — <witness name> base64(key ID ‖ u64 big-endian timestamp ‖ Ed25519 signature)
///
/// with key ID = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], over the message
/// `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint's whole note body.
public enum Cosignature {
    public static let algorithmByte: UInt8 = 0x04

    public static func message(body: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + Array(body.utf8)
    }

    static func keyID(name: String, publicKey: Ed25519PublicKey) -> UInt32 {
        let digest = SHA256.hash(Array(name.utf8) + [0x0a, algorithmByte] + publicKey.bytes).bytes
        return digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// A witness's verifier key: `name+hex(keyID)+base64(0x04 ‖ public key)`.
    public struct VerifierKey: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public let keyID: UInt32
        public let publicKey: Ed25519PublicKey

        public init(name: String, publicKey: Ed25519PublicKey) throws {
            try validateKeyName(name)
            self.name = name
            self.publicKey = publicKey
            keyID = Cosignature.keyID(name: name, publicKey: publicKey)
        }

        public init(parsing text: String) throws {
            let parsed = try VerifierKeyText(text, algorithm: Cosignature.algorithmByte, what: "witness key")
            try self.init(name: parsed.name, publicKey: parsed.publicKey)
            try parsed.check(keyID)
        }

        public var description: String {
            "\(name)+\(hex8(keyID))+\(Data([Cosignature.algorithmByte] + publicKey.bytes).base64EncodedString())"
        }

        /// The timestamp of this witness's valid cosignature among `signatures` over `body`; nil
        /// when there is none. A signature line with this key's name and ID that does not verify
        /// is an error: the checkpoint or the cosignature was altered.
        public func timestamp(in signatures: [SignedNote.Signature], body: String) throws -> UInt64? {
            for signature in signatures where signature.name == name && signature.keyID == keyID {
                guard signature.signature.count == 72 else {
                    throw LedgerError(.verificationFailed, "cosignature by \(name) is \(signature.signature.count + 4) bytes, not 76")
                }
                let timestamp = signature.signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard publicKey.isValidSignature(Array(signature.signature[8...]), for: Cosignature.message(body: body, timestamp: timestamp))
                else {
                    throw LedgerError(.verificationFailed, "the cosignature by witness \(name) does not verify: the checkpoint was altered")
                }
                return timestamp
            }
            return nil
        }
    }

    /// A witness's signing key (kept in a file like a log's: `PRIVATE+KEY+name+keyid+base64(0x04 ‖ seed)`).
    public struct SignerKey: Sendable, CustomStringConvertible {
        public let name: String
        public let privateKey: Ed25519PrivateKey
        public let verifierKey: VerifierKey

        public init(name: String, privateKey: Ed25519PrivateKey) throws {
            self.name = name
            self.privateKey = privateKey
            verifierKey = try VerifierKey(name: name, publicKey: privateKey.publicKey)
        }

        public static func generate(name: String) throws -> SignerKey {
            try validateKeyName(name)
            return try SignerKey(name: name, privateKey: .generate())
        }

        public init(parsing text: String) throws {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parts = trimmed.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", parts[3].count == 8,
                let id = UInt32(parts[3], radix: 16), let raw = Data(base64Encoded: String(parts[4])), raw.count == 33,
                raw.first == Cosignature.algorithmByte
            else {
                throw LedgerError(.keyUnavailable, "not a witness signing key (PRIVATE+KEY+name+keyid+base64(0x04‖Ed25519 seed))")
            }
            try self.init(name: String(parts[2]), privateKey: try Ed25519PrivateKey(seed: Array(raw.dropFirst())))
            guard verifierKey.keyID == id else {
                throw LedgerError(.keyUnavailable, "witness signing key '\(name)': key ID \(parts[3]) does not match")
            }
        }

        public var description: String {
            "PRIVATE+KEY+\(name)+\(hex8(verifierKey.keyID))+\(Data([Cosignature.algorithmByte] + privateKey.seed).base64EncodedString())"
        }

        /// The cosignature line (with its trailing newline) over a checkpoint's note body.
        public func cosign(body: String, timestamp: UInt64) throws -> String {
            let signature = try privateKey.signature(for: Cosignature.message(body: body, timestamp: timestamp))
            let keyID = withUnsafeBytes(of: verifierKey.keyID.bigEndian) { Array($0) }
            let time = withUnsafeBytes(of: timestamp.bigEndian) { Array($0) }
            return "\u{2014} \(name) \(Data(keyID + time + signature).base64EncodedString())\n"
        }
    }
}
