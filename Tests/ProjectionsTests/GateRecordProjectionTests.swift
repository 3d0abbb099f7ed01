import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Testing

/// How gate records become the compliance report's counts: one row per record naming its list of
/// rules, and rows only for rules that did not simply pass.
@Suite("Gate records in projections: lists of rules once, findings as rows")
struct GateRecordProjectionTests {
    @Test("records written by hand: old warnings, repeated and unlisted findings, empty lists", arguments: TestStore.allCases)
    func handWrittenRecords(store: TestStore) throws {
        let studio = try Studio(store: store)
        let projections = Projections(studio.ledger)
        try studio.openDeliverable("D-1", category: "social-short", stage: .draft)
        let asset = try studio.generate("D-1", attempt: 1)
        let delivery: [String] = ["refinement-before-delivery", "review-before-delivery"]
        func delivered(_ gate: JSONValue) throws -> UInt64 {
            // Written past the gate, straight into the log, as another writer or an older version might.
            try studio.ledger.append(
                studio.event(.deliverableDelivered, "deliverable/D-1", ["deliverable": "D-1", "asset": .string(asset), "gate": gate])
            ).seq
        }
        let rules = JSONValue.array(delivery.map(JSONValue.string))
        // Written before findings were: warnings only.
        let warned = try delivered([
            "outcome": "warned", "policy": "governance", "version": 1, "rules": rules,
            "warnings": [["rule": "review-before-delivery", "reason": "not reviewed yet"]],
        ])
        // A finding repeated, and one for a rule the record does not list.
        let violated = try delivered([
            "outcome": "violated", "policy": "governance", "version": 1, "rules": rules, "mode": "audit",
            "findings": [
                ["rule": "review-before-delivery", "action": "deny", "result": "violated", "reason": "first"],
                ["rule": "review-before-delivery", "action": "deny", "result": "violated", "reason": "again"],
                ["rule": "no-such-listed-rule", "action": "deny", "result": "violated", "reason": "unlisted"],
            ],
        ])
        // Judged by no rule at all.
        let unjudged = try delivered(["outcome": "allowed", "policy": "governance", "version": 1, "rules": []])
        let allowed = try delivered(["outcome": "allowed", "policy": "governance", "version": 1, "rules": rules])
        try projections.catchUp()

        func rows(_ sql: String) throws -> [[SideTables.Value]] {
            try studio.ledger.withSideTables(write: false) { try $0.rows(sql) }
        }
        // Each list of rules once, under the first record that named it; each record points at its list.
        let listed = try rows("SELECT seq FROM proj_rule_sets WHERE rules = '[\"refinement-before-delivery\",\"review-before-delivery\"]'")
        #expect(listed == [[.integer(Int64(warned))]])
        #expect(
            try rows("SELECT seq, rules_seq FROM proj_gate_records WHERE seq >= \(warned) ORDER BY seq")
                == [warned, violated, unjudged, allowed].map { [.integer(Int64($0)), $0 == unjudged ? .integer(Int64(unjudged)) : listed[0][0]] })
        // Rows only for what did not simply pass: no row for an allowed rule, none for an unlisted one.
        #expect(
            try rows("SELECT seq, rule, result, mode FROM proj_rule_results WHERE seq >= \(warned) ORDER BY seq, rowid")
                == [
                    [.integer(Int64(warned)), .text("review-before-delivery"), .text("warned"), .text("enforce")],
                    [.integer(Int64(violated)), .text("review-before-delivery"), .text("violated"), .text("audit")],
                    [.integer(Int64(violated)), .text("review-before-delivery"), .text("violated"), .text("audit")],
                ])
        #expect(try rows("SELECT COUNT(*) FROM proj_rule_results WHERE result = 'allowed'") == [[.integer(0)]])

        let audit = try projections.complianceAudit(
            from: CalendarDate("2000-01-01")!, to: CalendarDate("2100-12-31")!, campaign: nil, asOf: try studio.ledger.size())
        let counts = Dictionary(uniqueKeysWithValues: audit.rules.map { ($0.rule, $0.counts) })
        // Three deliveries list both rules; the repeated finding counts once.
        #expect(counts["review-before-delivery"] == [.allowed: 1, .warned: 1, .violated: 1])
        #expect(counts["refinement-before-delivery"] == [.allowed: 3])
        #expect(!audit.rules.contains { $0.rule == "no-such-listed-rule" })
        // The generation (8 rules) and three deliveries; the record that lists no rule was judged by none.
        #expect(counts["model-status"] == [.allowed: 1])
        #expect(audit.judgedEvents == 4)
        #expect(audit.findings.map(\.seq) == [warned, violated])
        #expect(try projections.check().mismatched.isEmpty)
    }
}
