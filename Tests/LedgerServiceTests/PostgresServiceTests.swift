import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Several `genledger serve` processes on one PostgreSQL ledger: one order, no cap passed twice,
/// nothing acknowledged lost when an instance dies, and a clear answer while the database is away.
@Suite("Service instances on one PostgreSQL ledger")
struct PostgresServiceTests {
    /// Counts acknowledgements across tasks.
    final class Count: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    @Test("three instances, 8 clients racing for the last regeneration under a cap: exactly one lands, the rest are denied and recorded")
    func threeInstancesRaceForTheLastAttempt() async throws {
        let studio = try Studio(store: .postgres)
        let priors = try studio.deliverablesOneShortOfTheCap(4)
        let first = try LiveServer(ledger: studio.ledger.path)
        let servers = [first, try LiveServer(ledger: studio.ledger.path, tokens: first.tokens),
                       try LiveServer(ledger: studio.ledger.path, tokens: first.tokens)]
        for (deliverable, prior) in priors.sorted(by: { $0.key < $1.key }) {
            let body = #"{"deliverable":"\#(deliverable)","prior_asset":"\#(prior)","reason":"race"}"#
            let answers = try await withThrowingTaskGroup(of: LiveServer.Reply.self) { group in
                for client in 0..<8 { group.addTask { try await servers[client % 3].post("/v1/regenerations", body) } }
                var all: [LiveServer.Reply] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            let allowed = answers.filter { $0.object["allowed"] as? Bool == true }
            let denied = answers.filter { $0.object["allowed"] as? Bool == false }
            #expect(allowed.count == 1 && denied.count == 7, "\(deliverable): \(answers.map(\.text))")
            #expect(allowed.first?.object["attempt"] as? Int == 4)
            #expect(denied.allSatisfy { $0.object["rule"] as? String == "regeneration-cap" }, "\(denied.map(\.text))")
        }
        let ledger = try Ledger(opening: studio.ledger.path)
        let attempts = try ledger.events(type: "regeneration.requested").compactMap { $0.payload["attempt"]?.integerValue }
        #expect(attempts.filter { $0 == 4 }.count == priors.count && !attempts.contains(5), "no fifth attempt was granted")
        let denials = try ledger.events(type: "policy.denied").filter { $0.payload["rule"]?.stringValue == "regeneration-cap" }
        #expect(denials.count == 7 * priors.count, "every denied request is on the record")
        #expect(try ledger.verify().isValid)
        // Each instance learns of the others' appends (its live stream and /healthz follow the log).
        let size = try ledger.size()
        for server in servers {
            var seen = 0
            for _ in 0..<100 {
                seen = try await server.get("/healthz").object["tree_size"] as? Int ?? 0
                if seen == Int(size) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(seen == Int(size), "an instance still reports \(seen) of \(size) events")
        }
    }

    @Test("one of three instances killed with SIGKILL while 16 clients append: every acknowledged event is there, seqs gapless, verify passes")
    func sigkillOneInstance() async throws {
        let url = try SharedPostgres.newDatabase()
        let first = try LiveServer(ledger: url) { setup in
            try setup.genledger(["init", "--origin", "instances.example/log"])
            try setup.genledger(["policy", "publish", RepositoryFiles.path("policies")])
        }
        let servers = [first, try LiveServer(ledger: url, tokens: first.tokens), try LiveServer(ledger: url, tokens: first.tokens)]
        let progress = Count()
        let acknowledged = await withTaskGroup(of: [String].self) { group in
            for client in 0..<16 {
                group.addTask {
                    var mine: [String] = []
                    var instance = client % 3
                    for i in 0..<60 {
                        let id = UUID().uuidString.lowercased()
                        let event = EventLines.openCampaign("C-\(client)-\(i)", extra: #","id":"\#(id)""#)
                        // A client whose instance died moves to the next one (as a load balancer would).
                        guard let reply = try? await servers[instance].post("/v1/events", "[\(event)]"), reply.status == 201 else {
                            instance = (instance + 1) % 3
                            continue
                        }
                        mine.append(id)
                        progress.increment()
                    }
                    return mine
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(60)
                while progress.value < 200 && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
                kill(servers[0].process.process.processIdentifier, SIGKILL)
                return []
            }
            var all: [String] = []
            for await ids in group { all += ids }
            return all
        }
        #expect(acknowledged.count > 200)
        let ledger = try Ledger(opening: url)
        for id in acknowledged { #expect(try ledger.event(id: id) != nil, "acknowledged \(id) is missing") }
        let seqs = try ledger.events().map(\.seq)
        #expect(seqs == Array(1...UInt64(seqs.count)), "seqs are gapless")
        let report = try ledger.verify()
        #expect(report.isValid, "\(report.problems)")
    }

    @Test("the database goes away: 503 over HTTP and exit 69 on the command line, nothing half-written; the instance recovers when it returns")
    func databaseGoesAway() async throws {
        let cluster = try PostgresCluster()  // its own: this test stops the server
        defer { cluster.stop() }
        let server = try LiveServer(ledger: cluster.url) { setup in
            try setup.genledger(["init", "--origin", "away.example/log"])
            try setup.genledger(["policy", "publish", RepositoryFiles.path("policies")])
        }
        let before = try await server.post("/v1/events", "[\(EventLines.openCampaign("C-before"))]")
        #expect(before.status == 201, "\(before.text)")
        let size = try Ledger(opening: cluster.url).size()

        try cluster.control("stop")
        let during = try await server.post("/v1/events", "[\(EventLines.openCampaign("C-during"))]")
        #expect(during.status == 503, "\(during.text)")
        #expect(during.error("code") as? String == "unavailable", "\(during.text)")
        #expect(during.headers["retry-after"] != nil)
        let cli = try GenLedgerProcess.run(
            ["append"], stdin: EventLines.openCampaign("C-cli") + "\n", environment: ["GENLEDGER_LEDGER": cluster.url],
            in: server.directory)
        #expect(cli.status == 69, "\(cli.stderr)")
        #expect(cli.stderr.contains("PostgreSQL"), "\(cli.stderr)")

        try cluster.control("start")
        let after = try await server.post("/v1/events", "[\(EventLines.openCampaign("C-after"))]")
        #expect(after.status == 201, "the instance recovers: \(after.text)")
        let ledger = try Ledger(opening: cluster.url)
        #expect(try ledger.size() == size + 1, "nothing of the failed requests was written")
        #expect(try ledger.events(stream: "campaign/C-during").isEmpty && (try ledger.events(stream: "campaign/C-cli")).isEmpty)
        #expect(try ledger.verify().isValid)
    }
}
