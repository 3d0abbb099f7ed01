/// The one error type of the Governance layer: an event or policy document that is wrong, or an
/// event the gate refused. It names where (file and line, or the event's index, type and field)
/// and, for a denial, the policy, version and rule that decided.
public struct GovernanceError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An event does not fit the vocabulary: unknown type, missing or mistyped field, unknown reference.
        public static let invalidEvent = Code(rawValue: "invalid-event")
        /// A policy, routing table or catalog document is wrong.
        public static let invalidPolicy = Code(rawValue: "invalid-policy")
        /// The gate refused the event under a rule of the policy in force.
        public static let denied = Code(rawValue: "denied")
        /// No routing table rule and model can serve a request.
        public static let noRoute = Code(rawValue: "no-route")
    }

    /// The policy rule behind a denial.
    public struct Rule: Sendable, Equatable, CustomStringConvertible {
        public var policy: String
        public var version: Int64
        public var rule: String
        public var description: String { "policy '\(policy)' v\(version), rule '\(rule)'" }

        public init(policy: String, version: Int64, rule: String) {
            self.policy = policy
            self.version = version
            self.rule = rule
        }
    }

    public var code: Code
    public var message: String
    public var file: String?
    public var line: Int?
    /// Index of the event in its batch (0-based).
    public var index: Int?
    public var eventType: String?
    /// The field at fault as a JSON path (`payload.parameters.seed`, `rules[2].primary`).
    public var field: String?
    public var rule: Rule?
    /// The seq of the `policy.denied` event that recorded a denial.
    public var deniedSeq: UInt64?
    /// Every rule the denied event broke (a denial names the first in `rule`).
    public var findings: [GateJudgement.Finding] = []
    /// Further errors found in the same document (other entries of the same list): a policy
    /// check reports them all, not only the first.
    public var alsoFound: [GovernanceError] = []

    public init(_ code: Code, _ message: String, field: String? = nil, rule: Rule? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.rule = rule
    }

    public var description: String {
        var location: [String] = []
        if let file {
            location.append(line.map { "\(file):\($0)" } ?? file)
        } else if let line {
            location.append("line \(line)")
        }
        if let index { location.append("event \(index)") }
        if let eventType { location.append(eventType) }
        if let field { location.append("field '\(field)'") }
        let prefix = location.isEmpty ? "" : location.joined(separator: ", ") + ": "
        var text = prefix + message
        if let rule { text += " [\(rule)]" }
        if let deniedSeq { text += " (recorded as policy.denied at seq \(deniedSeq))" }
        return text
    }

    func at(index: Int, type: String?) -> GovernanceError {
        var copy = self
        copy.index = index
        copy.eventType = type
        return copy
    }
}

extension GovernanceError {
    /// The same error, placed at a line of line-oriented input (instead of a batch index).
    public func atLine(_ line: Int) -> GovernanceError {
        var copy = self
        copy.line = line
        copy.index = nil
        return copy
    }
}
