import Foundation

/// The C2SP signed-note algorithm byte for Ed25519.
let ed25519AlgorithmByte: UInt8 = 0x01

/// Key names of C2SP signed-note: non-empty, no '+', no white space or control characters.
func validateKeyName(_ name: String) throws {
    guard !name.isEmpty else { throw LedgerError(.keyUnavailable, "a key name cannot be empty") }
    for scalar in name.unicodeScalars
    where scalar == "+" || scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7f {
        throw LedgerError(
            .keyUnavailable, "key name '\(name)' contains '\(scalar.escaped(asASCII: true))', which a signed note forbids")
    }
}

/// key ID = the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian.
func noteKeyID(name: String, publicKey: Ed25519PublicKey) -> UInt32 {
    let digest = SHA256.hash(Array(name.utf8) + [0x0a, ed25519AlgorithmByte] + publicKey.bytes).bytes
    return digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
}

func hex8(_ id: UInt32) -> String {
    let text = String(id, radix: 16)
    return String(repeating: "0", count: 8 - text.count) + text
}

/// The parts of a verifier key's text, `name+hex(keyID)+base64(algorithm ‖ Ed25519 key)`: the
/// base64 part may itself contain '+', so only name and key ID are split off.
struct VerifierKeyText {
    let text: String
    let name: String
    let keyID: UInt32
    let publicKey: Ed25519PublicKey
    let what: String

    init(_ text: String, algorithm: UInt8, what: String) throws {
        self.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        self.what = what
        let parts = self.text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 8, let id = UInt32(parts[1], radix: 16),
            let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == algorithm
        else {
            throw LedgerError(
                .keyUnavailable,
                "'\(self.text)' is not a \(what) of the form name+keyid+base64(0x\(String(format: "%02x", algorithm))‖Ed25519 key)")
        }
        name = String(parts[0])
        keyID = id
        publicKey = try Ed25519PublicKey(bytes: Array(raw.dropFirst()))
    }

    /// The key ID must be the one its name and key give.
    func check(_ computed: UInt32) throws {
        guard computed == keyID else {
            throw LedgerError(
                .keyUnavailable, "\(what) '\(text)': key ID \(hex8(keyID)) does not match its name and key (\(hex8(computed)))")
        }
    }
}

/// A C2SP signed-note verifier key: `name+hex(keyID)+base64(0x01 ‖ public key)`.
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let keyID: UInt32
    public let publicKey: Ed25519PublicKey

    public init(name: String, publicKey: Ed25519PublicKey) throws {
        try validateKeyName(name)
        self.name = name
        self.publicKey = publicKey
        self.keyID = noteKeyID(name: name, publicKey: publicKey)
    }

    public init(parsing text: String) throws {
        let parsed = try VerifierKeyText(text, algorithm: ed25519AlgorithmByte, what: "verifier key")
        try self.init(name: parsed.name, publicKey: parsed.publicKey)
        try parsed.check(keyID)
    }

    public var description: String {
        "\(name)+\(hex8(keyID))+\(Data([ed25519AlgorithmByte] + publicKey.bytes).base64EncodedString())"
    }
}

/// A C2SP signed-note signer key: `PRIVATE+KEY+name+hex(keyID)+base64(0x01 ‖ seed)`.
public struct NoteSignerKey: Sendable, CustomStringConvertible {
    public let name: String
    public let privateKey: Ed25519PrivateKey
    public let verifierKey: NoteVerifierKey

    public var keyID: UInt32 { verifierKey.keyID }

    public init(name: String, privateKey: Ed25519PrivateKey) throws {
        self.name = name
        self.privateKey = privateKey
        self.verifierKey = try NoteVerifierKey(name: name, publicKey: privateKey.publicKey)
    }

    public static func generate(name: String) throws -> NoteSignerKey {
        try validateKeyName(name)
        return try NoteSignerKey(name: name, privateKey: .generate())
    }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", parts[3].count == 8,
            let id = UInt32(parts[3], radix: 16),
            let raw = Data(base64Encoded: String(parts[4])), raw.count == 33, raw.first == ed25519AlgorithmByte
        else {
            throw LedgerError(.keyUnavailable, "not a signer key of the form PRIVATE+KEY+name+keyid+base64(0x01‖Ed25519 seed)")
        }
        try self.init(name: String(parts[2]), privateKey: try Ed25519PrivateKey(seed: Array(raw.dropFirst())))
        guard keyID == id else {
            throw LedgerError(.keyUnavailable, "signer key '\(name)': key ID \(parts[3]) does not match its name and key")
        }
    }

    /// The secret form; keep it out of logs.
    public var description: String {
        "PRIVATE+KEY+\(name)+\(hex8(keyID))+\(Data([ed25519AlgorithmByte] + privateKey.seed).base64EncodedString())"
    }
}
