import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Reports
import Testing

@Suite("The projection engine: catch-up by seq, rebuild, check, as-of")
struct ProjectionEngineTests {
    @Test("incremental catch-up equals a rebuild, digest for digest; a tampered row is named")
    func checkAndRebuild() throws {
        let studio = try Studio()
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
        result = try projections.check()
        #expect(result.mismatched.isEmpty && result.incremental == before)
    }

    @Test("as of a seq or a date answers as the ledger stood then")
    func asOf() throws {
        let studio = try Studio()
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
