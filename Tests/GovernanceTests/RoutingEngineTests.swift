import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

@Suite("The routing engine: tables in force, degraded and retired models, fallbacks, determinism")
struct RoutingEngineTests {
    static let hero = RouteRequest(category: "hero-video", stage: .delivery, modality: .textToVideo, durationSeconds: 30)
    static let social = RouteRequest(category: "social-short", stage: .delivery, modality: .textToVideo, durationSeconds: 10)

    func status(_ studio: Studio, _ model: String, _ status: ModelStatus, mode: FailureMode?) throws {
        var payload: [String: JSONValue] = [
            "model": .string(model), "status": .string(status.rawValue), "effective": "2026-07-01", "reason": "test",
        ]
        if let mode { payload["failure_mode"] = .string(mode.rawValue) }
        try studio.append(.modelStatusChanged, "model/\(model)", .object(payload))
    }

    @Test("an active primary is chosen, and every candidate is recorded with its reason", arguments: TestStore.allCases)
    func primary(store: TestStore) throws {
        let studio = try Studio(store: store)
        let (decision, appended) = try studio.governed.route(Self.hero)
        #expect(
            decision.model == "veo-3.1" && decision.rule == "hero-cinematic" && decision.table == "video"
                && decision.tableVersion == 1)
        #expect(decision.tier == .cinematic && decision.fallbackFrom == nil)
        #expect(decision.candidates.map(\.model) == ["veo-3.1", "sora-2-pro"])
        #expect(
            decision.candidates[0].chosen && !decision.candidates[1].chosen
                && decision.candidates[1].reason == "eligible, not needed")
        let seq = try #require(appended).appended.seq
        let recorded = try #require(try studio.ledger.event(seq: seq))
        #expect(recorded.type == "routing.decided" && recorded.payload["rule"] == "hero-cinematic")
        #expect(recorded.payload["candidates"]?.arrayValue?.count == 2)
    }

    @Test("a degraded primary passes to the fallback for its failure mode", arguments: TestStore.allCases)
    func degraded(store: TestStore) throws {
        let studio = try Studio(store: store)
        try status(studio, "veo-3.1", .degraded, mode: .timeout)
        let decision = try studio.governed.route(Self.hero, dryRun: true).decision
        #expect(decision.model == "sora-2-pro")
        #expect(decision.fallbackFrom?.model == "veo-3.1" && decision.fallbackFrom?.failureMode == .timeout)
        #expect(decision.candidates[0].reason == "degraded (timeout)" && !decision.candidates[0].eligible)
        #expect(decision.candidates[1].role == "fallback:timeout" && decision.candidates[1].chosen)
        try status(studio, "veo-3.1", .active, mode: nil)
        #expect(try studio.governed.route(Self.hero, dryRun: true).decision.model == "veo-3.1")
    }

    @Test("a retired primary passes to the default fallbacks; with every candidate out, there is no route", arguments: TestStore.allCases)
    func retired(store: TestStore) throws {
        let studio = try Studio(store: store)
        try status(studio, "kling-2.5-turbo", .retired, mode: .retired)
        let decision = try studio.governed.route(Self.social, dryRun: true).decision
        #expect(decision.model == "seedance-1-pro" && decision.candidates[0].reason == "retired")
        #expect(decision.candidates[1].role == "fallback:default")
        try status(studio, "seedance-1-pro", .degraded, mode: .rateLimited)
        #expect {
            try studio.governed.route(Self.social, dryRun: true)
        } throws: { error in
            let error = error as? GovernanceError
            return error?.code == .noRoute && error?.description.contains("no eligible model") == true
        }
    }

    @Test("after a failure the engine skips the failed model and names the failure as the fallback origin", arguments: TestStore.allCases)
    func afterFailure(store: TestStore) throws {
        let studio = try Studio(store: store)
        var request = Self.hero
        request.afterFailure = (model: "veo-3.1", failureMode: .contentFilter)
        let decision = try studio.governed.route(request, dryRun: true).decision
        #expect(decision.model == "sora-2-pro" && decision.candidates[0].reason.contains("failed with content-filter"))
        #expect(decision.fallbackFrom?.failureMode == .contentFilter)
    }

    @Test("same table, same state, same request: the same decision; dry runs append nothing", arguments: TestStore.allCases)
    func deterministic(store: TestStore) throws {
        let studio = try Studio(store: store)
        let size = try studio.ledger.size()
        let first = try studio.governed.route(Self.social, dryRun: true).decision
        let second = try studio.governed.route(Self.social, dryRun: true).decision
        #expect(CanonicalJSON.bytes(of: first.payload) == CanonicalJSON.bytes(of: second.payload))
        #expect(try studio.ledger.size() == size)
    }

    @Test("a request nothing matches is refused with the reasons", arguments: TestStore.allCases)
    func noRule(store: TestStore) throws {
        let studio = try Studio(store: store)
        #expect {
            try studio.governed.route(RouteRequest(category: "x", stage: .delivery, modality: .upscale), dryRun: true)
        } throws: { error in
            (error as? GovernanceError)?.code == .noRoute
        }
        let long = RouteRequest(category: "social-short", stage: .delivery, modality: .textToVideo, durationSeconds: 90)
        let decision = try studio.governed.route(long, dryRun: true).decision
        #expect(decision.rule == "delivery-default", "90 s social cut falls past the 20 s social-short rule")
    }
}
