import Foundation

/// A proof as `genledger prove` prints it and `verify-proof` reads it: an RFC 9162 inclusion
/// proof (`leafIdx`, `treeSize`, `leafHash`, `root`, `proof`) or consistency proof (`size1`,
/// `size2`, `root1`, `root2`, `proof`), hashes in base64 (docs/FORMAT.md).
public enum ProofDocument: Sendable, Equatable {
    case inclusion(leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], root: [UInt8], path: [[UInt8]])
    case consistency(size1: UInt64, size2: UInt64, root1: [UInt8], root2: [UInt8], path: [[UInt8]])

    /// Reads a proof document; a malformed one is a `badInput` error naming the field.
    public init(parsing bytes: [UInt8]) throws {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch let failure as JSONParser.Failure {
            throw LedgerError(.badInput, "proof is not JSON: \(failure)")
        }
        guard case .object = document else { throw LedgerError(.badInput, "a proof is a JSON object, not \(document.kindName)") }
        if document["leafIdx"] != nil {
            self = .inclusion(
                leafIndex: try Self.integer(document, "leafIdx"), treeSize: try Self.integer(document, "treeSize"),
                leafHash: try Self.bytes(document, "leafHash"), root: try Self.bytes(document, "root"),
                path: try Self.path(document))
        } else if document["size1"] != nil {
            self = .consistency(
                size1: try Self.integer(document, "size1"), size2: try Self.integer(document, "size2"),
                root1: try Self.bytes(document, "root1"), root2: try Self.bytes(document, "root2"), path: try Self.path(document))
        } else {
            throw LedgerError(.badInput, "neither an inclusion proof (leafIdx…) nor a consistency proof (size1…)")
        }
    }

    /// What a proof document says beside the proof itself (`prove` writes them): the log's
    /// origin, and for an inclusion proof the event's seq and hash. A verifier must hold the
    /// proof to them (docs/FORMAT.md §7), not take them on trust.
    public struct Claims: Sendable, Equatable {
        public var origin: String?
        public var seq: UInt64?
        public var eventHash: String?
    }

    /// The claims of a proof document (its members other than the proof's own).
    public static func claims(parsing bytes: [UInt8]) throws -> Claims {
        guard case .object = (try? JSONParser.parse(bytes)) ?? .null else { return Claims() }
        let document = try JSONParser.parse(bytes)
        var claims = Claims()
        if let value = document["origin"], value != .null {
            guard let text = value.stringValue else { throw LedgerError(.badInput, "not a string", field: "origin") }
            claims.origin = text
        }
        if let value = document["seq"], value != .null {
            guard let seq = value.integerValue, seq >= 1 else { throw LedgerError(.badInput, "not a seq (an integer ≥ 1)", field: "seq") }
            claims.seq = UInt64(seq)
        }
        if let value = document["eventHash"], value != .null {
            guard let text = value.stringValue, SHA256Digest(hex: text) != nil else {
                throw LedgerError(.badInput, "not 64 hex digits", field: "eventHash")
            }
            claims.eventHash = text
        }
        return claims
    }

    /// Checks the proof's hashes (RFC 9162 §2.1.3.2 and §2.1.4.2).
    public func verify() throws(MerkleProofVerifier.Failure) {
        switch self {
        case .inclusion(let index, let size, let leaf, let root, let path):
            try MerkleProofVerifier.verifyInclusion(leafIndex: index, treeSize: size, leafHash: leaf, proof: path, root: root)
        case .consistency(let size1, let size2, let root1, let root2, let path):
            try MerkleProofVerifier.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: path)
        }
    }

    private static func integer(_ document: JSONValue, _ field: String) throws -> UInt64 {
        guard let value = document[field]?.integerValue, value >= 0 else {
            throw LedgerError(.badInput, "missing or not a non-negative integer", field: field)
        }
        return UInt64(value)
    }

    private static func bytes(_ document: JSONValue, _ field: String) throws -> [UInt8] {
        guard let text = document[field]?.stringValue, let data = Data(base64Encoded: text) else {
            throw LedgerError(.badInput, "missing or not base64", field: field)
        }
        return Array(data)
    }

    private static func path(_ document: JSONValue) throws -> [[UInt8]] {
        if document["proof"] == .null { return [] }
        guard let items = document["proof"]?.arrayValue else {
            throw LedgerError(.badInput, "missing or not an array of base64 hashes", field: "proof")
        }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue, let data = Data(base64Encoded: text) else {
                throw LedgerError(.badInput, "not base64", field: "proof[\(index)]")
            }
            return Array(data)
        }
    }
}
