import Foundation
import LedgerLog
import Testing

/// The public vectors of ../shared/vectors, copied into Fixtures/vectors (see SOURCE.md there).
enum Vectors {
    static let root = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/vectors")

    static func json(_ relativePath: String) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: root.appendingPathComponent(relativePath))))
    }

    static func files(under folder: String) -> [String] {
        let base = root.appendingPathComponent(folder)
        let enumerator = FileManager.default.enumerator(atPath: base.path)!
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted().map { "\(folder)/\($0)" }
    }

    static func bytes(_ value: JSONValue?) -> [UInt8] {
        guard let text = value?.stringValue else { return [] }
        return Array(Data(base64Encoded: text)!)
    }

    static func proof(_ value: JSONValue?) -> [[UInt8]] {
        (value?.arrayValue ?? []).map { bytes($0) }
    }
}

@Suite("RFC 9162 Merkle proof vectors")
struct MerkleVectorTests {
    static let inclusionFiles = Vectors.files(under: "rfc9162/inclusion")
    static let consistencyFiles = Vectors.files(under: "rfc9162/consistency")

    @Test("there are vectors to run")
    func vectorsPresent() {
        #expect(Self.inclusionFiles.count >= 90)
        #expect(Self.consistencyFiles.count >= 90)
    }

    /// Whether a vector must fail, read from the raw text: some failing vectors carry indices
    /// past 2^53, which the strict I-JSON parser itself refuses (a refusal is the right answer).
    static func wantsError(_ file: String) throws -> Bool {
        let text = try String(contentsOf: Vectors.root.appendingPathComponent(file), encoding: .utf8)
        return text.contains("\"wantErr\": true")
    }

    @Test("inclusion", arguments: inclusionFiles)
    func inclusion(file: String) throws {
        let wantError = try Self.wantsError(file)
        var failure: String?
        do {
            let v = try Vectors.json(file)
            try MerkleProofVerifier.verifyInclusion(
                leafIndex: UInt64(v["leafIdx"]!.integerValue!), treeSize: UInt64(v["treeSize"]!.integerValue!),
                leafHash: Vectors.bytes(v["leafHash"]), proof: Vectors.proof(v["proof"]), root: Vectors.bytes(v["root"]))
        } catch {
            failure = "\(error)"
        }
        #expect((failure != nil) == wantError, "\(file): \(failure ?? "verified")")
    }

    @Test("consistency", arguments: consistencyFiles)
    func consistency(file: String) throws {
        let wantError = try Self.wantsError(file)
        var failure: String?
        do {
            let v = try Vectors.json(file)
            try MerkleProofVerifier.verifyConsistency(
                size1: UInt64(v["size1"]!.integerValue!), size2: UInt64(v["size2"]!.integerValue!),
                root1: Vectors.bytes(v["root1"]), root2: Vectors.bytes(v["root2"]), proof: Vectors.proof(v["proof"]))
        } catch {
            failure = "\(error)"
        }
        #expect((failure != nil) == wantError, "\(file): \(failure ?? "verified")")
    }
}

@Suite("RFC 8785 canonicalization vectors")
struct CanonicalizationVectorTests {
    @Test("every input canonicalizes to its expected bytes")
    func vectors() throws {
        let cases = try Vectors.json("rfc8785.json")["cases"]!.arrayValue!
        #expect(cases.count >= 5)
        for testCase in cases {
            let input = testCase["input"]!.stringValue!
            let expected = testCase["canonical"]!.stringValue!
            let value = try JSONParser.parse(input)
            #expect(CanonicalJSON.string(of: value) == expected, "\(testCase["description"]!.stringValue!)")
        }
    }
}

@Suite("C2SP signed-note vector")
struct SignedNoteVectorTests {
    let vector: JSONValue

    init() throws { vector = try Vectors.json("signed-note.json") }

    @Test("signing the text with the signer key reproduces the note byte for byte")
    func signReproduces() throws {
        let signer = try NoteSignerKey(parsing: vector["signer_key"]!.stringValue!)
        let note = try SignedNote.sign(text: vector["text"]!.stringValue!, with: [signer])
        #expect(note.serialized == vector["note"]!.stringValue!)
        #expect(signer.verifierKey.description == vector["verifier_key"]!.stringValue!)
        #expect(signer.description == vector["signer_key"]!.stringValue!)
    }

    @Test("the verifier key accepts the note")
    func verifierAccepts() throws {
        let key = try NoteVerifierKey(parsing: vector["verifier_key"]!.stringValue!)
        let note = try SignedNote(parsing: vector["note"]!.stringValue!)
        let verification = try note.verify(with: [key])
        #expect(verification.verifiedBy == [key])
        #expect(note.text == vector["text"]!.stringValue!)
    }

    @Test("one changed byte of the text is refused")
    func changedByteRefused() throws {
        let key = try NoteVerifierKey(parsing: vector["verifier_key"]!.stringValue!)
        var bytes = Array(vector["note"]!.stringValue!.utf8)
        bytes[3] ^= 0x01
        let note = try SignedNote(parsing: String(decoding: bytes, as: UTF8.self))
        #expect(throws: LedgerError.self) { try note.verify(with: [key]) }
    }

    @Test("a signature by an unknown key is ignored, but a note with no known signature is refused")
    func unknownKeys() throws {
        let key = try NoteVerifierKey(parsing: vector["verifier_key"]!.stringValue!)
        let stranger = try NoteSignerKey.generate(name: "stranger.example")
        let text = vector["text"]!.stringValue!
        var note = try SignedNote(parsing: vector["note"]!.stringValue!)
        note.signatures += try SignedNote.sign(text: text, with: [stranger]).signatures
        let reparsed = try SignedNote(parsing: note.serialized)
        let verification = try reparsed.verify(with: [key])
        #expect(verification.verifiedBy == [key])
        #expect(verification.unknownSignatures.map(\.name) == ["stranger.example"])
        #expect(throws: LedgerError.self) { try reparsed.verify(with: [try NoteSignerKey.generate(name: "other").verifierKey]) }
    }
}

/// RFC 4231 test cases 1, 2, 6 and 7 (HMAC-SHA-256): the MAC behind Standard Webhooks signatures.
@Suite("RFC 4231 HMAC-SHA-256 vectors")
struct HMACVectorTests {
    static let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ([UInt8](repeating: 0xaa, count: 131),
         Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test("each test case's MAC", arguments: 0..<4)
    func mac(_ index: Int) {
        let (key, data, expected) = Self.cases[index]
        let mac = HMACSHA256.authenticationCode(key: key, message: data)
        #expect(mac.map { String(format: "%02x", $0) }.joined() == expected)
        #expect(HMACSHA256.constantTimeEqual(mac, mac))
        var other = mac
        other[31] ^= 1
        #expect(!HMACSHA256.constantTimeEqual(mac, other))
    }
}
