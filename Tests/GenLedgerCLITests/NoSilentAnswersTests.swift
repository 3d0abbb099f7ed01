import Foundation
import LedgerTestSupport
import Testing

/// A typo or an unknown name is an error that names it (with the closest known one); a filter
/// that matches nothing says so (issue 14's findings for `log`).
@Suite("log answers mistakes instead of printing nothing", .serialized)
struct NoSilentAnswersTests {
    @Test func typosUnknownStreamsAndEmptyAnswers() throws {
        let directory = TemporaryDirectory("genledger-no-silence")
        func run(_ arguments: [String]) throws -> GenLedgerProcess.Result { try GenLedgerProcess.run(arguments, in: directory) }
        #expect(try run(["init"]).status == 0)
        #expect(try run(["policy", "publish", RepositoryFiles.path("policies")]).status == 0)
        #expect(try run(["import", RepositoryFiles.path("Tests/Fixtures/campaign-history/history.jsonl")]).status == 0)

        let typo = try run(["log", "--type", "generation.requestd"])
        #expect(typo.status == 65 && typo.stderr.contains("did you mean 'generation.requested'"), "\(typo.stderr)")
        let bare = try run(["log", "--stream", "D-KV"])
        #expect(bare.status == 65 && bare.stderr.contains("did you mean 'deliverable/D-KV'"), "\(bare.stderr)")
        let unknown = try run(["log", "--stream", "deliverable/D-NONE"])
        #expect(unknown.status == 65 && unknown.stderr.contains("no event was ever recorded"), "\(unknown.stderr)")
        let empty = try run(["log", "--type", "policy.denied", "--stream", "deliverable/D-HERO"])
        #expect(empty.status == 0 && empty.stdout.isEmpty && empty.stderr.contains("no events match"), "\(empty.stderr)")

        // Reports of a period with no data say so, on the first screen and on stderr.
        let costs = try run(["report", "costs", "--month", "2027-01"])
        #expect(costs.status == 0 && costs.stderr.contains("No cost was recorded and no output accepted in 2027-01"), "\(costs.stderr)")
        #expect(costs.stdout.contains("its generations run from 2026-07-02 to 2026-07-21"))
        let quarter = try run(["report", "quarterly", "--quarter", "2025-Q1", "--format", "json"])
        #expect(quarter.stderr.contains("No generation was requested in 2025-Q1"), "\(quarter.stderr)")
        #expect(quarter.stdout.contains(#""empty_period":"No generation was requested in 2025-Q1"#))
        let full = try run(["report", "quarterly", "--quarter", "2026-Q3"])
        #expect(full.status == 0 && !full.stderr.contains("No generation"), "a quarter with data is not called empty")

        // One spelling for JSON: --json works on every report and on explain, as on log and route.
        let viaFlag = try run(["report", "campaign", "C-SPRING", "--json"])
        let viaFormat = try run(["report", "campaign", "C-SPRING", "--format", "json"])
        #expect(viaFlag.status == 0 && viaFlag.stdout == viaFormat.stdout)
        #expect(try run(["explain", "A-H2-UP", "--json"]).status == 0)
        #expect(try run(["report", "campaign", "C-SPRING", "--json", "--format", "csv"]).status == 64)

        // Newest first: the last events, most recent on top.
        let newest = try run(["log", "--newest", "--limit", "2", "--json"]).stdout.split(separator: "\n")
        let oldest = try run(["log", "--limit", "2", "--json"]).stdout.split(separator: "\n")
        #expect(newest.count == 2 && oldest.count == 2)
        #expect(newest[0].contains(#""seq":102"#) && newest[1].contains(#""seq":101"#), "\(newest)")
        #expect(oldest[0].contains(#""seq":1,"#))
    }
}
