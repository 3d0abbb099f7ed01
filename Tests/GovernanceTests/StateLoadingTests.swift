import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Simulation
import Testing

/// A one-shot call loads only what it judges (`GovernedLedger(loading: .asNeeded)`); it must
/// judge exactly as the whole fold does, whatever the history.
@Suite("Loading the gate's state as needed judges as the whole fold does", .serialized)
struct StateLoadingTests {
    /// Candidate events for every deliverable of a simulated history: its next generation (the
    /// last request again, as the next attempt), a regeneration, a delivery request and a
    /// delivery of its latest asset, and a cost; judged by both loadings, errors included.
    @Test func everyCandidateJudgedAlike() throws {
        let directory = TemporaryDirectory("genledger-loading")
        let ledger = try Ledger.create(at: directory.path("sim.db"), origin: "sim.example/log")
        _ = try Simulator(
            ledger: GovernedLedger(ledger), policies: try PolicyFolder(directory: RepositoryFiles.path("policies")),
            options: SimulationOptions(seed: 7, deliverables: 150, months: 6)
        ).run()
        let whole = GovernedLedger(ledger)
        let asNeeded = GovernedLedger(ledger, loading: .asNeeded)
        // One cached writer for the whole run: its state accumulates what every judgement loaded.
        let cached = GovernedLedger(ledger, loading: .cached)
        try cached.refresh()

        var lastRequest: [String: JSONValue] = [:]
        var lastAsset: [String: String] = [:]
        for event in try ledger.events() where event.stream.hasPrefix("deliverable/") {
            let deliverable = String(event.stream.dropFirst("deliverable/".count))
            var payload = try JSONParser.parse(event.payloadBytes)
            if case .object(var members) = payload {
                members[DomainEvent.gateKey] = nil
                payload = .object(members)
            }
            switch event.type {
            case "generation.requested": lastRequest[deliverable] = payload
            case "generation.completed": lastAsset[deliverable] = payload["asset"]?.stringValue
            case "refinement.applied": lastAsset[deliverable] = payload["output_asset"]?.stringValue
            default: break
            }
        }
        #expect(lastRequest.count > 100)

        func outcome(_ governed: GovernedLedger, _ event: ProposedEvent) -> String {
            do {
                return try governed.judge(event).map { CanonicalJSON.string(of: $0.record) } ?? "not judged"
            } catch {
                return "error: \(error)"
            }
        }
        var compared = 0
        var judged = 0
        var outcomes: Set<String> = []
        for (deliverable, request) in lastRequest.sorted(by: { $0.key < $1.key }) {
            let stream = "deliverable/\(deliverable)"
            var candidates: [ProposedEvent] = []
            if case .object(var next) = request {
                next["generation"] = .string("G-candidate")
                next["attempt"] = .number(Double((whole.state.deliverables[deliverable]?.attemptsGranted ?? 1)))
                next["fallback_from"] = nil
                candidates.append(ProposedEvent(type: "generation.requested", stream: stream, payload: .object(next)))
            }
            if let asset = lastAsset[deliverable] {
                candidates.append(
                    ProposedEvent(
                        type: "regeneration.requested", stream: stream,
                        payload: ["deliverable": .string(deliverable), "prior_asset": .string(asset), "reason": "another take"]))
                candidates.append(
                    ProposedEvent(
                        type: "delivery.requested", stream: stream,
                        payload: ["deliverable": .string(deliverable), "asset": .string(asset)]))
                candidates.append(
                    ProposedEvent(
                        type: "deliverable.delivered", stream: stream,
                        payload: ["deliverable": .string(deliverable), "asset": .string(asset), "platforms": ["web"]]))
                candidates.append(
                    ProposedEvent(
                        type: "cost.recorded", stream: stream,
                        payload: [
                            "deliverable": .string(deliverable), "kind": "review-time", "amount": 2.5, "currency": "USD",
                            "asset": .string(asset),
                        ]))
            }
            for candidate in candidates {
                try whole.refresh()
                let expected = outcome(whole, candidate)
                let actual = outcome(asNeeded, candidate)
                #expect(actual == expected, "\(candidate.type) for \(deliverable)")
                #expect(outcome(cached, candidate) == expected, "cached: \(candidate.type) for \(deliverable)")
                compared += 1
                if !expected.hasPrefix("error") && expected != "not judged" { judged += 1 }
                outcomes.insert(String(expected.prefix(40)))
            }
        }
        // The comparison covered judged requests and facts, and different outcomes.
        #expect(compared > 500 && judged > 250, "\(compared) compared, \(judged) judged: \(outcomes.sorted())")
        #expect(outcomes.count > 3, "\(outcomes)")
    }

    @Test("the read model beside the log catches up with events appended without it, and a whole refold agrees")
    func readModelCatchesUp() throws {
        let directory = TemporaryDirectory("genledger-loading")
        let ledger = try Ledger.create(at: directory.path("sim.db"), origin: "sim.example/log")
        let simulator = Simulator(
            ledger: GovernedLedger(ledger), policies: try PolicyFolder(directory: RepositoryFiles.path("policies")),
            options: SimulationOptions(seed: 9, deliverables: 40, months: 6))
        _ = try simulator.run()
        // Built once on a part of the history…
        let asNeeded = GovernedLedger(ledger, loading: .asNeeded)
        try asNeeded.refresh()
        // …and a cached writer (the service's loading) that has loaded one campaign already.
        let cached = GovernedLedger(ledger, loading: .cached)
        try cached.refresh()
        let mismatches = try ledger.withSideTables(write: true) { try GateIndex($0).check() }
        #expect(mismatches.isEmpty, "\(mismatches)")
        // …then events appended by a whole-state writer (which does not keep it) are caught up:
        // a new deliverable in a campaign, and a cost for it.
        let writer = GovernedLedger(ledger)
        try writer.refresh()
        let campaign = try #require(writer.state.campaigns.keys.sorted().first)
        let spendBefore = writer.state.campaigns[campaign]!.spendMicros
        let member = try #require(writer.state.deliverables.values.first { $0.opened.campaign == campaign }?.opened.deliverable)
        try cached.refresh(deliverables: [member])
        #expect(cached.state.campaigns[campaign]?.spendMicros == spendBefore)
        try writer.append(
            ProposedEvent(
                type: "deliverable.opened", stream: "deliverable/D-LATE",
                payload: [
                    "deliverable": "D-LATE", "campaign": .string(campaign), "category": "social-short", "stage": "draft",
                    "modality": "text-to-video", "duration_seconds": 15, "platforms": [["platform": "tiktok", "aspect_ratio": "9:16"]],
                ]))
        try writer.append(
            ProposedEvent(
                type: "cost.recorded", stream: "deliverable/D-LATE",
                payload: ["deliverable": "D-LATE", "kind": "opportunity", "amount": 12.5, "currency": "USD"]))
        try asNeeded.refresh(deliverables: ["D-LATE"])
        #expect(asNeeded.state.campaigns[campaign]?.spendMicros == spendBefore + 12_500_000)
        #expect(asNeeded.state.deliverables["D-LATE"]?.spendMicros == 12_500_000)
        // The cached writer followed the other writer: the campaign's spend counts the new cost
        // although D-LATE is not loaded, and loading D-LATE then does not count it twice.
        try cached.refresh(deliverables: [])
        #expect(cached.state.deliverables["D-LATE"] == nil)
        #expect(cached.state.campaigns[campaign]?.spendMicros == spendBefore + 12_500_000)
        try cached.refresh(deliverables: ["D-LATE"])
        #expect(cached.state.deliverables["D-LATE"]?.spendMicros == 12_500_000)
        #expect(cached.state.campaigns[campaign]?.spendMicros == spendBefore + 12_500_000)
        #expect(try ledger.withSideTables(write: true) { try GateIndex($0).check() }.isEmpty)

        // A read model changed behind the ledger's back is named by the check.
        try ledger.withSideTables(write: true) {
            try $0.run("UPDATE gate_campaign_spend SET micros = micros + 1 WHERE campaign = ?1", [.text(campaign)])
        }
        let found = try ledger.withSideTables(write: true) { try GateIndex($0).check() }
        #expect(found.count == 1 && found[0].contains("campaign '\(campaign)'"), "\(found)")
    }

    @Test("a ledger whose global-documents index predates the OR form has it replaced; the loaded documents are the same and no insert builds an ephemeral table")
    func globalDocumentsIndexReplaced() throws {
        let directory = TemporaryDirectory("genledger-loading")
        let path = directory.path("sim.db")
        let ledger = try Ledger.create(at: path, origin: "sim.example/log")
        _ = try Simulator(
            ledger: GovernedLedger(ledger), policies: try PolicyFolder(directory: RepositoryFiles.path("policies")),
            options: SimulationOptions(seed: 4, deliverables: 8, months: 2)
        ).run()
        let whole = GovernedLedger(ledger)
        try whole.refresh()
        // As the version before this one left it: its `type IN (…)` index, not the new one.
        let client = try SQLClient(path: path)
        try client.execute(
            """
            DROP INDEX IF EXISTS gate_global_documents;
            CREATE INDEX gate_documents ON events(seq) WHERE type IN ('model.registered', 'model.pricing_changed',
                'model.version_changed', 'model.status_changed', 'routing.table_published', 'policy.published', 'template.versioned');
            """)
        let insert =
            "EXPLAIN INSERT INTO events(seq, id, type, stream, stream_version, occurred_at, recorded_at, actor, payload, payload_digest, prev_hash, hash, stream_prev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        // EXPLAIN's second column is the opcode; EXPLAIN QUERY PLAN's fourth the plan's step.
        let opcodes = { try client.strings(insert, column: 1) }
        #expect(try opcodes().contains("OpenEphemeral"), "the old index: an ephemeral table built per insert")

        let loaded = GovernedLedger(try Ledger(opening: path), loading: .asNeeded)
        try loaded.refresh()
        #expect(try client.strings("SELECT name FROM pragma_index_list('events') ORDER BY name") == ["gate_global_documents", "sqlite_autoindex_events_1"])
        #expect(try !opcodes().contains("OpenEphemeral"), "no insert builds an ephemeral table now")
        let plan = try client.strings(
            """
            EXPLAIN QUERY PLAN SELECT seq, type, stream, payload FROM events WHERE (type = 'model.registered'
                OR type = 'model.pricing_changed' OR type = 'model.version_changed' OR type = 'model.status_changed'
                OR type = 'routing.table_published' OR type = 'policy.published' OR type = 'template.versioned')
            """, column: 3)
        #expect(plan == ["SCAN events USING INDEX gate_global_documents"], "the documents are read through the index: \(plan)")
        // The global documents read through the new index are the whole fold's.
        #expect(loaded.state.models.mapValues(\.registeredSeq) == whole.state.models.mapValues(\.registeredSeq))
        #expect(loaded.state.models.mapValues(\.prices.count) == whole.state.models.mapValues(\.prices.count) && !loaded.state.models.isEmpty)
        #expect(loaded.state.tables.keys.sorted() == whole.state.tables.keys.sorted() && !loaded.state.tables.isEmpty)
        #expect(loaded.state.policies.keys.sorted() == whole.state.policies.keys.sorted() && !loaded.state.policies.isEmpty)
        #expect(loaded.state.policyInForce?.digest == whole.state.policyInForce?.digest && loaded.state.policyInForce != nil)
        #expect(loaded.state.templates == whole.state.templates && !loaded.state.templates.isEmpty)
        #expect(try ledger.withSideTables(write: true) { try GateIndex($0).check() }.isEmpty)
    }
}
