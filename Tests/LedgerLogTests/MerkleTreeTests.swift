import LedgerLog
import LedgerTestSupport
import Testing

/// An independent MTH straight from RFC 9162 §2.1.1, recursive and slow, to hold the ledger's
/// stored-subtree proofs against.
private func referenceRoot(_ leaves: ArraySlice<SHA256Digest>) -> SHA256Digest {
    let hashing = MerkleHashing()
    if leaves.isEmpty { return MerkleHashing.emptyRoot }
    if leaves.count == 1 { return leaves.first! }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    let mid = leaves.startIndex + k
    return hashing.nodeHash(referenceRoot(leaves[..<mid]), referenceRoot(leaves[mid...]))
}

@Suite("Merkle tree kept by the ledger")
struct MerkleTreeTests {
    @Test("roots and proofs at every size up to 70 match the RFC's definition and verify", arguments: TestStore.allCases)
    func proofsAtEverySize(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        let hashing = MerkleHashing()
        var leaves: [SHA256Digest] = []
        for batch in LedgerFixtures.events(70).chunked(into: 7) {
            for appended in try ledger.append(batch) { leaves.append(hashing.leafHash(of: appended.hash)) }
        }
        for size in 1...70 {
            let expected = referenceRoot(leaves[0..<size])
            #expect(try ledger.rootHash(size: UInt64(size)) == expected, "root at size \(size)")
            for seq in Set([1, size, (size + 1) / 2, max(1, size - 3)]) {
                let proof = try ledger.inclusionProof(seq: UInt64(seq), treeSize: UInt64(size))
                #expect(proof.root == expected)
                #expect(proof.leafHash == leaves[seq - 1])
                try proof.verify()
            }
            for old in Set([1, size / 2, max(1, size - 1), size]) where old >= 1 {
                let proof = try ledger.consistencyProof(oldSize: UInt64(old), newSize: UInt64(size))
                #expect(proof.root1 == referenceRoot(leaves[0..<old]))
                try proof.verify()
            }
        }
    }

    @Test("a proof is refused for a wrong leaf or a wrong root", arguments: TestStore.allCases)
    func tamperedProofRefused(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(13))
        var proof = try ledger.inclusionProof(seq: 6)
        proof.leafHash = try ledger.inclusionProof(seq: 7).leafHash
        #expect(throws: MerkleProofVerifier.Failure.self) { try proof.verify() }
        var consistency = try ledger.consistencyProof(oldSize: 5, newSize: 13)
        consistency.root1 = try ledger.rootHash(size: 6)
        #expect(throws: MerkleProofVerifier.Failure.self) { try consistency.verify() }
    }

    @Test("proofs beyond the log are bad input", arguments: TestStore.allCases)
    func outOfRange(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(3))
        #expect(throws: LedgerError.self) { _ = try ledger.inclusionProof(seq: 4) }
        #expect(throws: LedgerError.self) { _ = try ledger.inclusionProof(seq: 1, treeSize: 9) }
        #expect(throws: LedgerError.self) { _ = try ledger.consistencyProof(oldSize: 0, newSize: 3) }
        #expect(throws: LedgerError.self) { _ = try ledger.consistencyProof(oldSize: 3, newSize: 2) }
    }
}

extension Array {
    func chunked(into size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
