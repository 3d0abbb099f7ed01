import ArgumentParser
import Foundation
import Governance
import LedgerLog
import Projections

struct Override: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "override",
        abstract: "Grant an override as an approver, signed with the approver's own key.",
        discussion: """
            Appends policy.override_granted for one deliverable, signed (Ed25519) with the key \
            file of an approver whose verifier key the policy in force registers under approvers \
            (create one with `genledger key approver`). The gate refuses an override whose \
            approver is not proven. --extra-attempts goes with regeneration-cap, --extra-budget \
            with deliverable-budget and campaign-budget; any other require-approval rule is \
            lifted for the deliverable as a whole.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "The deliverable the override is for.") var deliverable: String
    @Option(help: "The rule lifted (regeneration-cap, deliverable-budget, tier-by-stage, ...).") var rule: String
    @Option(help: "The approver, as listed in the policy's approvers (default: the key's name).") var approver: String?
    @Option(help: "The approver's signing key file.") var keyFile: String
    @Option(help: "Why.") var reason: String
    @Option(help: "Extra attempts (1-100), for regeneration-cap.") var extraAttempts: Int?
    @Option(help: "Extra budget in the policy's currency, for a budget rule.") var extraBudget: Double?
    @Option(help: "When it was granted (RFC 3339; default: now).") var occurredAt: String?

    func validate() throws {
        if let extraAttempts, !(1...100).contains(extraAttempts) { throw ValidationError("--extra-attempts must be 1 to 100") }
        if let extraBudget, !(extraBudget > 0) { throw ValidationError("--extra-budget must be above 0") }
    }

    func run() throws {
        try reportingErrors {
            let key = try KeyFile.read(at: keyFile)
            let approver = approver ?? key.name
            guard approver == key.name else {
                throw LedgerError(.badInput, "the key in \(keyFile) is approver '\(key.name)''s, not '\(approver)''s", field: "approver")
            }
            let governed = GovernedLedger(try ledger.open(), loading: .asNeeded)
            try governed.refresh()
            guard let policy = governed.state.policyInForce?.document else {
                throw LedgerError(.badInput, "no governance policy is published, so no one may grant overrides")
            }
            var payload: [String: JSONValue] = [
                "deliverable": .string(deliverable), "policy": .string(policy.name), "rule": .string(rule),
                "approver": .string(approver), "reason": .string(reason),
            ]
            if let extraAttempts { payload["extra_attempts"] = .number(Double(extraAttempts)) }
            if let extraBudget {
                payload["extra_budget"] = ["amount": .number(extraBudget), "currency": .string(policy.currency.rawValue)]
            }
            let event = ProposedEvent(
                id: UUID(), type: EventType.policyOverrideGranted.rawValue, stream: "deliverable/\(deliverable)",
                payload: .object(payload), occurredAt: try occurredAt.map { try parseOccurredAt($0) }, actor: approver)
            let appended = try governed.append(try OverrideSignature.sign(event, with: key))
            try Projections(governed.ledger).catchUp()
            var out = Output()
            out.line("seq \(appended.appended.seq) hash \(appended.appended.hash.hex) — \(appended.judgement?.summary ?? "recorded")")
            out.flush()
        }
    }
}

/// `--occurred-at`: an RFC 3339 instant, or a date (its start, UTC).
func parseOccurredAt(_ text: String) throws -> Timestamp {
    if let date = CalendarDate(text) { return try Timestamp(rfc3339: "\(date)T00:00:00Z") }
    do { return try Timestamp(rfc3339: text) } catch {
        throw LedgerError(.badInput, "--occurred-at must be an RFC 3339 instant or a date, not '\(text)'", field: "occurred_at")
    }
}
