import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// What happened when (occurred time) and what the ledger knew when (recorded time, seq), for
/// publications recorded long after they took effect.
@Suite("Two times: occurred and recorded", .serialized)
struct TwoTimesTests {
    static func versions(_ report: JSONValue) -> [String: Int64] {
        var versions: [String: Int64] = [:]
        for table in report["data"]?["tables"]?.arrayValue ?? [] {
            versions[table["table"]!.stringValue!] = table["version"]!.integerValue!
        }
        return versions
    }

    @Test("the table in force on a day is right for a publication backfilled later; history reads in date order")
    func backfilledPublication() throws {
        let directory = TemporaryDirectory("genledger-two-times")
        func run(_ arguments: [String]) throws -> GenLedgerProcess.Result { try GenLedgerProcess.run(arguments, in: directory) }
        #expect(try run(["init"]).status == 0)
        #expect(try run(["policy", "publish", RepositoryFiles.path("policies"), "--occurred-at", "2026-04-01"]).status == 0)
        // Recorded today, in force since July 15: video v2.
        let policies = try RepositoryFiles.copyOfPolicies(in: directory)
        let video = (policies as NSString).appendingPathComponent("routing/video.yaml")
        try String(contentsOfFile: video, encoding: .utf8).replacingOccurrences(of: "version: 1", with: "version: 2")
            .replacingOccurrences(of: "primary: kling-2.5-turbo", with: "primary: seedance-1-pro")
            .write(toFile: video, atomically: true, encoding: .utf8)
        let july = try run(["policy", "publish", policies, "--occurred-at", "2026-07-15"])
        #expect(july.status == 0, "\(july.stderr)")
        // Recorded after it, but in force since May 1: image v2.
        let image = (policies as NSString).appendingPathComponent("routing/image.yaml")
        try String(contentsOfFile: image, encoding: .utf8).replacingOccurrences(of: "version: 1", with: "version: 2")
            .replacingOccurrences(of: "primary: gpt-image-1", with: "primary: imagen-4-ultra")
            .replacingOccurrences(of: "tier: speed\n    primary: imagen-4-ultra", with: "tier: cinematic\n    primary: imagen-4-ultra")
            .write(toFile: image, atomically: true, encoding: .utf8)
        let may = try run(["policy", "publish", policies, "--occurred-at", "2026-05-01"])
        #expect(may.status == 0, "\(may.stderr)")

        func inForce(on day: String) throws -> [String: Int64] {
            let result = try run(["routing", "current", "--on", day, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            return Self.versions(try JSONParser.parse(result.stdout))
        }
        #expect(try inForce(on: "2026-04-15") == ["video": 1, "image": 1])
        #expect(try inForce(on: "2026-06-15") == ["video": 1, "image": 2])
        #expect(try inForce(on: "2026-08-01") == ["video": 2, "image": 2])
        let before = try run(["routing", "current", "--on", "2026-03-01"])
        #expect(before.status == 65 && before.stderr.contains("no routing table had been published by 2026-03-01"))
        // What the ledger knows now: the latest of each.
        let now = try run(["routing", "current", "--format", "json"])
        #expect(Self.versions(try JSONParser.parse(now.stdout)) == ["video": 2, "image": 2])

        // History: by date, although image v2 was recorded after video v2.
        let history = try JSONParser.parse(try run(["routing", "history", "--format", "json"]).stdout)
        let listed = (history["data"]?.arrayValue ?? []).map { "\($0["table"]!.stringValue!) v\($0["version"]!.integerValue!)" }
        #expect(listed == ["image v1", "video v1", "image v2", "video v2"], "\(listed)")

        // No generation yet: the quarterly review asks for a quarter instead of opening an empty one.
        let none = try run(["report", "quarterly"])
        #expect(none.status == 65 && none.stderr.contains("records no generation"), "\(none.stderr)")
        // History of July, recorded today: the default quarter is the history's, not today's.
        #expect(try run(["import", RepositoryFiles.path("Tests/Fixtures/campaign-history/history.jsonl")]).status == 0)
        let quarterly = try run(["report", "quarterly", "--format", "json"])
        #expect(quarterly.status == 0, "\(quarterly.stderr)")
        let title = try JSONParser.parse(quarterly.stdout)["title"]?.stringValue
        #expect(title?.contains("2026-Q3") == true, "\(title ?? "")")
        // Writers take the time a thing happened.
        let routed = try GenLedgerProcess.run(
            ["route", "--json", "--occurred-at", "2026-07-03T10:00:00Z"], stdin: #"{"deliverable":"D-OTH"}"#, in: directory)
        #expect(routed.status == 0, "\(routed.stderr)")
        let appended = try GenLedgerProcess.run(
            ["append", "--occurred-at", "2026-07-04"], stdin: EventLines.openCampaign("C-LATE"), in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        let decisions = try run(["log", "--type", "routing.decided", "--json"]).stdout.split(separator: "\n")
        #expect(try JSONParser.parse(String(decisions.last!))["occurred_at"]?.stringValue?.hasPrefix("2026-07-03T10:00:00") == true)
        let campaigns = try run(["log", "--stream", "campaign/C-LATE", "--json"]).stdout.split(separator: "\n")
        #expect(try JSONParser.parse(String(campaigns.last!))["occurred_at"]?.stringValue?.hasPrefix("2026-07-04T00:00:00") == true)
    }
}
