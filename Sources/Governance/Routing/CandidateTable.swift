import Foundation
public import LedgerLog

/// A routing table weighed in a what-if (`genledger replay`): a file not yet published, or a
/// version already published, with the digest that names it.
public struct CandidateTable: Sendable {
    public enum Source: Sendable, Equatable {
        /// Read from a YAML file (its path).
        case file(String)
        /// A version recorded by `routing.table_published` at this seq.
        case published(seq: UInt64)

        public var name: String {
            switch self {
            case .file: "file"
            case .published: "published"
            }
        }
    }

    public var table: RoutingTable
    /// SHA-256 of the document's canonical JSON (as `policy publish` would record it).
    public var digest: String
    public var source: Source

    /// Reads a routing table file, checked as `policy check` checks one (file, line and field
    /// on error), and every model it names against the catalog as recorded.
    public init(file path: String, knownModels: Set<String>) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            var error = GovernanceError(.invalidPolicy, "cannot read the file (missing, unreadable or not UTF-8)")
            error.file = path
            throw error
        }
        try self.init(yaml: text, file: path, knownModels: knownModels)
    }

    /// A routing table given as YAML text (an HTTP request's body, say), named `file` in errors.
    public init(yaml text: String, file: String, knownModels: Set<String>) throws {
        let document = try PolicyDocument(yaml: text, file: file)
        table = try document.read(RoutingTable.init)
        for (model, field) in table.modelReferences where !knownModels.contains(model) {
            throw document.locate(
                GovernanceError(.invalidPolicy, "model '\(model)' is not in the catalog recorded in the ledger", field: field))
        }
        digest = PolicyDigest.of(document.value)
        source = .file(file)
    }

    /// A published version, from the document its `routing.table_published` event recorded.
    public init(published document: JSONValue, digest: String, seq: UInt64) throws {
        table = try RoutingTable(try Fields(document, path: "document", code: .invalidPolicy))
        self.digest = digest
        source = .published(seq: seq)
    }
}

extension GovernanceState {
    /// This state with `candidate` in force in place of the published table of its name (or
    /// beside the others when no table of that name was published): what the routing engine
    /// would have seen had the candidate been published.
    public func weighing(_ candidate: CandidateTable) -> GovernanceState {
        var state = self
        state.tables[candidate.table.name] = Published(
            document: candidate.table, version: candidate.table.version, digest: candidate.digest, seq: position)
        return state
    }
}
