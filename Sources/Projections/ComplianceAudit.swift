public import Governance
import LedgerLog

/// The compliance report's figures: for every rule the gate judges, how many judged events it
/// allowed, warned, allowed by an approver's override, denied (requests) and recorded as
/// violating (facts, and imported history), with every finding cited by seq and hash. Read
/// from the gate's own records (`proj_gate_records` with the rules each lists, and `proj_rule_results` for every rule that did not simply pass), so the report says exactly what the gate
/// decided under the policy version in force at each event.
public struct ComplianceAudit: Sendable {
    public struct Finding: Sendable, Equatable {
        public var rule: String
        public var result: GateJudgement.Outcome
        public var seq: UInt64
        public var hash: String
        /// The event type judged (for a denial, the refused request's type).
        public var type: String
        public var deliverable: String?
        public var reason: String
        /// `audit` for imported history.
        public var mode: String
        public var occurredAt: String
    }

    public struct RuleResult: Sendable, Equatable {
        public var rule: String
        public var description: String
        public var counts: [GateJudgement.Outcome: Int] = [:]

        public func count(_ outcome: GateJudgement.Outcome) -> Int { counts[outcome] ?? 0 }
        public var judged: Int { counts.values.reduce(0, +) }
        /// Denied or violated: what needs a lead's attention.
        public var failed: Int { count(.denied) + count(.violated) }
    }

    public var from: String
    public var to: String
    public var campaign: String?
    public var rules: [RuleResult]
    /// Every result other than allowed, in seq order.
    public var findings: [Finding]
    /// Judged events in scope (an event judged by several rules counts once).
    public var judgedEvents: Int

    public var violations: [Finding] { findings.filter { $0.result == .violated } }
    public var denials: [Finding] { findings.filter { $0.result == .denied } }

    /// What each rule checks, in the order the report lists them (docs/REPORTS.md).
    public static let definitions: [(String, String)] = [
        ("model-status", "Generations do not run on retired models (degraded models warn)."),
        ("attempt-granted", "A generation's attempt was granted first (the first, or an allowed regeneration)."),
        ("regeneration-cap", "Regenerations stay within the cap of the policy in force, or within extra attempts an approver granted."),
        ("tier-by-stage", "Work runs only on tiers the policy allows for its stage (never the budget tier on delivery work, as shipped)."),
        ("locked-seed", "Campaign work at a locked-seed stage generates with the seed locked for its deliverable, else its campaign."),
        ("template-published", "A generation's template version was recorded (template.versioned) before the request."),
        ("routing-followed", "A generation runs on the model its routing decision chose, or on a recorded fallback."),
        ("deliverable-budget", "A deliverable's spend plus the request's estimate stays within its budget (plus extra budget granted)."),
        ("campaign-budget", "A campaign's spend plus the request's estimate stays within its budget."),
        ("refinement-before-delivery", "A delivered (or to-be-delivered) asset carries every refinement step the policy requires."),
        ("review-before-delivery", "The delivered asset, or one it was refined from, was accepted by a review, and it was not rejected last."),
        ("approvers", "An override is granted by a listed approver, proven by signature or token, for a rule that is not hard."),
    ]
}

extension Projections {
    /// The campaigns the ledger knows as of `asOf`.
    public func campaignIDs(asOf: UInt64) throws -> Set<String> {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            Set(try tables.rows("SELECT campaign FROM proj_campaigns WHERE seq <= ?", [.integer(Int64(asOf))]).compactMap { $0[0].string })
        }
    }

    /// Judged events with `occurred_at` from the start of `from` to the end of `to` (dates),
    /// optionally only the deliverables of one campaign (which must exist), as the ledger stood
    /// at `asOf`.
    public func complianceAudit(from: CalendarDate, to: CalendarDate, campaign: String?, asOf: UInt64) throws -> ComplianceAudit {
        try catchUp()
        if let campaign, try !campaignIDs(asOf: asOf).contains(campaign) {
            throw GovernanceError(
                .invalidEvent, "campaign '\(campaign)' is not in the ledger (as of seq \(asOf)); `genledger log --type campaign.opened` lists them",
                field: "campaign")
        }
        let start = "\(from)T00:00:00.000000Z"
        let end = "\(to)T23:59:59.999999Z"
        return try ledger.withSideTables(write: false) { tables in
            var results = ComplianceAudit.definitions.map { ComplianceAudit.RuleResult(rule: $0.0, description: $0.1) }
            func index(of rule: String) -> Int {
                if let known = results.firstIndex(where: { $0.rule == rule }) { return known }
                results.append(.init(rule: rule, description: "(a rule this version of GenLedger does not describe)"))
                return results.count - 1
            }
            var values: [SideTables.Value] = [.integer(Int64(asOf)), .text(start), .text(end)]
            var inCampaign = ""
            if let campaign {
                inCampaign = " JOIN proj_deliverables d ON d.deliverable = r.deliverable AND d.campaign = ?4"
                values.append(.text(campaign))
            }
            let window = "r.seq <= ?1 AND r.occurred_at >= ?2 AND r.occurred_at <= ?3"
            // Gate records in scope, counted per list of rules: each listed rule allowed the
            // event unless a finding below says otherwise.
            var lists: [Int64: [String]] = [:]
            for row in try tables.rows("SELECT seq, rules FROM proj_rule_sets ORDER BY seq") {
                guard case .array(let names) = try JSONParser.parse(row[1].string!) else { continue }
                lists[row[0].int!] = names.compactMap(\.stringValue)
            }
            var events = 0
            for row in try tables.rows(
                "SELECT r.rules_seq, COUNT(*) FROM proj_gate_records r\(inCampaign) WHERE \(window) AND r.rules_seq IS NOT NULL GROUP BY r.rules_seq ORDER BY r.rules_seq",
                values)
            {
                let listed = lists[row[0].int!] ?? []
                let count = Int(row[1].int!)
                if !listed.isEmpty { events += count }
                for rule in listed { results[index(of: rule)].counts[.allowed, default: 0] += count }
            }
            var findings: [ComplianceAudit.Finding] = []
            var denied: Set<UInt64> = []
            var found: Set<String> = []
            for row in try tables.rows(
                """
                SELECT r.seq, lower(hex(e.hash)), r.type, r.deliverable, r.rule, r.result, r.reason, r.mode, r.occurred_at, r.rules_seq
                FROM proj_rule_results r JOIN events e ON e.seq = r.seq\(inCampaign)
                WHERE \(window) ORDER BY r.seq, r.rowid
                """, values)
            {
                let seq = UInt64(row[0].int!)
                let rule = row[4].string!
                let result = GateJudgement.Outcome(rawValue: row[5].string!) ?? .allowed
                let at = index(of: rule)
                if row[9].int != nil {
                    // A gate record's finding: its rule did not simply allow the event (the
                    // first finding for a rule counts, as the gate writes one).
                    guard found.insert("\(seq) \(rule)").inserted else { continue }
                    results[at].counts[.allowed, default: 0] -= 1
                } else {
                    denied.insert(seq)
                }
                results[at].counts[result, default: 0] += 1
                guard result != .allowed else { continue }
                findings.append(
                    .init(
                        rule: rule, result: result, seq: seq, hash: row[1].string!, type: row[2].string!, deliverable: row[3].string,
                        reason: row[6].string ?? "", mode: row[7].string!, occurredAt: row[8].string!))
            }
            for at in results.indices where results[at].counts[.allowed] == 0 { results[at].counts[.allowed] = nil }
            let judgedEvents = events + denied.count
            return ComplianceAudit(
                from: from.description, to: to.description, campaign: campaign, rules: results, findings: findings,
                judgedEvents: judgedEvents)
        }
    }
}
