internal import COpenSSL
import Foundation

/// Why Content Credentials could not be made or read; says which input is at fault.
public struct ContentCredentialsError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func openSSL(_ what: String) -> ContentCredentialsError {
        var buffer = [CChar](repeating: 0, count: 256)
        genledger_openssl_last_error(&buffer, buffer.count)
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return ContentCredentialsError(reason.isEmpty ? what : "\(what): \(reason)")
    }
}

/// A key (private, or public only) held by OpenSSL; freed with its owner.
final class OpenSSLKey: @unchecked Sendable {  // The handle is only read after creation; OpenSSL keys are safe to use from any thread.
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { genledger_pkey_free(handle) }

    enum Kind: Sendable { case p256, p384, ed25519 }

    var kind: Kind? {
        switch Int(genledger_pkey_kind(handle)) {
        case Int(GENLEDGER_KEY_P256): .p256
        case Int(GENLEDGER_KEY_P384): .p384
        case Int(GENLEDGER_KEY_ED25519): .ed25519
        default: nil
        }
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 132)
        var written = 0
        guard genledger_pkey_sign(handle, message, message.count, &signature, signature.count, &written) == 1 else {
            throw ContentCredentialsError.openSSL("signing failed")
        }
        return Array(signature.prefix(written))
    }

    func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        genledger_pkey_verify(handle, message, message.count, signature, signature.count) == 1
    }

    func pem() throws -> String {
        let needed = genledger_private_key_pem(handle, nil, 0)
        guard needed > 0 else { throw ContentCredentialsError.openSSL("cannot write the private key") }
        var buffer = [CChar](repeating: 0, count: needed)
        _ = genledger_private_key_pem(handle, &buffer, needed)
        return String(decoding: buffer.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func generateP256() throws -> OpenSSLKey {
        guard let key = genledger_generate_p256_key() else { throw ContentCredentialsError.openSSL("cannot generate a P-256 key") }
        return OpenSSLKey(key)
    }

    static func fromPEM(_ pem: [UInt8]) -> OpenSSLKey? {
        genledger_private_key_from_pem(pem, pem.count).map(OpenSSLKey.init)
    }

    static func publicKey(ofCertificate der: [UInt8]) -> OpenSSLKey? {
        genledger_certificate_public_key(der, der.count).map(OpenSSLKey.init)
    }

    static func publicKey(spki der: [UInt8]) -> OpenSSLKey? {
        genledger_public_key_from_der(der, der.count).map(OpenSSLKey.init)
    }

    func hasSamePublicKey(as other: OpenSSLKey) -> Bool { genledger_pkey_same_public(handle, other.handle) == 1 }
}

/// The studio's signing credential for Content Credentials: a private key and the X.509
/// certificate chain that vouches for it (the signer's certificate first, then its issuers up
/// to, but not necessarily including, the trust anchor). ES256 (P-256), ES384 (P-384) and
/// Ed25519 keys are accepted (C2PA specification, "Digital signatures").
public struct SigningCredential: Sendable {
    let key: OpenSSLKey
    /// DER certificates, the signer's first.
    public let chain: [[UInt8]]

    /// The COSE algorithm identifier (RFC 9053): ES256 −7, ES384 −35, EdDSA −8.
    public var coseAlgorithm: Int64 {
        switch key.kind {
        case .p256: -7
        case .p384: -35
        case .ed25519, nil: -8
        }
    }

    public var algorithmName: String {
        switch key.kind {
        case .p256: "ES256"
        case .p384: "ES384"
        case .ed25519, nil: "Ed25519"
        }
    }

    /// From the PEM texts of a certificate chain and of its first certificate's private key.
    public init(chainPEM: String, keyPEM: String) throws {
        let chain = PEM.blocks(in: chainPEM, label: "CERTIFICATE")
        guard !chain.isEmpty else { throw ContentCredentialsError("the certificate file holds no PEM CERTIFICATE block") }
        guard let key = OpenSSLKey.fromPEM(Array(keyPEM.utf8)) else {
            throw ContentCredentialsError.openSSL("the key file holds no PEM private key OpenSSL can read")
        }
        guard key.kind != nil else {
            throw ContentCredentialsError("the key is neither P-256, P-384 nor Ed25519, which C2PA signatures use")
        }
        guard let certified = OpenSSLKey.publicKey(ofCertificate: chain[0]) else {
            throw ContentCredentialsError.openSSL("the first certificate of the chain cannot be read")
        }
        guard certified.hasSamePublicKey(as: key) else {
            throw ContentCredentialsError("the key is not the one the first certificate of the chain certifies")
        }
        self.key = key
        self.chain = chain
    }

    /// From a certificate chain file and a key file, both PEM.
    public init(certificateFile: String, keyFile: String) throws {
        guard let chain = FileManager.default.contents(atPath: certificateFile) else {
            throw ContentCredentialsError("cannot read the certificate file '\(certificateFile)'")
        }
        guard let key = FileManager.default.contents(atPath: keyFile) else {
            throw ContentCredentialsError("cannot read the key file '\(keyFile)'")
        }
        try self.init(chainPEM: String(decoding: chain, as: UTF8.self), keyPEM: String(decoding: key, as: UTF8.self))
    }

    init(key: OpenSSLKey, chain: [[UInt8]]) {
        self.key = key
        self.chain = chain
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { try key.sign(message) }
}

/// PEM (RFC 7468): base64 between BEGIN and END lines.
enum PEM {
    static func blocks(in text: String, label: String) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var body: String?
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "-----BEGIN \(label)-----" {
                body = ""
            } else if line == "-----END \(label)-----" {
                if let body, let data = Data(base64Encoded: body) { blocks.append(Array(data)) }
                body = nil
            } else if body != nil {
                body! += line
            }
        }
        return blocks
    }

    static func text(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
