import LedgerLog

/// A request the gate denied under a `require-approval` rule that no approver has answered yet:
/// the approvers' inbox (the web app's `/pages/approvals`). One item per deliverable and rule,
/// the latest denial; answered by a later `policy.override_granted` for the same deliverable and
/// rule, or an approver's `policy.override_declined` (a decline the gate recorded as a
/// violation, by someone who is not an approver, answers nothing).
public struct PendingApproval: Sendable, Equatable {
    public var deniedSeq: UInt64
    public var deliverable: String
    public var policy: String
    public var version: Int64
    public var rule: String
    public var judgedType: String
    /// How many times a request of this deliverable was denied under this rule, unanswered.
    public var denials: Int
    /// The highest attempt granted so far: generated, or granted by a regeneration.
    public var attempts: Int64
    public var spendMicros: Int64
    public var currency: String?
}

extension Projections {
    /// The unanswered denials, newest first, at most `limit`, with how many there are in all.
    public func pendingApprovals(limit: Int = 100) throws -> (items: [PendingApproval], total: Int) {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            let pending = """
                FROM proj_denials d
                WHERE d.action = 'require-approval' AND d.deliverable IS NOT NULL
                  AND d.seq = (SELECT max(seq) FROM proj_denials x
                               WHERE x.deliverable = d.deliverable AND x.rule = d.rule AND x.action = 'require-approval')
                  AND NOT EXISTS (SELECT 1 FROM proj_overrides o
                                  WHERE o.deliverable = d.deliverable AND o.rule = d.rule AND o.seq > d.seq)
                  AND NOT EXISTS (SELECT 1 FROM proj_declines c
                                  WHERE c.deliverable = d.deliverable AND c.rule = d.rule AND c.seq > d.seq
                                    AND c.outcome <> 'violated')
                """
            let total = try tables.rows("SELECT count(*) " + pending).first?[0].int ?? 0
            let rows = try tables.rows(
                """
                SELECT d.seq, d.deliverable, d.policy, d.version, d.rule, d.judged_type,
                  (SELECT count(*) FROM proj_denials x WHERE x.deliverable = d.deliverable AND x.rule = d.rule
                     AND x.action = 'require-approval'
                     AND x.seq > coalesce((SELECT max(seq) FROM proj_overrides o
                                           WHERE o.deliverable = d.deliverable AND o.rule = d.rule), 0)),
                  max((SELECT coalesce(max(attempt), 0) FROM proj_generations g WHERE g.deliverable = d.deliverable),
                      (SELECT coalesce(max(attempt), 0) FROM proj_regenerations r WHERE r.deliverable = d.deliverable)),
                  (SELECT coalesce(sum(micros), 0) FROM proj_costs c WHERE c.deliverable = d.deliverable),
                  (SELECT min(currency) FROM proj_costs c WHERE c.deliverable = d.deliverable)
                """ + pending + " ORDER BY d.seq DESC LIMIT ?1", [.integer(Int64(limit))])
            let items = rows.map { row in
                PendingApproval(
                    deniedSeq: UInt64(row[0].int ?? 0), deliverable: row[1].string ?? "", policy: row[2].string ?? "",
                    version: row[3].int ?? 0, rule: row[4].string ?? "", judgedType: row[5].string ?? "",
                    denials: Int(row[6].int ?? 0), attempts: row[7].int ?? 0, spendMicros: row[8].int ?? 0,
                    currency: row[9].string)
            }
            return (items, Int(total))
        }
    }
}
