/// COSE_Sign1 (RFC 9052 §4.2), as C2PA claim signatures use it: the payload detached (the
/// claim's bytes are signed but not repeated), the algorithm and the signer's X.509 chain
/// (`x5chain`, label 33, RFC 9360) in the protected header.
public enum COSESign1 {
    public static let tag: UInt64 = 18
    public static let algorithmLabel: Int64 = 1
    public static let x5chainLabel: Int64 = 33

    /// Sig_structure = ["Signature1", protected, external_aad, payload] (RFC 9052 §4.4): the bytes
    /// that are signed.
    public static func toBeSigned(protected: [UInt8], externalAAD: [UInt8] = [], payload: [UInt8]) -> [UInt8] {
        CBOR.array([.text("Signature1"), .bytes(protected), .bytes(externalAAD), .bytes(payload)]).encoded
    }

    /// The tagged COSE_Sign1 of `payload`, signed by `credential`; the payload is left out
    /// (nil) when `detached`.
    public static func sign(
        payload: [UInt8], credential: SigningCredential, unprotected: CBOR = .map([]), detached: Bool = true
    ) throws -> CBOR {
        let chain: CBOR = credential.chain.count == 1 ? .bytes(credential.chain[0]) : .array(credential.chain.map { .bytes($0) })
        let protected = CBOR.map([(.integer(algorithmLabel), .integer(credential.coseAlgorithm)), (.integer(x5chainLabel), chain)]).encoded
        let signature = try credential.sign(toBeSigned(protected: protected, payload: payload))
        return .tagged(tag, .array([.bytes(protected), unprotected, detached ? .null : .bytes(payload), .bytes(signature)]))
    }

    /// The parts of a COSE_Sign1 read back.
    public struct Parts: Sendable {
        public var protectedBytes: [UInt8]
        public var protected: CBOR
        public var unprotected: CBOR
        public var payload: [UInt8]?
        public var signature: [UInt8]
        /// DER certificates of `x5chain`, the signer's first.
        public var chain: [[UInt8]]
    }

    public static func parts(of sign1: CBOR) throws -> Parts {
        var item = sign1
        if case .tagged(tag, let inner) = item { item = inner }
        guard case .array(let fields) = item, fields.count == 4, case .bytes(let protectedBytes) = fields[0],
            case .bytes(let signature) = fields[3]
        else { throw ContentCredentialsError("not a COSE_Sign1: [protected, unprotected, payload, signature]") }
        let protected = protectedBytes.isEmpty ? CBOR.map([]) : try CBOR.decode(protectedBytes)
        var payload: [UInt8]?
        if case .bytes(let bytes) = fields[2] { payload = bytes }
        var chain: [[UInt8]] = []
        switch protected[x5chainLabel] ?? fields[1][x5chainLabel] {
        case .bytes(let one): chain = [one]
        case .array(let many): chain = many.compactMap { if case .bytes(let der) = $0 { der } else { nil } }
        default: break
        }
        return Parts(
            protectedBytes: protectedBytes, protected: protected, unprotected: fields[1], payload: payload, signature: signature,
            chain: chain)
    }

    /// Whether the signature holds for `payload` under the public key of the chain's first
    /// certificate. (Whether that certificate is trusted is a validator's question, not this one.)
    public static func verify(_ sign1: CBOR, detachedPayload: [UInt8]? = nil) throws -> Bool {
        let parts = try parts(of: sign1)
        guard let payload = parts.payload ?? detachedPayload else { throw ContentCredentialsError("no payload to verify") }
        guard let first = parts.chain.first, let key = OpenSSLKey.publicKey(ofCertificate: first) else {
            throw ContentCredentialsError("the signature carries no readable x5chain certificate")
        }
        return key.verify(parts.signature, for: toBeSigned(protected: parts.protectedBytes, payload: payload))
    }

    /// Verifies with a public key given as DER SubjectPublicKeyInfo (tests against the COSE
    /// working group's examples, whose keys come without certificates).
    public static func verify(_ sign1: CBOR, publicKeyDER: [UInt8], externalAAD: [UInt8] = [], detachedPayload: [UInt8]? = nil) throws -> Bool {
        let parts = try parts(of: sign1)
        guard let payload = parts.payload ?? detachedPayload else { throw ContentCredentialsError("no payload to verify") }
        guard let key = OpenSSLKey.publicKey(spki: publicKeyDER) else { throw ContentCredentialsError("unreadable public key") }
        return key.verify(parts.signature, for: toBeSigned(protected: parts.protectedBytes, externalAAD: externalAAD, payload: payload))
    }
}
