import Foundation
import Governance
import Simulation
import LedgerLog
import LedgerTestSupport
import Testing

@Suite("The simulator")
struct SimulatorTests {
    static func simulate(
        seed: UInt64, deliverables: Int, in directory: TemporaryDirectory, name: String, perTransaction: Int = 50
    ) throws -> (Ledger, SimulationSummary) {
        let ledger = try Ledger.create(at: directory.path(name), origin: "sim.example/log")
        let simulator = Simulator(
            ledger: GovernedLedger(ledger), policies: try PolicyFolder(directory: RepositoryFiles.path("policies")),
            options: SimulationOptions(
                seed: seed, deliverables: deliverables, months: 6, deliverablesPerTransaction: perTransaction))
        return (ledger, try simulator.run())
    }

    @Test("deliverables grouped into shared transactions write the history one transaction per request writes, denials included")
    func grouping() throws {
        let directory = TemporaryDirectory("genledger-sim")
        let (alone, aloneSummary) = try Self.simulate(seed: 5, deliverables: 150, in: directory, name: "alone.db", perTransaction: 1)
        let (grouped, groupedSummary) = try Self.simulate(seed: 5, deliverables: 150, in: directory, name: "grouped.db", perTransaction: 40)
        #expect(aloneSummary.denialsByRule.values.reduce(0, +) > 0, "the history must hold denials for this to test them")
        #expect(try alone.events().map(\.hash) == (try grouped.events().map(\.hash)))
        #expect(aloneSummary.denialsByRule == groupedSummary.denialsByRule && aloneSummary.overrides == groupedSummary.overrides)
        #expect(try grouped.verify().isValid)
    }

    @Test("the same seed writes the same content, event for event; another seed does not")
    func determinism() throws {
        let directory = TemporaryDirectory("genledger-sim")
        let (a, _) = try Self.simulate(seed: 11, deliverables: 120, in: directory, name: "a.db")
        let (b, _) = try Self.simulate(seed: 11, deliverables: 120, in: directory, name: "b.db")
        let (c, _) = try Self.simulate(seed: 12, deliverables: 120, in: directory, name: "c.db")
        let hashesA = try a.events().map(\.hash)
        #expect(hashesA == (try b.events().map(\.hash)))
        #expect(try a.rootHash() == (try b.rootHash()))
        #expect(hashesA != (try c.events().map(\.hash)))
    }

    @Test("the history has every part the issue names, verifies, and passed the gate")
    func content() throws {
        let directory = TemporaryDirectory("genledger-sim")
        let (ledger, summary) = try Self.simulate(seed: 3, deliverables: 600, in: directory, name: "sim.db")
        #expect(try ledger.verify().isValid)
        let events = try ledger.events()
        let types = Set(events.map(\.type))
        // Reviews of models and recorded replays are people's acts on a history, not the pipeline's;
        // key statements and erasures are the log's own (genledger key, genledger erase).
        let notTheStudios: Set<EventType> = [
            .modelReviewCompleted, .replayCompleted, .logKeyAdded, .logKeyRetired, .logKeyRevoked, .payloadErased,
        ]
        for type in EventType.allCases where !notTheStudios.contains(type) {
            #expect(types.contains(type.rawValue), "no \(type.rawValue) in the simulated history")
        }
        #expect(summary.denialsByRule["regeneration-cap", default: 0] > 0 && summary.overrides > 0 && summary.fallbacks > 0)
        #expect(summary.milestones.count == 6)
        let stages = Set(events.filter { $0.type == "deliverable.opened" }.compactMap { $0.payload["stage"]?.stringValue })
        #expect(stages == ["draft", "delivery"])
        #expect(
            events.contains {
                $0.type == "generation.requested" && $0.payload["references"]?.arrayValue?.first?["role"] == "upstream-image"
            })
        #expect(events.contains { $0.type == "routing.table_published" && $0.payload["version"] == 2 })
        // Every gated event carries its gate record: the simulator wrote through the gate.
        for event in events where event.type == "generation.requested" || event.type == "regeneration.requested" {
            #expect(event.payload["gate"]?["policy"] == "governance")
        }
        // Simulated time: recorded_at never runs backwards and stays within the simulated months.
        let recorded = events.map(\.recordedAt)
        #expect(recorded == recorded.sorted())
        #expect(recorded.last! < "2026-10-15")
    }
}
