import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

/// Group commit at the Governance layer: many requests, one transaction, each in a savepoint.
@Suite("Group sessions: one durable transaction, each request whole or not at all")
struct GroupSessionTests {
    @Test("a failing request is undone alone; a denial keeps only its record; later requests see earlier ones", arguments: TestStore.allCases)
    func isolation(store: TestStore) throws {
        let studio = try Studio(store: store)
        let prior = try GateTests.deliverable(studio, "D-1", category: "social-short", stage: .delivery, attempts: 3)
        let before = try studio.ledger.size()
        let campaign = studio.event(.campaignOpened, "campaign/C-1", ["campaign": "C-1", "name": "one"])
        let again = studio.event(.campaignOpened, "campaign/C-1", ["campaign": "C-1", "name": "twice"])
        let stale = studio.event(.campaignOpened, "campaign/C-2", ["campaign": "C-2", "name": "two"])
        var staleWithVersion = stale
        staleWithVersion.expectedVersion = 3
        let fourth = studio.regeneration("D-1", prior: prior)
        let fifth = studio.regeneration("D-1", prior: prior)

        let outcomes = try studio.governed.withGroupSession { group in
            [
                group.append([campaign]).map { _ in "ok" },
                group.append([again]).map { _ in "ok" },  // C-1 is open by now: refused
                group.append([staleWithVersion]).map { _ in "ok" },  // a conflict, after the event was judged
                group.append([fourth]).map { _ in "ok" },  // attempt 4: the last under the cap
                group.append([fifth]).map { _ in "ok" },  // attempt 5: denied
                group.append([stale]).map { _ in "ok" },  // still fine after the failures before it
            ].map { result -> String in
                switch result {
                case .success(let text): return text
                case .failure(let error as GovernanceError): return error.code.rawValue
                case .failure(let error as LedgerError): return error.code.rawValue
                case .failure(let error): return "\(error)"
                }
            }
        }
        #expect(outcomes == ["ok", "invalid-event", "conflict", "ok", "denied", "ok"])
        // campaign C-1, regeneration 4, the denial record, campaign C-2: nothing of the failures.
        #expect(try studio.ledger.size() == before + 4)
        var types: [String] = []
        try studio.ledger.forEachEvent(after: before) { event in
            types.append(event.type)
            return true
        }
        #expect(types == ["campaign.opened", "regeneration.requested", "policy.denied", "campaign.opened"])
        // The state the group left is the state a fresh fold of the log gives.
        let fresh = GovernedLedger(try Ledger(opening: studio.ledger.path))
        try fresh.refresh()
        #expect(fresh.state.deliverables["D-1"]?.attemptsGranted == 4)
        #expect(studio.governed.state.deliverables["D-1"]?.attemptsGranted == 4)
        #expect(studio.governed.state.campaigns.keys.sorted() == fresh.state.campaigns.keys.sorted())
        #expect(try studio.ledger.verify().isValid)
    }

    @Test("a retried route with the same id answers the decision recorded the first time", arguments: TestStore.allCases)
    func routeRetry(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openDeliverable("D-1", category: "hero-video", stage: .delivery)
        let request = try RouteRequest(completing: ["deliverable": "D-1"], from: studio.governed.state)
        let id = UUID()
        let first = try studio.governed.withGroupSession { try $0.route(request, actor: "test", id: id).get() }
        try studio.append(.campaignOpened, "campaign/C-9", ["campaign": "C-9", "name": "moves the position"])
        let second = try studio.governed.withGroupSession { try $0.route(request, actor: "test", id: id).get() }
        #expect(!first.appended.appended.isDuplicate && second.appended.appended.isDuplicate)
        #expect(second.appended.appended.seq == first.appended.appended.seq)
        #expect(second.decision == first.decision)
    }
}
