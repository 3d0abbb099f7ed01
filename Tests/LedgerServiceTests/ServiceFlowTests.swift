import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

/// Authorization, subscriptions, retries, races and shutdown: what many clients at once do.
@Suite struct ServiceFlowTests {
    /// Every endpoint × every role (and no token): allowed answers anything but 401/403;
    /// refused answers exactly 403 (401 without a token).
    @Test func authorizationMatrix() async throws {
        let server = try LiveServer()
        let roles = ["writer", "approver", "auditor", "admin"]
        let reads = Set(roles)
        let writes: Set<String> = ["writer", "admin"]
        let operate: Set<String> = ["auditor", "admin"]
        let endpoints: [(method: String, path: String, body: String?, allowed: Set<String>)] = [
            ("GET", "/v1/events", nil, reads),
            ("GET", "/v1/checkpoint", nil, reads),
            ("GET", "/v1/proofs/inclusion/1", nil, reads),
            ("GET", "/v1/proofs/consistency?from=1", nil, reads),
            ("GET", "/v1/routing/current", nil, reads),
            ("GET", "/v1/routing/history", nil, reads),
            ("GET", "/v1/reports/quarterly?quarter=2026-Q3", nil, reads),
            ("GET", "/v1/reports/costs?month=2026-09", nil, reads),
            ("GET", "/v1/reports/compliance?from=2026-07-01&to=2026-09-30", nil, reads),
            ("GET", "/v1/assets/A-1/explain", nil, reads),
            ("GET", "/pages", nil, reads),
            ("GET", "/pages/routing/current", nil, reads),
            ("GET", "/pages/routing/history", nil, reads),
            ("GET", "/pages/reports/quarterly?quarter=2026-Q3", nil, reads),
            ("GET", "/pages/reports/costs?month=2026-09", nil, reads),
            ("GET", "/pages/reports/compliance?from=2026-07-01&to=2026-09-30", nil, reads),
            ("GET", "/pages/assets/A-1/explain", nil, reads),
            ("GET", "/pages/explain?asset=A-1", nil, reads),
            ("GET", "/pages/approvals", nil, reads),
            ("GET", "/pages/events?type=policy.denied", nil, reads),
            ("GET", "/pages/search?q=D-1", nil, reads),
            ("GET", "/pages/costs", nil, reads),
            ("GET", "/pages/compliance", nil, reads),
            ("GET", "/pages/deliverables/D-1", nil, reads),
            ("POST", "/v1/costs/estimate", #"{"deliverable":"D-none","model":"veo-3.1"}"#, reads),
            ("POST", "/pages/approvals/decide", "deliverable=D-none", ["approver"]),
            (
                "POST", "/v1/route?dry_run=true", #"{"category":"hero-video","stage":"delivery","modality":"text-to-video"}"#,
                reads
            ),
            ("POST", "/v1/replay", #"{"compare_published":"video@1"}"#, reads),
            ("POST", "/v1/events", "[\(EventLines.openCampaign("C-M"))]", writes),
            ("POST", "/v1/route", #"{"category":"hero-video","stage":"delivery","modality":"text-to-video"}"#, writes),
            ("POST", "/v1/regenerations", #"{"deliverable":"D-none","prior_asset":"A","reason":"r"}"#, writes),
            ("POST", "/v1/replay", #"{"compare_published":"video@1","record":true}"#, writes),
            (
                "POST", "/v1/overrides", #"{"deliverable":"D-none","rule":"regeneration-cap","reason":"r","extra_attempts":1}"#,
                ["approver"]
            ),
            ("GET", "/metrics", nil, operate),
        ]
        var failures: [String] = []
        for endpoint in endpoints {
            let anonymous = try await server.request(endpoint.method, endpoint.path, role: nil, body: endpoint.body)
            if endpoint.method == "GET" && endpoint.path.hasPrefix("/pages") {
                // A browser without a session is sent to log in (the redirect followed here).
                if anonymous.status != 200 || !anonymous.text.contains("Log in with the token") {
                    failures.append("\(endpoint.method) \(endpoint.path) without a session: \(anonymous.status), not the login page")
                }
            } else if anonymous.status != 401 {
                failures.append("\(endpoint.method) \(endpoint.path) without a token: \(anonymous.status)")
            }
            for role in roles {
                let reply = try await server.request(endpoint.method, endpoint.path, role: role, body: endpoint.body)
                let expectAllowed = endpoint.allowed.contains(role)
                if expectAllowed && (reply.status == 401 || reply.status == 403 && reply.error("code") as? String == "forbidden")
                {
                    failures.append("\(endpoint.method) \(endpoint.path) as \(role): refused (\(reply.status))")
                }
                if !expectAllowed && (reply.status != 403 || reply.error("code") as? String != "forbidden") {
                    failures.append("\(endpoint.method) \(endpoint.path) as \(role): \(reply.status), expected 403")
                }
                if reply.status >= 500 {
                    failures.append("\(endpoint.method) \(endpoint.path) as \(role): \(reply.status) \(reply.text)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(try await server.get("/healthz", role: nil).status == 200, "health needs no token")
    }

    /// Server-sent events: catch-up from a seq, then live; no gap even though appends land
    /// while the catch-up is still paging.
    @Test func subscriptionCatchesUpThenFollowsWithoutGaps() async throws {
        let server = try LiveServer()
        let lines = (0..<3000).map { EventLines.openCampaign("C-\($0)") }
        for chunk in stride(from: 0, to: lines.count, by: 500) {
            let reply = try await server.post("/v1/events", "[" + lines[chunk..<chunk + 500].joined(separator: ",") + "]")
            #expect(reply.status == 201)
        }
        let before = try #require(try await server.get("/healthz", role: nil).object["tree_size"] as? Int)
        let live = 30
        let size = before + live
        let start = 5
        let connection = try RawConnection(port: server.port)
        connection.send(RawConnection.request("GET", "/v1/events/stream?after=\(start)", token: server.tokens["auditor"]!))
        // The stream is read on a thread of its own while appends race the catch-up.
        let reading = Task.detached { () -> String in
            var received: [UInt8] = []
            // It stops at the last id; the deadline only bounds a failure. Under a loaded CI run
            // (every suite in parallel, Chromium included) 60 s was once not enough for 3 000
            // events of catch-up and 30 live appends, and the stream was cut three ids short.
            let deadline = Date().addingTimeInterval(240)
            while Date() < deadline {
                let chunk = connection.receive()
                if chunk.isEmpty { break }
                received += chunk
                if String(decoding: received.suffix(4096), as: UTF8.self).contains("id: \(size)\n") { break }
            }
            return String(decoding: received, as: UTF8.self)
        }
        for i in 0..<live {
            #expect(try await server.post("/v1/events", "[\(EventLines.openCampaign("L-\(i)"))]").status == 201)
        }
        let text = await reading.value
        let ids = Self.eventIDs(text)
        let gaps = zip(ids, ids.dropFirst()).filter { $1 != $0 + 1 }.prefix(5).map { "\($0)→\($1)" }
        #expect(ids.first == start + 1 && ids.last == size && ids.count == size - start, "\(ids.count) ids")
        #expect(gaps.isEmpty, "every seq once, in order, through the live appends; jumps: \(gaps)")
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(text.lowercased().contains("content-type: text/event-stream"))
        #expect(text.contains("event: campaign.opened\ndata: {"))

        // A reconnect with Last-Event-ID resumes after it.
        let again = try RawConnection(port: server.port)
        again.send(
            RawConnection.request(
                "GET", "/v1/events/stream", token: server.tokens["auditor"]!, headers: ["Last-Event-ID": String(size - 2)]))
        var resumed = ""
        while !resumed.contains("id: \(size)\n") {
            let chunk = again.receive()
            if chunk.isEmpty { break }
            resumed += String(decoding: chunk, as: UTF8.self)
        }
        let resumedIDs = Self.eventIDs(resumed)
        #expect(resumedIDs == [size - 1, size])

        // Filtered: only that stream's events, and the stream still follows live appends.
        let filtered = try RawConnection(port: server.port)
        filtered.send(
            RawConnection.request("GET", "/v1/events/stream?stream=campaign/L-3&after=0", token: server.tokens["auditor"]!))
        var only = ""
        while Self.eventIDs(only).isEmpty {
            let chunk = filtered.receive()
            if chunk.isEmpty { break }
            only += String(decoding: chunk, as: UTF8.self)
        }
        #expect(Self.eventIDs(only).count == 1 && only.contains("\"campaign/L-3\""))
        #expect(try await server.post("/v1/events", "[\(EventLines.cost("nothing", amount: 1))]").status == 422)
        #expect(try await server.post("/v1/events", "[\(EventLines.openCampaign("L-x"))]").status == 201)
        #expect(
            try await server.post(
                "/v1/events",
                #"[{"type":"seed.locked","stream":"campaign/L-3","payload":{"scope":"campaign","campaign":"L-3","seed":7}}]"#
            ).status == 201)
        while Self.eventIDs(only).count < 2 {
            let chunk = filtered.receive()
            if chunk.isEmpty { break }
            only += String(decoding: chunk, as: UTF8.self)
        }
        #expect(Self.eventIDs(only) == [Self.eventIDs(only)[0], size + 2], "the next event of that stream, not the one between")
    }

    /// The `id:` lines of a raw HTTP response (chunk framing included: lines are split on bytes,
    /// since Swift keeps "\r\n" as one Character).
    static func eventIDs(_ text: String) -> [Int] {
        text.utf8.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let string = String(decoding: line, as: UTF8.self)
            return string.hasPrefix("id: ") ? Int(string.dropFirst(4)) : nil
        }
    }

    /// A client that hangs up before its answer arrives retries with the same Idempotency-Key
    /// and gets the original seqs: nothing twice, nothing lost.
    @Test func retryAfterTheClientGaveUp() async throws {
        let server = try LiveServer()
        let batch = "[\(EventLines.openCampaign("C-1")),\(EventLines.openDeliverable("D-1"))]"
        let hangUp = try RawConnection(port: server.port)
        hangUp.send(
            RawConnection.request(
                "POST", "/v1/events", token: server.tokens["writer"]!, body: batch, headers: ["Idempotency-Key": "job-42"]))
        // The client gives up at once, before reading a byte of the answer.
        shutdown(hangUp.socket, Int32(SHUT_RDWR))
        var retry: LiveServer.Reply?
        for _ in 0..<50 {
            retry = try await server.post("/v1/events", batch, headers: ["Idempotency-Key": "job-42"])
            if retry?.status == 200 { break }  // the first request had committed: the retry is its echo
            try await Task.sleep(for: .milliseconds(20))
        }
        let answer = try #require(retry)
        #expect([200, 201].contains(answer.status))
        let events = try #require(answer.object["events"] as? [[String: Any]])
        #expect(events.count == 2)
        let recorded = try await server.get("/v1/events?stream=campaign/C-1")
        #expect((recorded.object["events"] as? [Any])?.count == 1, "recorded once, whoever committed it")
        let deliverables = try await server.get("/v1/events?stream=deliverable/D-1")
        #expect((deliverables.object["events"] as? [Any])?.count == 1)
        // And a later retry still answers the same seqs.
        let later = try await server.post("/v1/events", batch, headers: ["Idempotency-Key": "job-42"])
        #expect(later.status == 200)
        #expect((later.object["events"] as? [[String: Any]])?.map { $0["seq"] as? Int } == events.map { $0["seq"] as? Int })
    }

    /// Two pipelines ask for the last attempt under a cap at the same moment: one is allowed.
    @Test func twoClientsRacePastOneCap() async throws {
        let studio = try Studio()
        let priors = try studio.deliverablesOneShortOfTheCap(6)
        let server = try LiveServer(ledger: studio.ledger.path)
        for (deliverable, prior) in priors.sorted(by: { $0.key < $1.key }) {
            let body = #"{"deliverable":"\#(deliverable)","prior_asset":"\#(prior)","reason":"race"}"#
            async let a = server.post("/v1/regenerations", body)
            async let b = server.post("/v1/regenerations", body)
            let answers = try await [a, b]
            let allowed = answers.filter { $0.object["allowed"] as? Bool == true }
            let denied = answers.filter { $0.object["allowed"] as? Bool == false }
            #expect(allowed.count == 1 && denied.count == 1, "\(deliverable): \(answers.map(\.text))")
            #expect(allowed.first?.object["attempt"] as? Int == 4)
            #expect(denied.first?.object["rule"] as? String == "regeneration-cap")
        }
        let requests = try await server.get("/v1/events?type=regeneration.requested&limit=1000")
        let attempts = (requests.object["events"] as? [[String: Any]] ?? []).compactMap {
            ($0["payload"] as? [String: Any])?["attempt"] as? Int
        }
        #expect(attempts.filter { $0 == 4 }.count == priors.count && !attempts.contains(5), "no fifth attempt was granted")
    }

    /// SIGTERM while 16 clients append: the server finishes what it accepted and exits 0; every
    /// acknowledged event is in the ledger, which verifies.
    @Test func sigtermDrainsAndLosesNothingAcknowledged() async throws {
        let server = try LiveServer()
        // A live subscriber must not keep the server from exiting.
        let subscriber = try RawConnection(port: server.port)
        subscriber.send(RawConnection.request("GET", "/v1/events/stream", token: server.tokens["auditor"]!))
        #expect(String(decoding: subscriber.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        let progress = AcknowledgementCount()
        let acknowledged = await withTaskGroup(of: [String].self) { group in
            for client in 0..<16 {
                group.addTask {
                    var mine: [String] = []
                    for i in 0..<400 {
                        let id = UUID().uuidString.lowercased()
                        let event = EventLines.openCampaign("C-\(client)-\(i)", extra: #","id":"\#(id)""#)
                        guard let reply = try? await server.post("/v1/events", "[\(event)]"), reply.status == 201 else { break }
                        mine.append(id)
                        progress.increment()
                    }
                    return mine
                }
            }
            group.addTask {
                // Mid-load, however fast or slow the machine: after 200 acknowledgements.
                let deadline = ContinuousClock.now + .seconds(60)
                while progress.value < 200 && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
                kill(server.process.process.processIdentifier, SIGTERM)
                return []
            }
            var all: [String] = []
            for await ids in group { all += ids }
            return all
        }
        let exitDeadline = Date().addingTimeInterval(30)
        while server.process.process.isRunning && Date() < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.process.process.isRunning, "the server exits after SIGTERM, live stream and all")
        if server.process.process.isRunning { kill(server.process.process.processIdentifier, SIGKILL) }
        server.process.process.waitUntilExit()
        #expect(server.process.process.terminationStatus == 0)
        #expect(acknowledged.count > 0 && acknowledged.count < 16 * 400, "the shutdown came mid-load")
        let log = try server.setup.genledger(["log", "--type", "campaign.opened", "--json"])
        let recorded = Set(
            log.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
            })
        let lost = acknowledged.filter { !recorded.contains($0) }
        #expect(lost.isEmpty, "acknowledged but not recorded: \(lost.prefix(5))")
        try server.setup.genledger(["verify"])
    }
}

/// How many appends the clients have seen acknowledged so far.
final class AcknowledgementCount: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
