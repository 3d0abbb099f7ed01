import LedgerLog
import PropertyBased
import Testing

/// Properties over random inputs (swift-property-based shrinks a failure to a small one):
/// RFC 8785 output reads back to itself, and RFC 9162 proofs verify at every size and index
/// against roots computed here by the RFC's own recursion.
@Suite("Property-based: canonical JSON round-trips, Merkle proofs at random sizes")
struct PropertyTests {
    /// A JSON value read from a list of random bytes, nested at most four deep.
    static func value(_ bytes: [Int]) -> JSONValue {
        var cursor = 0
        func next() -> Int {
            defer { cursor += 1 }
            return cursor < bytes.count ? bytes[cursor] : 0
        }
        let scalars: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "é", "€", "\u{2028}", "\u{FFFF}", "𝄞",
        ]
        let numbers: [Double] = [0, -0.0, 1, -1, 0.5, 0.1, 1e20, 1e21, 1e-7, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 9007199254740991, 123.456]
        func string() -> String {
            var text = ""
            for _ in 0..<(next() % 6) { text.unicodeScalars.append(scalars[next() % scalars.count]) }
            return text
        }
        func build(_ depth: Int) -> JSONValue {
            switch next() % (depth >= 4 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(next() % 2 == 0)
            case 2: return .number(numbers[next() % numbers.count] * (next() % 2 == 0 ? 1 : -1))
            case 3: return .number(Double(next() * 1000 + next()) / Double(next() % 9 + 1))
            case 4: return .string(string())
            case 5: return .array((0..<(next() % 4)).map { _ in build(depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<(next() % 4) { members[string()] = build(depth + 1) }
                return .object(members)
            }
        }
        return build(0)
    }

    @Test func canonicalJSONReadsBackToItself() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...255).array(of: 0...120)) { bytes in
            let value = Self.value(bytes)
            let canonical = CanonicalJSON.bytes(of: value)
            let again = try? JSONParser.parse(canonical)
            #expect(again == value, "\(String(decoding: canonical, as: UTF8.self))")
            #expect(again.map(CanonicalJSON.bytes(of:)) == canonical)
        }
    }

    /// MTH(D[n]) of RFC 9162 §2.1.1, straight from its recursion.
    static func rootByRecursion(_ leaves: ArraySlice<SHA256Digest>, _ hashing: MerkleHashing) -> SHA256Digest {
        guard leaves.count > 1 else { return leaves.first! }
        var k = 1
        while k << 1 < leaves.count { k <<= 1 }
        let split = leaves.startIndex + k
        return hashing.nodeHash(rootByRecursion(leaves[..<split], hashing), rootByRecursion(leaves[split...], hashing))
    }

    @Test func proofsVerifyAtEverySizeAndIndex() async {
        await propertyCheck(count: 150, input: Gen.int(in: 1...300), Gen.int(in: 0...299), Gen.int(in: 1...300)) { size, index, older in
            let hashing = MerkleHashing()
            let leaves = (0..<size).map { hashing.leafHash(Array("leaf \($0)".utf8)) }
            let builder = MerkleProofBuilder { level, position in
                let start = Int(position) << level
                return Self.rootByRecursion(leaves[start..<(start + (1 << level))], hashing)
            }
            let root = Self.rootByRecursion(leaves[...], hashing)
            #expect(try builder.root(size: UInt64(size)) == root)
            let leafIndex = index % size
            let inclusion = try builder.inclusionProof(leafIndex: UInt64(leafIndex), treeSize: UInt64(size))
            #expect(throws: Never.self) {
                try MerkleProofVerifier.verifyInclusion(
                    leafIndex: UInt64(leafIndex), treeSize: UInt64(size), leafHash: leaves[leafIndex].bytes,
                    proof: inclusion.path.map(\.bytes), root: root.bytes)
            }
            if let first = inclusion.path.first {
                // One flipped bit in the path fails.
                var tampered = inclusion.path.map(\.bytes)
                tampered[0][0] ^= 1
                #expect(first.bytes != tampered[0])
                #expect(throws: MerkleProofVerifier.Failure.self) {
                    try MerkleProofVerifier.verifyInclusion(
                        leafIndex: UInt64(leafIndex), treeSize: UInt64(size), leafHash: leaves[leafIndex].bytes, proof: tampered,
                        root: root.bytes)
                }
            }
            let size1 = (older - 1) % size + 1
            let consistency = try builder.consistencyProof(size1: UInt64(size1), size2: UInt64(size))
            let root1 = Self.rootByRecursion(leaves[..<size1], hashing)
            #expect(throws: Never.self) {
                try MerkleProofVerifier.verifyConsistency(
                    size1: UInt64(size1), size2: UInt64(size), root1: root1.bytes, root2: root.bytes,
                    proof: consistency.path.map(\.bytes))
            }
        }
    }
}
