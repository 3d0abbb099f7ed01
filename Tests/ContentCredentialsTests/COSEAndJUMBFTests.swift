import ContentCredentials
import Foundation
import LedgerLog
import Testing

/// COSE_Sign1 against the COSE working group's examples (github.com/cose-wg/Examples), and the
/// JUMBF boxes, hashed URIs and claim signature against a manifest store c2pa-rs wrote
/// (`Fixtures/ref.c2pa`, made with c2pa-python 0.38 signing a PNG).
@Suite struct COSEAndJUMBFTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// SubjectPublicKeyInfo of a P-256 point given as JWK x and y.
    static func p256SPKI(x: String, y: String) -> [UInt8] {
        func base64URL(_ text: String) -> [UInt8] {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return Array(Data(base64Encoded: base64)!)
        }
        return Array(hexString: "3059301306072a8648ce3d020106082a8648ce3d030107034200") + [0x04] + base64URL(x) + base64URL(y)
    }

    @Test func signatureStructureAndVerificationMatchTheCOSEExample() throws {
        let example = try JSONParser.parse(try Self.fixture("cose-sign-pass-02.json"))
        let key = example["input"]!["sign0"]!["key"]!
        let external = Array(hexString: example["input"]!["sign0"]!["external"]!.stringValue!)
        let plaintext = Array(example["input"]!["plaintext"]!.stringValue!.utf8)
        let output = try CBOR.decode(Array(hexString: example["output"]!["cbor"]!.stringValue!))
        let parts = try COSESign1.parts(of: output)
        // The bytes to be signed, as the example's intermediates give them.
        #expect(
            COSESign1.toBeSigned(protected: parts.protectedBytes, externalAAD: external, payload: plaintext).hex
                == example["intermediates"]!["ToBeSign_hex"]!.stringValue!.lowercased())
        let spki = Self.p256SPKI(x: key["x"]!.stringValue!, y: key["y"]!.stringValue!)
        #expect(try COSESign1.verify(output, publicKeyDER: spki, externalAAD: external))
        #expect(try !COSESign1.verify(output, publicKeyDER: spki, externalAAD: external + [0]))
        // Our encoding of the same structure is byte for byte the example's.
        #expect(output.encoded.hex == example["output"]!["cbor"]!.stringValue!.lowercased())
    }

    @Test func readsTheManifestStoreC2PARsWroteAndAgreesOnItsHashesAndSignature() throws {
        let bytes = try Self.fixture("ref.c2pa")
        let store = try #require(try JUMBF.read(bytes[...]).first)
        #expect(store.uuid == JUMBF.manifestStore && store.label == "c2pa")
        let manifest = try #require(store.children.first)
        #expect(manifest.uuid == JUMBF.manifest && manifest.label?.hasPrefix("urn:c2pa:") == true)
        #expect(manifest.children.map(\.label) == ["c2pa.assertions", "c2pa.claim.v2", "c2pa.signature"])
        let assertions = manifest.children[0]
        let claimBytes = Array(try #require(manifest.children[1].children.first).data)
        let claim = try CBOR.decode(claimBytes)
        guard case .array(let created)? = claim["created_assertions"], case .array(let gathered)? = claim["gathered_assertions"] else {
            Issue.record("the claim has no assertion lists")
            return
        }
        // Each hashed URI is SHA-256 over the assertion superbox without its 8-byte header.
        for reference in created + gathered {
            guard case .text(let url)? = reference["url"], case .bytes(let hash)? = reference["hash"] else { continue }
            let label = String(url.split(separator: "/").last!)
            let box = try #require(assertions.children.first { $0.label == label })
            #expect(SHA256.hash(Array(box.data)).bytes == hash, "\(label)")
        }
        // The description box we write for a label is the one c2pa-rs wrote.
        let describedStore = bytes[bytes.startIndex + 8..<bytes.startIndex + 8 + 30]
        #expect(Array(describedStore) == JUMBF.description(type: JUMBF.manifestStore, label: "c2pa"))
        // The claim signature verifies over Sig_structure with the claim as detached payload.
        let signature = try CBOR.decode(Array(try #require(manifest.children[2].children.first).data))
        #expect(try COSESign1.verify(signature, detachedPayload: claimBytes))
        #expect(try !COSESign1.verify(signature, detachedPayload: claimBytes + [0]))
        #expect(try COSESign1.parts(of: signature).chain.count == 2)
    }

    @Test func refusesBoxesThatDoNotFit() {
        for bytes: [UInt8] in [[0, 0, 0, 9, 0x6A, 0x75, 0x6D, 0x62], [0, 0, 0, 4, 0x6A, 0x75, 0x6D, 0x62], [0, 0, 0]] {
            #expect(throws: JUMBF.ReadingError.self) { try JUMBF.read(bytes[...]) }
        }
        // A superbox whose first box is not a description.
        let bad = JUMBF.box("jumb", JUMBF.box("cbor", [0xA0]))
        #expect(throws: JUMBF.ReadingError.self) { try JUMBF.read(bad[...]) }
    }
}
