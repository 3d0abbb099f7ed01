public import LedgerLog
internal import Yams

/// What one YAML document may cost to read: its size, how deep it nests and how many nodes it
/// has. Policy files and candidate tables are small; these bound what a hostile one can take
/// (docs/POLICIES.md, Reading rules).
public struct YAMLLimits: Sendable {
    public var maxBytes: Int
    public var maxDepth: Int
    public var maxNodes: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 32, maxNodes: Int = 50_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    public static let standard = YAMLLimits()
}

/// A policy document read from YAML: its value as JSON (what the ledger records) and the line of
/// every field, so an error found while reading the value names the line in the file.
public struct PolicyDocument: Sendable {
    public let file: String
    public let value: JSONValue
    let lines: [String: Int]

    /// Parses YAML. Plain scalars resolve as in YAML 1.2's core schema (`true`/`false`, `null`/`~`,
    /// integers, decimals; everything else is a string, so `16:9` stays text); quoted scalars are
    /// strings. Anchors, aliases, tags, merge keys and duplicate keys are refused, and so is a
    /// document past `limits`, each with the line it concerns.
    public init(yaml text: String, file: String, limits: YAMLLimits = .standard) throws {
        self.file = file
        guard text.utf8.count <= limits.maxBytes else {
            var failure = GovernanceError(
                .invalidPolicy, "the document is \(text.utf8.count) bytes; the limit is \(limits.maxBytes)")
            failure.file = file
            throw failure
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            let key = duplicates.sorted().first ?? "?"
            var failure = GovernanceError(.invalidPolicy, "duplicate key '\(key)'", field: key)
            failure.file = file
            failure.line = Self.secondDefinition(of: key, in: text) ?? context.mark.line
            throw failure
        } catch let error as YamlError {
            var failure = GovernanceError(.invalidPolicy, "not valid YAML: \(Self.problem(error))")
            failure.file = file
            failure.line = Self.line(error)
            throw failure
        }
        guard let root else {
            var failure = GovernanceError(.invalidPolicy, "the document is empty")
            failure.file = file
            throw failure
        }
        var lines: [String: Int] = [:]
        var converter = Converter(file: file, limits: limits, source: text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) })
        value = try converter.convert(root, path: "", lines: &lines)
        self.lines = lines
    }

    /// The same error, placed at the file and the line of its field (or its nearest parent's).
    public func locate(_ error: GovernanceError) -> GovernanceError {
        var located = error
        located.file = file
        var path = error.field ?? ""
        while located.line == nil {
            if let line = lines[path] { located.line = line; break }
            guard !path.isEmpty else { break }
            if path.hasSuffix("]"), let open = path.lastIndex(of: "[") {
                path = String(path[..<open])
            } else if let dot = path.lastIndex(of: ".") {
                path = String(path[..<dot])
            } else {
                path = ""
            }
        }
        return located
    }

    /// Reads the document with `body`, placing any error at its line.
    public func read<T>(_ body: (Fields) throws -> T) throws -> T {
        do {
            return try body(try Fields(value, path: "", code: .invalidPolicy))
        } catch let error as GovernanceError {
            var located = locate(error)
            located.alsoFound = error.alsoFound.map(locate)
            throw located
        }
    }

    /// The line where `key` is defined a second time (Yams reports duplicates without a line).
    private static func secondDefinition(of key: String, in text: String) -> Int? {
        var seen = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { $0 == " " }
            if rest.hasPrefix("- ") { rest = rest.dropFirst(2) }
            guard rest.hasPrefix(key) else { continue }
            if rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                seen += 1
                if seen == 2 { return number + 1 }
            }
        }
        return nil
    }

    private static func line(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func problem(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        default: "\(error)"
        }
    }

    private struct Converter {
        let file: String
        let limits: YAMLLimits
        /// The document's lines, to read what a node's start mark points at.
        let source: [[Unicode.Scalar]]
        var nodes = 0
        var depth = 0

        func fail(_ message: String, _ node: Node, path: String) -> GovernanceError {
            var error = GovernanceError(.invalidPolicy, message, field: path.isEmpty ? nil : path)
            error.file = file
            error.line = node.mark?.line
            return error
        }

        mutating func convert(_ node: Node, path: String, lines: inout [String: Int]) throws -> JSONValue {
            if let line = node.mark?.line { lines[path] = line }
            // The composer resolves an alias to a copy of the anchored node, start mark included,
            // and keeps no anchor or tag it was written with: so the document's own text at the
            // node's start says whether it carried an anchor (or is an alias of one) or a tag.
            // Refused at the first, before any expansion is walked.
            switch properties(of: node) {
            case "&": throw fail("anchors and aliases (&name, *name) are refused; write the value out", node, path: path)
            case "!": throw fail("tags (!name, !!type) are refused; write a plain value", node, path: path)
            default: break
            }
            nodes += 1
            guard nodes <= limits.maxNodes else {
                throw fail("the document has more than \(limits.maxNodes) nodes", node, path: path)
            }
            depth += 1
            defer { depth -= 1 }
            guard depth <= limits.maxDepth else {
                throw fail("the document nests deeper than \(limits.maxDepth) levels", node, path: path)
            }
            switch node {
            case .scalar(let scalar):
                return try resolve(scalar, node: node, path: path)
            case .sequence(let sequence):
                return .array(
                    try sequence.enumerated().map { i, item in try convert(item, path: "\(path)[\(i)]", lines: &lines) })
            case .mapping(let mapping):
                var members: [String: JSONValue] = [:]
                for (keyNode, valueNode) in mapping {
                    guard case .scalar(let key) = keyNode, properties(of: keyNode) != "&", properties(of: keyNode) != "!" else {
                        throw fail("keys must be plain text", keyNode, path: path)
                    }
                    if key.string == "<<" && key.style == .plain {
                        throw fail("merge keys (<<) are refused; write the keys out", keyNode, path: path)
                    }
                    let childPath = path.isEmpty ? key.string : "\(path).\(key.string)"
                    guard members[key.string] == nil else {
                        throw fail("duplicate key '\(key.string)'", keyNode, path: childPath)
                    }
                    if let line = keyNode.mark?.line { lines[childPath] = line }
                    members[key.string] = try convert(valueNode, path: childPath, lines: &lines)
                    if let line = keyNode.mark?.line { lines[childPath] = line }
                }
                return .object(members)
            case .alias:
                throw fail("anchors and aliases are not supported; write the value out", node, path: path)
            }
        }

        /// The character a node's start mark points at: `&` for an anchor, `!` for a tag.
        func properties(of node: Node) -> Unicode.Scalar? {
            guard let mark = node.mark, mark.line >= 1, mark.line <= source.count, mark.column >= 1,
                mark.column <= source[mark.line - 1].count
            else { return nil }
            return source[mark.line - 1][mark.column - 1]
        }

        func resolve(_ scalar: Node.Scalar, node: Node, path: String) throws -> JSONValue {
            let text = scalar.string
            guard scalar.style == .plain else { return .string(text) }
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            let bytes = Array(text.utf8)
            let digits = bytes.drop { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
            if let first = digits.first, (48...57).contains(first) || first == UInt8(ascii: ".") {
                if let number = Double(text), number.isFinite,
                    bytes.allSatisfy({ (48...57).contains($0) || "+-.eE".utf8.contains($0) })
                {
                    if !text.contains(where: { ".eE".contains($0) }) && abs(number) > JSONValue.maxExactInteger {
                        throw fail("integer \(text) is too large (limit 2^53 - 1)", node, path: path)
                    }
                    return .number(number)
                }
            }
            return .string(text)
        }
    }
}

/// The digest a ledger records for a policy document: SHA-256 of its RFC 8785 bytes, in hex.
public enum PolicyDigest {
    public static func of(_ document: JSONValue) -> String {
        SHA256.hash(CanonicalJSON.bytes(of: document)).description
    }
}
