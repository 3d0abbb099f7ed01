import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Reports
import Simulation
import Testing

/// The report indexes a catch-up must leave in place.
enum ProjectionSchemaNames {
    static let indexes = [
        "proj_generations_by_deliverable", "proj_outcomes_by_generation", "proj_assets_by_asset", "proj_assets_by_sha256",
        "proj_reviews_by_asset", "proj_reviews_by_seq", "proj_costs_by_deliverable", "proj_deliverables_by_id",
        "proj_gate_records_by_time", "proj_rule_results_by_time", "proj_rule_results_by_deliverable",
        "proj_denials_by_deliverable", "proj_overrides_by_deliverable",
    ]
}

@Suite("The projection engine: catch-up by seq, rebuild, check, as-of")
struct ProjectionEngineTests {
    @Test("incremental catch-up equals a rebuild, digest for digest; a tampered row is named", arguments: TestStore.allCases)
    func checkAndRebuild(store: TestStore) throws {
        let studio = try Studio(store: store)
        let projections = Projections(studio.ledger)
        try studio.openDeliverable("D-1", category: "social-short", stage: .draft)
        try projections.catchUp()
        let asset = try studio.generate("D-1", attempt: 1)
        try studio.review("D-1", asset)
        #expect(try projections.catchUp() > 0)
        #expect(try projections.position() == (try studio.ledger.size()))
        var result = try projections.check()
        #expect(
            result.mismatched.isEmpty
                && result.incremental.map(\.projection) == ["catalog", "routing", "production", "costs", "governance"])
        let before = result.incremental

        try studio.ledger.withSideTables(write: true) { try $0.run("UPDATE proj_reviews SET verdict = 'rejected'") }
        result = try projections.check()
        #expect(result.mismatched == ["production"])
        #expect(try projections.rebuild() == (try studio.ledger.size()))
        try studio.ledger.withSideTables(write: false) { tables in
            for name in ProjectionSchemaNames.indexes {
                let exists = try tables.exists(name)
                #expect(exists, "index \(name) is missing after a rebuild")
            }
        }
        result = try projections.check()
        #expect(result.mismatched.isEmpty && result.incremental == before)
    }

    /// A rebuild commits the tables first and each index after: stopped in between, it leaves
    /// complete projections without some indexes, which the next catch-up builds.
    @Test("indexes a rebuild did not get to are built by the next catch-up; the rows are the same", arguments: TestStore.allCases)
    func indexesMissingAfterARebuild(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openDeliverable("D-1", category: "social-short", stage: .draft)
        try studio.review("D-1", try studio.generate("D-1", attempt: 1))
        let projections = Projections(studio.ledger)
        #expect(try projections.rebuild() == (try studio.ledger.size()))
        let digests = try projections.check().incremental
        try studio.ledger.withSideTables(write: true) { tables in
            for name in ProjectionSchemaNames.indexes.suffix(5) { try tables.execute("DROP INDEX \(name)") }
        }
        let later = Projections(studio.ledger)
        #expect(try later.catchUp() == 0)
        try studio.ledger.withSideTables(write: false) { tables in
            for name in ProjectionSchemaNames.indexes {
                let exists = try tables.exists(name)
                #expect(exists, "index \(name) is missing after the catch-up")
            }
        }
        #expect(try later.check().incremental == digests)
    }

    @Test("catch-ups of a few events at a time (only their types' feeds prepared) equal a whole fold, digest for digest")
    func shortCatchUpsEqualAWholeFold() throws {
        let directory = TemporaryDirectory("genledger-short-folds")
        let ledger = try Ledger.create(at: directory.path("sim.db"), origin: "sim.example/log")
        _ = try Simulator(
            ledger: GovernedLedger(ledger), policies: try PolicyFolder(directory: RepositoryFiles.path("policies")),
            options: SimulationOptions(seed: 7, deliverables: 60, months: 3)
        ).run()
        let size = try ledger.size()
        // Over the short-fold bound, so that `check` replays with every feed prepared.
        #expect(size > 1_000, "\(size) events")
        let projections = Projections(ledger)
        // Steps of 1 to 17 events: a few types each, so most feeds are left unprepared.
        let steps: [UInt64] = [1, 2, 5, 17, 1, 3, 9]
        var step = 0
        while try projections.position() < size {
            #expect(try projections.catchUp(atMost: steps[step % steps.count]) > 0)
            step += 1
        }
        #expect(step > 50)
        let result = try projections.check()
        #expect(result.mismatched.isEmpty, "\(result.mismatched)")
        _ = try projections.rebuild()
        #expect(try projections.check().incremental == result.incremental)
        let counts = try ledger.withSideTables(write: false) { tables in
            try ["proj_generations", "proj_assets", "proj_costs", "proj_gate_records", "proj_deliverables"].map {
                try tables.rows("SELECT count(*) FROM \($0)").first?[0].int ?? 0
            }
        }
        #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
    }

    @Test("a catch-up far behind folds with the indexes dropped, builds them again, and equals a rebuild", arguments: TestStore.allCases)
    func bulkCatchUp(store: TestStore) throws {
        let studio = try Studio(store: store)
        let projections = Projections(studio.ledger)
        projections.bulkFoldThreshold = 1
        try projections.catchUp()  // built incrementally: the indexes exist from here
        // Then more events behind than it has folded: the next catch-up is a bulk one.
        var number = 0
        while try studio.ledger.size() - projections.position() <= projections.position() {
            number += 1
            try studio.openDeliverable("D-\(number)", category: "social-short", stage: .draft)
            try studio.review("D-\(number)", try studio.generate("D-\(number)", attempt: 1))
        }
        let folded = try projections.catchUp()
        try studio.ledger.withSideTables(write: false) { tables in
            for name in ProjectionSchemaNames.indexes {
                let exists = try tables.exists(name)
                #expect(exists, "index \(name) is missing after a bulk catch-up")
            }
        }
        let position = try projections.position(), size = try studio.ledger.size()
        #expect(folded > 0 && position == size)
        let check = try projections.check()
        #expect(check.mismatched.isEmpty)
    }

    @Test("every column reads its field: seed subjects, references, micro-units, documents, gate records", arguments: TestStore.allCases)
    func columns(store: TestStore) throws {
        let studio = try Studio(store: store)
        let projections = Projections(studio.ledger)
        try studio.openCampaign("C-1", seed: 1234)
        try studio.openDeliverable("D-1", category: "social-short", stage: .draft, campaign: "C-1")
        let asset = try studio.generate("D-1", attempt: 1)
        let generation = studio.generationPayload("D-2", attempt: 1, model: "kling-2.5-turbo", decision: "none")
        guard case .object(var payload) = generation else { throw LedgerError(.badInput, "not an object") }
        try studio.openDeliverable("D-2", category: "social-short", stage: .draft, modality: .imageToVideo)
        let decision = try studio.governed.route(
            RouteRequest(deliverable: "D-2", category: "social-short", stage: .draft, modality: .imageToVideo)
        ).decision
        payload["routing_decision"] = .string(decision.decision)
        payload["model"] = .string(decision.model)
        payload["references"] = [
            ["asset": .string(asset), "role": "upstream-image"], ["asset": .string(asset), "role": "style"],
        ]
        let requested = try studio.append(.generationRequested, "deliverable/D-2", .object(payload)).appended.seq
        let cost = try studio.append(
            .costRecorded, "deliverable/D-1",
            ["deliverable": "D-1", "kind": "review-time", "amount": 12.345678, "currency": "USD"]
        ).appended.seq
        // A gated event written past the gate, straight into the log, has no gate record to project.
        let ungated = try studio.ledger.append(
            ProposedEvent(
                type: "deliverable.delivered", stream: "deliverable/D-1",
                payload: ["deliverable": "D-1", "asset": .string(asset), "platforms": ["web"]])
        ).seq
        try projections.catchUp()

        func rows(_ sql: String) throws -> [[SideTables.Value]] {
            try studio.ledger.withSideTables(write: false) { try $0.rows(sql) }
        }
        #expect(try rows("SELECT scope, subject, seed FROM proj_seeds") == [[.text("campaign"), .text("C-1"), .integer(1234)]])
        #expect(
            try rows("SELECT seq, asset, role FROM proj_references ORDER BY role")
                == [
                    [.integer(Int64(requested)), .text(asset), .text("style")],
                    [.integer(Int64(requested)), .text(asset), .text("upstream-image")],
                ])
        #expect(
            try rows("SELECT micros, kind FROM proj_costs WHERE seq = \(cost)") == [[.integer(12_345_678), .text("review-time")]])
        #expect(
            try rows("SELECT type, policy, outcome FROM proj_gate_records WHERE seq = \(requested)")
                == [[.text("generation.requested"), .text("governance"), .text("allowed")]])
        #expect(try rows("SELECT COUNT(*) FROM proj_gate_records WHERE seq = \(ungated)") == [[.integer(0)]])
        #expect(try rows("SELECT COUNT(*) FROM proj_deliveries WHERE seq = \(ungated)") == [[.integer(1)]])
        // A registration's price has no reason; the stored document is the payload's, canonical.
        #expect(try rows("SELECT COUNT(*) FROM proj_model_prices WHERE reason IS NOT NULL") == [[.integer(0)]])
        let published = try #require(try studio.ledger.events(type: "routing.table_published").first)
        let document = try JSONParser.parse(published.payloadBytes)["document"]!
        #expect(
            try rows("SELECT document FROM proj_routing_tables WHERE seq = \(published.seq)")
                == [[.text(CanonicalJSON.string(of: document))]])
        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("an event a projection cannot hold stops the catch-up, naming its seq, type and column", arguments: TestStore.allCases)
    func unprojectable(store: TestStore) throws {
        let studio = try Studio(store: store)
        let projections = Projections(studio.ledger)
        try projections.catchUp()
        // Written past the governance layer, straight into the log: a cost with no deliverable.
        let seq = try studio.ledger.append(
            ProposedEvent(type: "cost.recorded", stream: "deliverable/D-1", payload: ["kind": "review-time"])
        ).seq
        #expect {
            try projections.catchUp()
        } throws: { error in
            let error = error as? LedgerError
            return error?.seq == seq && error?.message.contains("cost.recorded") == true
                && error?.message.contains("proj_costs.deliverable") == true
        }
        #expect(try projections.position() == seq - 1)
    }

    @Test("as of a seq or a date answers as the ledger stood then", arguments: TestStore.allCases)
    func asOf(store: TestStore) throws {
        let studio = try Studio(store: store)
        let projections = Projections(studio.ledger)
        let beforeChange = try studio.ledger.size()
        studio.clock = try Timestamp(rfc3339: "2026-08-15T12:00:00Z")
        try studio.append(
            .modelStatusChanged, "model/veo-3.1",
            [
                "model": "veo-3.1", "status": "degraded", "failure_mode": "timeout", "effective": "2026-08-15",
                "reason": "incident",
            ])
        #expect(try projections.resolve(asOf: String(beforeChange)) == beforeChange)
        #expect(try projections.resolve(asOf: "2026-08-14") == beforeChange)
        #expect(try projections.resolve(asOf: "2026-08-15") == beforeChange + 1)
        #expect(try projections.modelStatuses(asOf: beforeChange)["veo-3.1"]?.status == .active)
        #expect(try projections.modelStatuses(asOf: beforeChange + 1)["veo-3.1"]?.status == .degraded)
        #expect(throws: LedgerError.self) { try projections.resolve(asOf: "99999") }
        #expect(throws: LedgerError.self) { try projections.resolve(asOf: "last tuesday") }
    }
}
