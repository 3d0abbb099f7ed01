import Foundation
import LedgerTestSupport
import Testing

/// History imported over HTTP (admin only), and the per-deliverable and campaign reports.
@Suite("Service: import and per-deliverable truth")
struct ImportAndStoryTests {
    @Test func importsHistoryAndAnswersPerDeliverable() async throws {
        let server = try LiveServer(arguments: ["--max-body", "4194304"])
        let history = try String(
            contentsOfFile: RepositoryFiles.path("Tests/Fixtures/campaign-history/history.jsonl"), encoding: .utf8)

        #expect(try await server.post("/v1/import", history, role: "writer").status == 403, "a writer cannot import")
        let imported = try await server.post("/v1/import", history, role: "admin")
        #expect(imported.status == 201, "\(imported.text)")
        #expect(imported.object["appended"] as? Int == 82 && imported.object["read"] as? Int == 82)
        #expect((imported.object["outcomes"] as? [String: Any])?["violated"] as? Int == 3)
        let again = try await server.post("/v1/import", history, role: "admin")
        #expect(again.status == 200 && again.object["appended"] as? Int == 0 && again.object["duplicates"] as? Int == 82)

        // A bad line: 422 naming it, nothing written.
        let before = try await server.get("/healthz").object["tree_size"] as? Int
        let bad = try await server.post(
            "/v1/import", EventLines.openCampaign("C-NEW", extra: #","occurred_at":"2026-08-01T00:00:00Z""#) + "\n{\"type\":", role: "admin")
        #expect(bad.status == 422 && bad.error("line") as? Int == 2, "\(bad.text)")
        #expect(try await server.get("/healthz").object["tree_size"] as? Int == before)

        let story = try await server.get("/v1/reports/deliverables/D-KV", role: "auditor")
        #expect(story.status == 200, "\(story.text)")
        let data = try #require(story.object["data"] as? [String: Any])
        #expect(data["attempts"] as? Int == 3)
        #expect((data["spend"] as? [String: Any])?["total_micros"] as? Int == 3_380_000)
        let findings = try #require(data["findings"] as? [[String: Any]])
        #expect(findings.map { $0["result"] as? String } == ["denied", "approved"])
        let campaign = try await server.get("/v1/reports/campaigns/C-SPRING")
        #expect(((campaign.object["data"] as? [String: Any])?["spend"] as? [String: Any])?["total_micros"] as? Int == 53_980_000)
        #expect(try await server.get("/v1/reports/deliverables/D-NOPE").status == 404)
        #expect(try await server.get("/v1/reports/campaigns/C-NOPE").status == 404)
        let unknownCampaign = try await server.get("/v1/reports/compliance?from=2026-07-01&to=2026-07-31&campaign=C-NOPE")
        #expect(unknownCampaign.status == 422 && unknownCampaign.error("field") as? String == "campaign")
        let page = try await server.get("/pages/reports/deliverables/D-HERO")
        #expect(page.status == 200 && page.text.contains("45.60 USD"))
    }
}
