import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

/// The gate against the shipped governance.yaml: social-short delivery has a hard cap of 4
/// (deny), other delivery work 5 (require-approval), drafts 8 (warn).
@Suite("The gate: deny, require approval, warn, override, and the record of each")
struct GateTests {
    /// A delivery deliverable with `attempts` attempts already granted and generated.
    static func deliverable(_ studio: Studio, _ id: String, category: String, stage: Stage, attempts: Int64) throws -> String {
        try studio.openDeliverable(id, category: category, stage: stage)
        var asset = try studio.generate(id, attempt: 1)
        if attempts > 1 {
            for attempt in 2...attempts {
                try studio.governed.append(studio.regeneration(id, prior: asset))
                asset = try studio.generate(id, attempt: attempt)
            }
        }
        return asset
    }

    @Test("a hard cap (deny): refused at the cap, recorded as policy.denied with the judged input, no override accepted", arguments: TestStore.allCases)
    func deny(store: TestStore) throws {
        let studio = try Studio(store: store)
        let asset = try Self.deliverable(studio, "D-1", category: "social-short", stage: .delivery, attempts: 4)
        let sizeBefore = try studio.ledger.size()
        let request = studio.regeneration("D-1", prior: asset)
        let error = try #require(studio.refusal([request]))
        #expect(error.code == .denied)
        #expect(error.rule == GovernanceError.Rule(policy: "governance", version: 1, rule: "regeneration-cap"))
        #expect(error.description.contains("attempt 5 passes the cap of 4 attempts for social-short/delivery"), "\(error)")
        #expect(try studio.ledger.size() == sizeBefore + 1)
        let deniedSeq = try #require(error.deniedSeq)
        let denial = try #require(try studio.ledger.event(seq: deniedSeq))
        #expect(denial.type == "policy.denied" && denial.stream == "deliverable/D-1" && denial.actor == "gate")
        #expect(
            denial.payload["rule"] == "regeneration-cap" && denial.payload["action"] == "deny" && denial.payload["version"] == 1)
        #expect(denial.payload["judged"]?["payload"] == request.payload)
        #expect(denial.payload["judged"]?["id"]?.stringValue == request.id?.uuidString.lowercased())
        #expect(denial.payload["policy_seq"]?.integerValue == Int64(studio.governed.state.policyInForce!.seq))

        let override = try #require(studio.refusal([studio.override("D-1", rule: "regeneration-cap")]))
        #expect(
            try #require(studio.refusal(approval: "approver:lena", [studio.override("D-1", rule: "regeneration-cap")])).description
                .contains("hard rule"))
        #expect(override.rule?.rule == "approvers" && override.description.contains("hard rule"), "\(override)")
        #expect(studio.refusal([studio.regeneration("D-1", prior: asset)])?.code == .denied)
    }

    @Test("require approval: refused at the cap until an approver grants extra attempts; a non-approver cannot", arguments: TestStore.allCases)
    func requireApprovalAndOverride(store: TestStore) throws {
        let studio = try Studio(store: store)
        var asset = try Self.deliverable(studio, "D-2", category: "key-visual", stage: .delivery, attempts: 5)
        let error = try #require(studio.refusal([studio.regeneration("D-2", prior: asset)]))
        #expect(error.rule?.rule == "regeneration-cap" && error.description.contains("approver may grant"), "\(error)")
        let stranger = try #require(studio.refusal([studio.override("D-2", rule: "regeneration-cap", approver: "intern:sam")]))
        #expect(stranger.rule?.rule == "approvers" && stranger.description.contains("not an approver"), "\(stranger)")

        let unproven = try #require(studio.refusal([studio.override("D-2", rule: "regeneration-cap", extraAttempts: 2)]))
        #expect(unproven.rule?.rule == "approvers" && unproven.description.contains("is not proven"), "\(unproven)")
        let granted = try studio.grant(studio.override("D-2", rule: "regeneration-cap", approver: "approver:lena", extraAttempts: 2))
        #expect(granted.judgement?.outcome == .allowed)
        #expect(granted.judgement?.approval == ApprovalProof(approver: "approver:lena", provenBy: "token:approver:lena"))
        // A retry of a request the gate numbered is the same event, not a second attempt.
        let retried = studio.regeneration("D-2", prior: asset)
        let first = try studio.governed.append(retried)
        let again = try studio.governed.append(retried)
        #expect(again.appended.isDuplicate && again.appended.seq == first.appended.seq)
        asset = try studio.generate("D-2", attempt: 6)
        let seventh = try studio.governed.append(studio.regeneration("D-2", prior: asset))
        #expect(seventh.judgement?.outcome == .approved, "past the cap, within the attempts an approver granted")
        let recorded = try #require(try studio.ledger.event(seq: seventh.appended.seq))
        #expect(recorded.payload["attempt"]?.integerValue == 7, "the gate numbers the attempt")
        asset = try studio.generate("D-2", attempt: 7)
        let past = try #require(studio.refusal([studio.regeneration("D-2", prior: asset)]))
        #expect(
            past.description.contains("attempt 8 passes the cap of 7 attempts")
                && past.description.contains("2 granted by override"), "\(past)")
    }

    @Test("warn: allowed past the cap, with the warning recorded in the event's gate record", arguments: TestStore.allCases)
    func warn(store: TestStore) throws {
        let studio = try Studio(store: store)
        let asset = try Self.deliverable(studio, "D-3", category: "concept-sketch", stage: .draft, attempts: 8)
        let result = try studio.governed.append(studio.regeneration("D-3", prior: asset))
        #expect(result.judgement?.outcome == .warned)
        let gate = try #require(try studio.ledger.event(seq: result.appended.seq)?.payload["gate"])
        #expect(gate["outcome"] == "warned" && gate["findings"]?.arrayValue?.first?["rule"] == "regeneration-cap")
        #expect(gate["findings"]?.arrayValue?.first?["result"] == "warned")
    }

    @Test("every event the gate allowed records the policy, version, policy seq and rules that allowed it", arguments: TestStore.allCases)
    func gateRecord(store: TestStore) throws {
        let studio = try Studio(store: store)
        _ = try Self.deliverable(studio, "D-4", category: "social-short", stage: .draft, attempts: 2)
        let policySeq = Int64(studio.governed.state.policyInForce!.seq)
        var judged = 0
        for event in try studio.ledger.events() where ["generation.requested", "regeneration.requested"].contains(event.type) {
            let gate = try #require(event.payload["gate"], "seq \(event.seq) has no gate record")
            #expect(gate["policy"] == "governance" && gate["version"] == 1 && gate["policy_seq"]?.integerValue == policySeq)
            #expect(gate["rules"]?.arrayValue?.isEmpty == false)
            judged += 1
        }
        #expect(judged == 3)
        for event in try studio.ledger.events() where event.type == "deliverable.opened" { #expect(event.payload["gate"] == nil) }
    }

    @Test("locked seeds, tiers per stage, retired models, budgets and refinement before delivery", arguments: TestStore.allCases)
    func otherRules(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openCampaign("C-1", seed: 4242)
        try studio.openDeliverable("D-5", category: "hero-video", stage: .delivery, campaign: "C-1")
        let decision = try studio.governed.route(
            RouteRequest(deliverable: "D-5", category: "hero-video", stage: .delivery, modality: .textToVideo)
        ).decision.decision
        func generation(model: String, seed: Int64) -> ProposedEvent {
            studio.generationRequest("D-5", model: model, seed: seed, decision: decision)
        }
        #expect(studio.refusal([generation(model: "veo-3.1", seed: 7)])?.rule?.rule == "locked-seed")
        #expect(studio.refusal([generation(model: "hailuo-02", seed: 4242)])?.rule?.rule == "tier-by-stage")
        #expect(studio.refusal([generation(model: "legacy-gen2", seed: 4242)])?.rule?.rule == "model-status")
        #expect(try studio.governed.judge(generation(model: "veo-3.1", seed: 4242))?.outcome == .allowed)

        // Budget: hero delivery allows 600 USD; veo-3.1 at 0.40 USD/s for 10 s estimates 4 USD.
        try studio.append(
            .costRecorded, "deliverable/D-5", ["deliverable": "D-5", "kind": "review-time", "amount": 598, "currency": "USD"])
        let budget = try #require(studio.refusal([generation(model: "veo-3.1", seed: 4242)]))
        #expect(budget.rule?.rule == "deliverable-budget" && budget.description.contains("602.00 USD"), "\(budget)")
        try studio.grant(studio.override("D-5", rule: "deliverable-budget", extraAttempts: nil, extraBudget: 50))
        try studio.governed.append(generation(model: "veo-3.1", seed: 4242))

        // Asking to deliver: an upscaled asset, reviewed before or after the upscale.
        let asset = try studio.generate("D-5", attempt: 1, seed: 4242)
        try studio.review("D-5", asset)
        let ask = { (asset: String) in
            studio.event(
                .deliveryRequested, "deliverable/D-5", ["deliverable": "D-5", "asset": .string(asset), "platforms": ["web"]])
        }
        let unrefined = try #require(studio.refusal([ask(asset)]))
        #expect(unrefined.rule?.rule == "refinement-before-delivery" && unrefined.findings.map(\.rule) == ["refinement-before-delivery"])
        try studio.append(
            .refinementApplied, "deliverable/D-5",
            [
                "deliverable": "D-5", "input_asset": .string(asset), "output_asset": "D-5-up",
                "output_sha256": .string(String(repeating: "cd", count: 32)),
                "step": "upscale", "model": "topaz-video-upscale", "factor": 2,
            ])
        // review → upscale → deliver: the accepted review of the asset it was refined from counts.
        #expect(try studio.governed.append(ask("D-5-up")).judgement?.outcome == .allowed)
        let delivered = try studio.append(
            .deliverableDelivered, "deliverable/D-5", ["deliverable": "D-5", "asset": "D-5-up", "platforms": ["web"]])
        #expect(delivered.judgement?.outcome == .allowed)
    }

    @Test("a fact is never refused for a policy reason: a delivery breaking two rules is recorded with both", arguments: TestStore.allCases)
    func factsAreRecordedWithTheirViolations(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openDeliverable("D-7", category: "hero-video", stage: .delivery)
        let asset = try studio.generate("D-7", attempt: 1)
        let size = try studio.ledger.size()
        let delivered = try studio.append(
            .deliverableDelivered, "deliverable/D-7", ["deliverable": "D-7", "asset": .string(asset), "platforms": ["web"]])
        #expect(try studio.ledger.size() == size + 1, "the delivery itself is on the record")
        let judgement = try #require(delivered.judgement)
        #expect(judgement.outcome == .violated)
        #expect(judgement.violations.map(\.rule) == ["refinement-before-delivery", "review-before-delivery"])
        let gate = try #require(try studio.ledger.event(seq: delivered.appended.seq)?.payload["gate"])
        #expect(gate["outcome"] == "violated" && gate["findings"]?.arrayValue?.count == 2)
        #expect(gate["findings"]?.arrayValue?.allSatisfy { $0["result"] == "violated" && $0["action"] == "deny" } == true)
        // Malformed input and unknown references are still refused.
        #expect(
            studio.refusal([
                studio.event(
                    .deliverableDelivered, "deliverable/D-7", ["deliverable": "D-7", "asset": "no-such", "platforms": ["web"]])
            ])?.code == .invalidEvent)
    }

    @Test("every rule is judged: a request breaking two rules is denied naming both, counted under each", arguments: TestStore.allCases)
    func everyRuleJudged(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openCampaign("C-2", seed: 99)
        try studio.openDeliverable("D-8", category: "hero-video", stage: .delivery, campaign: "C-2")
        let decision = try studio.governed.route(
            RouteRequest(deliverable: "D-8", category: "hero-video", stage: .delivery, modality: .textToVideo)
        ).decision.decision
        let request = studio.generationRequest("D-8", model: "hailuo-02", seed: 7, decision: decision)
        let error = try #require(studio.refusal([request]))
        #expect(error.findings.filter { $0.result == .denied }.map(\.rule) == ["tier-by-stage", "locked-seed"])
        #expect(error.findings.contains { $0.rule == "routing-followed" && $0.result == .warned })
        let deniedSeq = try #require(error.deniedSeq)
        let denial = try #require(try studio.ledger.event(seq: deniedSeq))
        #expect(denial.payload["rule"] == "tier-by-stage")
        #expect(denial.payload["findings"]?.arrayValue?.compactMap { $0["rule"]?.stringValue }.contains("locked-seed") == true)
        // In audit mode (an import) the same request is recorded, with both violations.
        let imported = try studio.governed.append(request, mode: .audit)
        #expect(imported.judgement?.outcome == .violated)
        #expect(imported.judgement?.violations.map(\.rule) == ["tier-by-stage", "locked-seed"])
    }

    @Test("every rule takes its action from governance.yaml: a warning tier rule, an approvable seed rule lifted by override")
    func configurableActions() throws {
        let directory = TemporaryDirectory("genledger-actions")
        let policies = try RepositoryFiles.copyOfPolicies(in: directory)
        let governance = (policies as NSString).appendingPathComponent("governance.yaml")
        try (try String(contentsOfFile: governance, encoding: .utf8)
            + "\nactions:\n  tier-by-stage: warn\n  locked-seed: require-approval\n  refinement-before-delivery: warn\n")
            .write(toFile: governance, atomically: true, encoding: .utf8)
        let studio = try Studio(policies: policies)
        #expect(studio.governed.state.policyInForce?.document.action(of: "tier-by-stage") == .warn)
        #expect(studio.governed.state.policyInForce?.document.action(of: "review-before-delivery") == .deny, "a default")
        try studio.openCampaign("C-3", seed: 5)
        try studio.openDeliverable("D-9", category: "hero-video", stage: .delivery, campaign: "C-3")
        let decision = try studio.governed.route(
            RouteRequest(deliverable: "D-9", category: "hero-video", stage: .delivery, modality: .textToVideo)
        ).decision.decision
        func generation(model: String, seed: Int64) -> ProposedEvent {
            studio.generationRequest("D-9", model: model, seed: seed, decision: decision)
        }
        // The budget tier on delivery work now warns; the wrong seed needs an approver.
        let seedDenied = try #require(studio.refusal([generation(model: "hailuo-02", seed: 6)]))
        #expect(seedDenied.findings.map(\.rule) == ["tier-by-stage", "locked-seed", "routing-followed"])
        #expect(seedDenied.findings.map(\.result) == [.warned, .denied, .warned])
        #expect(seedDenied.findings[1].action == .requireApproval)
        try studio.grant(studio.override("D-9", rule: "locked-seed", extraAttempts: nil))
        let lifted = try studio.governed.append(generation(model: "hailuo-02", seed: 6))
        #expect(lifted.judgement?.outcome == .approved)
        #expect(lifted.judgement?.findings.first { $0.rule == "locked-seed" }?.result == .approved)
        // A hard (deny) rule cannot be lifted.
        let hard = try #require(studio.refusal(approval: "approver:lena", [studio.override("D-9", rule: "review-before-delivery", extraAttempts: nil)]))
        #expect(hard.description.contains("hard rule"), "\(hard)")
        // A misspelt action or rule is a policy error naming the field.
        try (try String(contentsOfFile: governance, encoding: .utf8) + "  locked-seeds: warn\n")
            .write(toFile: governance, atomically: true, encoding: .utf8)
        #expect(throws: PolicyFolderError.self) { try PolicyFolder(directory: policies) }
    }

    @Test("gate check judges without appending, and a denial inside a batch appends only the denial", arguments: TestStore.allCases)
    func judgeAndBatches(store: TestStore) throws {
        let studio = try Studio(store: store)
        let asset = try Self.deliverable(studio, "D-6", category: "social-short", stage: .delivery, attempts: 4)
        let size = try studio.ledger.size()
        let judgement = try #require(try studio.governed.judge(studio.regeneration("D-6", prior: asset)))
        #expect(judgement.outcome == .denied && judgement.denial?.rule == "regeneration-cap")
        #expect(try studio.ledger.size() == size)

        let opening = studio.event(.campaignOpened, "campaign/C-9", ["campaign": "C-9", "name": "n"])
        let error = try #require(studio.refusal([opening, studio.regeneration("D-6", prior: asset)]))
        #expect(error.index == 1 && error.code == .denied)
        #expect(try studio.ledger.size() == size + 1)
        #expect(try studio.ledger.event(seq: size + 1)?.type == "policy.denied")
        #expect(studio.governed.state.campaigns["C-9"] == nil, "the refused batch's first event is not in the gate's state")
        try studio.governed.append(opening)
    }
}
