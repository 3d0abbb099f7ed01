import ContentCredentials
import Foundation
import LedgerLog
import Testing

/// Credentials, signing and embedding, checked by reading our own output back. (Validation by
/// a C2PA implementation nobody here wrote, c2pa-python, is in clients/python/tests/test_c2pa.py.)
@Suite struct EmbeddingTests {
    static func credential() throws -> (SigningCredential, TestCertificateAuthority.Files) {
        let directory = NSTemporaryDirectory() + "genledger-c2pa-\(UUID().uuidString)"
        let files = try TestCertificateAuthority.make(in: directory)
        return (try SigningCredential(certificateFile: files.chain, keyFile: files.key), files)
    }

    static let manifest = C2PAManifest(
        title: "frame.png", format: "image/png", claimGenerator: .init(name: "GenLedger", version: "test"),
        actions: [.init("c2pa.created", softwareAgent: .init(name: "flux-pro", version: "1.1"), digitalSourceType: C2PAManifest.trainedAlgorithmicMedia)])

    @Test func testCAMakesACredentialThatLoadsAndSigns() throws {
        let (credential, files) = try Self.credential()
        #expect(credential.chain.count == 2 && credential.algorithmName == "ES256")
        let signed = try COSESign1.sign(payload: [1, 2, 3], credential: credential)
        #expect(try COSESign1.verify(signed, detachedPayload: [1, 2, 3]))
        // Made again into the same folder, it refuses rather than overwrite keys.
        #expect(throws: ContentCredentialsError.self) { try TestCertificateAuthority.make(in: (files.key as NSString).deletingLastPathComponent) }
        // A key that is not the certificate's is refused by name.
        let other = try TestCertificateAuthority.make(in: NSTemporaryDirectory() + "genledger-c2pa-\(UUID().uuidString)")
        #expect {
            try SigningCredential(certificateFile: files.chain, keyFile: other.key)
        } throws: { ($0 as? ContentCredentialsError)?.message.contains("not the one the first certificate") == true }
    }

    static func png() -> [UInt8] {
        PNG.image(width: 4, height: 2, frames: [[UInt8](repeating: 200, count: 24), [UInt8](repeating: 20, count: 24)])
    }

    /// The manifest store found in an embedded file, and the file's bytes outside it.
    static func split(_ bytes: [UInt8], start: Int, length: Int) -> (inside: [UInt8], outside: [UInt8]) {
        (Array(bytes[start..<start + length]), Array(bytes[..<start]) + Array(bytes[(start + length)...]))
    }

    @Test func embedsInPNGRightAfterIHDRBoundToEveryOtherByte() throws {
        let (credential, _) = try Self.credential()
        let asset = Self.png()
        let embedded = try ContentCredentials.embed(Self.manifest, asset: asset, credential: credential)
        let chunks = try PNG.chunks(embedded)
        #expect(chunks.map(\.type) == ["IHDR", "caBX", "acTL", "fcTL", "IDAT", "fcTL", "fdAT", "IEND"])
        let caBX = chunks[1]
        let (inside, outside) = Self.split(embedded, start: caBX.offset, length: caBX.size)
        #expect(outside == asset)
        let store = try #require(try JUMBF.read(inside.dropFirst(8).dropLast(4)).first)
        let hash = try #require(store.children.first?.children.first?.children.first { $0.label == "c2pa.hash.data" })
        let binding = try CBOR.decode(Array(try #require(hash.children.first).data))
        #expect(binding["exclusions"] == .array([.object(["start": .unsigned(UInt64(caBX.offset)), "length": .unsigned(UInt64(caBX.size))])]))
        #expect(binding["hash"] == .bytes(SHA256.hash(asset).bytes))
        // Embedding twice is refused: the file already carries credentials.
        #expect(throws: ContentCredentialsError.self) { try ContentCredentials.embed(Self.manifest, asset: embedded, credential: credential) }
    }

    @Test func embedsInJPEGAsAPP11SegmentsAfterAPP0() throws {
        let (credential, _) = try Self.credential()
        let asset = Array(try Data(contentsOf: COSEAndJUMBFTests.fixtures.appendingPathComponent("tiny.jpg")))
        var manifest = Self.manifest
        // A manifest larger than one APP11 segment holds, to exercise continuation segments.
        manifest.assertions = [.init(label: "org.genledger.test", content: .cbor(.bytes([UInt8](repeating: 7, count: 150_000))))]
        let embedded = try ContentCredentials.embed(manifest, asset: asset, credential: credential)
        // SOI, APP0 (JFIF, 2 + 16 bytes), then the APP11 segments.
        #expect(Array(embedded[20..<22]) == [0xFF, 0xEB])
        var offset = 20
        var store: [UInt8] = []
        var sequence: UInt32 = 1
        while embedded[offset] == 0xFF && embedded[offset + 1] == 0xEB {
            let length = Int(embedded[offset + 2]) << 8 | Int(embedded[offset + 3])
            let data = Array(embedded[offset + 4..<offset + 2 + length])
            #expect(Array(data[0..<4]) == [0x4A, 0x50, 0x02, 0x11])
            #expect(data[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == sequence)
            store += sequence == 1 ? data[8...] : data[16...]
            offset += 2 + length
            sequence += 1
        }
        #expect(sequence == 4)
        #expect(Array(embedded[..<20]) + Array(embedded[offset...]) == asset)
        let read = try #require(try JUMBF.read(store[...]).first)
        #expect(read.label == "c2pa" && read.children.first?.children.count == 3)
    }

    @Test func findsTheStoreAndTheAssetAgainInWhatItEmbedded() throws {
        let (credential, _) = try Self.credential()
        var manifest = Self.manifest
        manifest.assertions = [.init(label: "org.genledger.evidence", content: .json(Array(#"{"a":1}"#.utf8)))]
        let jpeg = Array(try Data(contentsOf: COSEAndJUMBFTests.fixtures.appendingPathComponent("tiny.jpg")))
        for asset in [Self.png(), jpeg] {
            let embedded = try ContentCredentials.embed(manifest, asset: asset, credential: credential)
            let (store, outside) = try ContentCredentials.manifestStore(in: embedded)
            #expect(outside == asset)
            #expect(try ContentCredentials.assertion("org.genledger.evidence", inStore: store) == Array(#"{"a":1}"#.utf8))
            #expect(throws: ContentCredentialsError.self) { try ContentCredentials.assertion("org.other", inStore: store) }
        }
        let sidecar = try ContentCredentials.sidecar(manifest, asset: [1, 2, 3], credential: credential)
        let (store, outside) = try ContentCredentials.manifestStore(in: sidecar)
        #expect(store == sidecar && outside == nil)
        #expect(throws: ContentCredentialsError.self) { try ContentCredentials.manifestStore(in: Self.png()) }
    }

    @Test func refusesFormatsItCannotEmbedIn() throws {
        let (credential, _) = try Self.credential()
        #expect(throws: ContentCredentialsError.self) {
            try ContentCredentials.embed(Self.manifest, asset: Array("not an image".utf8), credential: credential)
        }
        #expect(throws: ContentCredentialsError.self) {
            try ContentCredentials.embed(Self.manifest, asset: PNG.signature + [0, 0, 0, 99], credential: credential)
        }
        // A sidecar binds any bytes.
        let sidecar = try ContentCredentials.sidecar(Self.manifest, asset: Array("not an image".utf8), credential: credential)
        #expect(try JUMBF.read(sidecar[...]).first?.label == "c2pa")
    }
}
