/// The proof documents of docs/FORMAT.md: the field names of the transparency-dev test vectors,
/// so any RFC 9162 verifier reading those reads these. `genledger prove` prints them; the HTTP
/// service answers with them.
extension InclusionProof {
    public func json(origin: String, event: RecordedEvent) -> JSONValue {
        [
            "origin": .string(origin),
            "seq": .number(Double(event.seq)),
            "eventHash": .string(event.hash.hex),
            "leafIdx": .number(Double(leafIndex)),
            "treeSize": .number(Double(treeSize)),
            "leafHash": .string(leafHash.base64),
            "root": .string(root.base64),
            "proof": .array(path.map { .string($0.base64) }),
        ]
    }
}

extension ConsistencyProof {
    public func json(origin: String) -> JSONValue {
        [
            "origin": .string(origin),
            "size1": .number(Double(size1)),
            "size2": .number(Double(size2)),
            "root1": .string(root1.base64),
            "root2": .string(root2.base64),
            "proof": .array(path.map { .string($0.base64) }),
        ]
    }
}
