import COpenSSL

/// An Ed25519 private key, held as its 32-byte seed (RFC 8032).
public struct Ed25519PrivateKey: Sendable {
    public let seed: [UInt8]
    public let publicKey: Ed25519PublicKey

    public init(seed: [UInt8]) throws {
        guard seed.count == 32 else {
            throw LedgerError(.keyUnavailable, "an Ed25519 private key is 32 bytes, not \(seed.count)")
        }
        var publicBytes = [UInt8](repeating: 0, count: 32)
        let ok = seed.withUnsafeBytes { s in
            publicBytes.withUnsafeMutableBytes { genledger_ed25519_public_key(s.baseAddress, $0.baseAddress) }
        }
        guard ok == 1 else {
            throw LedgerError(.keyUnavailable, "OpenSSL refused the Ed25519 key: \(OpenSSLError.lastMessage())")
        }
        self.seed = seed
        self.publicKey = Ed25519PublicKey(unchecked: publicBytes)
    }

    /// A new key from OpenSSL's CSPRNG.
    public static func generate() throws -> Ed25519PrivateKey {
        var seed = [UInt8](repeating: 0, count: 32)
        let ok = seed.withUnsafeMutableBytes { genledger_random_bytes($0.baseAddress, 32) }
        guard ok == 1 else {
            throw LedgerError(.keyUnavailable, "OpenSSL could not produce random bytes: \(OpenSSLError.lastMessage())")
        }
        return try Ed25519PrivateKey(seed: seed)
    }

    /// The 64-byte signature of `message` (deterministic, RFC 8032).
    public func signature(for message: some ContiguousBytesView) throws -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 64)
        let ok = seed.withUnsafeBytes { s in
            message.withBytes { m in
                signature.withUnsafeMutableBytes { genledger_ed25519_sign(s.baseAddress, m.baseAddress, m.count, $0.baseAddress) }
            }
        }
        guard ok == 1 else {
            throw LedgerError(.keyUnavailable, "Ed25519 signing failed: \(OpenSSLError.lastMessage())")
        }
        return signature
    }
}

/// An Ed25519 public key (32 bytes).
public struct Ed25519PublicKey: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw LedgerError(.keyUnavailable, "an Ed25519 public key is 32 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public func isValidSignature(_ signature: [UInt8], for message: some ContiguousBytesView) -> Bool {
        guard signature.count == 64 else { return false }
        let result = bytes.withUnsafeBytes { k in
            message.withBytes { m in
                signature.withUnsafeBytes { genledger_ed25519_verify(k.baseAddress, m.baseAddress, m.count, $0.baseAddress) }
            }
        }
        return result == 1
    }
}
