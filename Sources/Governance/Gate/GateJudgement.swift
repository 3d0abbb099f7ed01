public import LedgerLog

/// How an event is judged: `enforce` (a pipeline asking now: a request that breaks a `deny` or
/// unapproved `require-approval` rule is denied) or `audit` (history being imported: nothing is
/// denied, every broken rule is recorded as a violation).
public enum GateMode: String, Sendable {
    case enforce
    case audit
}

/// An approver proven by the caller: a verified signature, an approver's token, or an in-process
/// client that vouches for it (the simulator). Recorded in the gate record of the override.
public struct ApprovalProof: Sendable, Equatable {
    public var approver: String
    /// How: `signature NAME+KEYID`, `token:NAME` or `simulation`.
    public var provenBy: String

    public init(approver: String, provenBy: String) {
        self.approver = approver
        self.provenBy = provenBy
    }
}

/// What the gate is told besides the event and the state.
public struct GateContext: Sendable {
    public var mode: GateMode
    public var approval: ApprovalProof?
    /// Why an approver's signature was refused, when one was given and did not verify.
    public var approvalProblem: String?

    public init(mode: GateMode = .enforce, approval: ApprovalProof? = nil, approvalProblem: String? = nil) {
        self.mode = mode
        self.approval = approval
        self.approvalProblem = approvalProblem
    }
}

/// The gate's answer for one event: which rules of which policy version it was judged by, and
/// what each rule that did not simply pass found.
public struct GateJudgement: Sendable {
    /// One rule's result, and the whole event's outcome (the most serious of its results).
    public enum Outcome: String, Sendable, CaseIterable, Comparable {
        case allowed
        /// Passed with a warning (action `warn`).
        case warned
        /// Passed because an approver granted an override.
        case approved
        /// A fact (or an imported request) that broke a rule: recorded, with the violation.
        case violated
        /// A request refused: only its `policy.denied` record is appended.
        case denied

        private var severity: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (a: Outcome, b: Outcome) -> Bool { a.severity < b.severity }
    }

    public struct Finding: Sendable, Equatable {
        public var rule: String
        /// The action the policy sets for the rule (for this deliverable's line, for caps and budgets).
        public var action: CapAction
        public var result: Outcome
        public var reason: String

        public var json: JSONValue {
            [
                "rule": .string(rule), "action": .string(action.rawValue), "result": .string(result.rawValue),
                "reason": .string(reason),
            ]
        }
    }

    /// The policy in force, or nil when none is published (built-in rules still apply).
    public var policy: String?
    public var version: Int64
    public var policySeq: UInt64?
    public var mode: GateMode = .enforce
    public var rulesChecked: [String] = []
    /// Every rule that did not simply pass, in the order judged.
    public var findings: [Finding] = []
    public var approval: ApprovalProof?

    public var outcome: Outcome { findings.map(\.result).max() ?? .allowed }

    public var denials: [Finding] { findings.filter { $0.result == .denied } }
    public var violations: [Finding] { findings.filter { $0.result == .violated } }
    public var warnings: [Finding] { findings.filter { $0.result == .warned } }
    /// The first rule that denied the event.
    public var denial: Finding? { denials.first }

    /// The record written into a judged event's payload under `gate`.
    public var record: JSONValue {
        var object: [String: JSONValue] = [
            "outcome": .string(outcome.rawValue),
            "policy": policy.map(JSONValue.string) ?? .null,
            "version": .number(Double(version)),
            "rules": .array(rulesChecked.map(JSONValue.string)),
        ]
        if let policySeq { object["policy_seq"] = .number(Double(policySeq)) }
        if mode == .audit { object["mode"] = .string(mode.rawValue) }
        if !findings.isEmpty { object["findings"] = .array(findings.map(\.json)) }
        if let approval {
            object["approval"] = ["approver": .string(approval.approver), "proven_by": .string(approval.provenBy)]
        }
        return .object(object)
    }

    public var rule: GovernanceError.Rule? {
        denial.map { GovernanceError.Rule(policy: policy ?? "built-in", version: version, rule: $0.rule) }
    }
}

extension GateJudgement {
    /// One line for people: outcome, policy version and every finding.
    public var summary: String {
        let by = policy.map { "policy '\($0)' v\(version)" } ?? "built-in rules (no policy published)"
        let listed = findings.map { "\($0.rule) (\($0.result.rawValue)): \($0.reason)" }.joined(separator: "; ")
        switch outcome {
        case .allowed: return "allowed by \(by)"
        case .warned: return "allowed with warnings by \(by): \(listed)"
        case .approved: return "allowed by override under \(by): \(listed)"
        case .violated: return "recorded as violating \(by): \(listed)"
        case .denied: return "denied by \(by): \(listed)"
        }
    }
}
