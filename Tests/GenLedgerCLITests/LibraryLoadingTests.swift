import Foundation
import LedgerTestSupport
import Testing

/// Which shared libraries a `genledger` process loads: libpq (and its 19 libraries) only once a
/// PostgreSQL ledger is opened, libcurl never (docs/BENCHMARKS.md: together 5 ms of every start).
@Suite("Library loading")
struct LibraryLoadingTests {
    /// The libraries the dynamic loader looked for while `arguments` ran (glibc's LD_DEBUG=libs).
    func librariesSought(_ arguments: [String], environment: [String: String] = [:], in directory: TemporaryDirectory) throws -> (
        GenLedgerProcess.Result, Set<String>
    ) {
        let result = try GenLedgerProcess.run(arguments, environment: environment.merging(["LD_DEBUG": "libs"]) { $1 }, in: directory)
        let sought = result.stderr.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "find library=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != ";" && $0 != " " })
        }
        return (result, Set(sought))
    }

    @Test("a SQLite ledger's one-shot calls load neither libpq nor libcurl; a PostgreSQL URL loads libpq then")
    func sqliteCallsLoadNoPostgreSQL() throws {
        let directory = TemporaryDirectory("genledger-libraries")
        let ledger = directory.path("ledger.db")
        let (created, _) = try librariesSought(["init", "--ledger", ledger], in: directory)
        #expect(created.status == 0, "\(created.stderr.suffix(2000))")
        let (verified, sought) = try librariesSought(["verify", "--ledger", ledger], in: directory)
        #expect(verified.status == 0, "\(verified.stderr.suffix(2000))")
        #expect(sought.contains("libsqlite3.so.0"), "LD_DEBUG=libs names what is loaded: \(sought.sorted())")
        #expect(!sought.contains { $0.hasPrefix("libpq") || $0.hasPrefix("libcurl") || $0.hasPrefix("libgssapi") }, "\(sought.sorted())")

        // Nothing listens on port 1: libpq is loaded, then the connection is refused.
        let (postgres, soughtThen) = try librariesSought(["verify", "--ledger", "postgresql://127.0.0.1:1/ledger"], in: directory)
        #expect(postgres.status != 0)
        #expect(soughtThen.contains("libpq.so.5"), "\(soughtThen.sorted())")
    }

    @Test("a libpq that cannot be loaded is named in the error, and nothing else breaks")
    func missingLibPQIsNamed() throws {
        let directory = TemporaryDirectory("genledger-libraries")
        let environment = ["GENLEDGER_LIBPQ": directory.path("no-such/libpq.so.5")]
        let failed = try GenLedgerProcess.run(["verify", "--ledger", "postgresql://127.0.0.1:1/ledger"], environment: environment, in: directory)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("cannot load libpq (\(directory.path("no-such/libpq.so.5")))"), "\(failed.stderr)")
        #expect(failed.stderr.contains("postgresql://127.0.0.1:1/ledger"), "the ledger is named: \(failed.stderr)")

        let ledger = directory.path("ledger.db")
        #expect(try GenLedgerProcess.run(["init", "--ledger", ledger], environment: environment, in: directory).status == 0)
        #expect(try GenLedgerProcess.run(["verify", "--ledger", ledger], environment: environment, in: directory).status == 0)
    }
}
