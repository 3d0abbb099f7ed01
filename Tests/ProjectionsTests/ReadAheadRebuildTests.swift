import Foundation
@testable import LedgerLog
import LedgerTestSupport
import Projections
import Testing

/// A rebuild long enough to read the log on another thread builds the projections an in-line
/// replay builds, digest for digest.
@Suite("Rebuild with the log read ahead")
struct ReadAheadRebuildTests {
    @Test("every projection of a simulated quarter equals an in-line replay's")
    func sameDigests() throws {
        let directory = TemporaryDirectory()
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let simulate = try GenLedgerProcess.run(
            ["simulate", "--seed", "7", "--deliverables", "60", "--months", "3", "--policies", RepositoryFiles.path("policies")],
            in: directory)
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let ledger = try Ledger(opening: directory.path("genledger.db"))
        let projections = Projections(ledger)
        ledger.readAheadMinimum = .max
        #expect(try projections.rebuild() == (try ledger.size()))
        let inLine = try projections.check().incremental
        ledger.readAheadMinimum = 0
        ledger.readAheadBatch = 37
        #expect(try projections.rebuild() == (try ledger.size()))
        ledger.readAheadMinimum = .max
        let result = try projections.check()
        #expect(result.mismatched.isEmpty && result.incremental == inLine)
        #expect(inLine.contains { $0.projection == "governance" && $0.rows > 100 })
    }
}
