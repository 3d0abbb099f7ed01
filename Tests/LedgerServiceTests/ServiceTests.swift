import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

/// Every endpoint and every error code, against a live server on a loopback port.
@Suite struct ServiceTests {
    @Test func appendsAreAtomicIdempotentAndNameWhatIsWrong() async throws {
        let server = try LiveServer()

        let first = try await server.post("/v1/events", "[\(EventLines.openCampaign("C-1"))]")
        #expect(first.status == 201)
        let appended = try #require(first.object["events"] as? [[String: Any]])
        #expect(appended.count == 1 && appended[0]["duplicate"] as? Bool == false)
        let recorded = try await server.get("/v1/events?stream=campaign/C-1")
        let events = try #require(recorded.object["events"] as? [[String: Any]])
        #expect(events.count == 1 && events[0]["actor"] as? String == "writer:test", "the token's name is the actor")

        // Idempotency-Key: the retry answers the original seqs, appending nothing.
        let batch = "{\"events\":[\(EventLines.openCampaign("C-2")),\(EventLines.openDeliverable("D-1"))]}"
        let once = try await server.post("/v1/events", batch, headers: ["Idempotency-Key": "k-1"])
        let again = try await server.post("/v1/events", batch, headers: ["Idempotency-Key": "k-1"])
        #expect(once.status == 201 && again.status == 200)
        let seqs = { (reply: LiveServer.Reply) in (reply.object["events"] as? [[String: Any]] ?? []).map { $0["seq"] as? Int } }
        #expect(seqs(once) == seqs(again) && seqs(once).count == 2)
        #expect((again.object["events"] as? [[String: Any]])?.allSatisfy { $0["duplicate"] as? Bool == true } == true)
        let other = try await server.post(
            "/v1/events", "[\(EventLines.openCampaign("C-3"))]", headers: ["Idempotency-Key": "k-1"])
        #expect(other.status == 409, "the same key for other content is a conflict")

        // Expected version: 409 naming the field; nothing of the batch is written.
        let stale = try await server.post(
            "/v1/events",
            "[\(EventLines.openCampaign("C-4")), \(#"{"type":"cost.recorded","stream":"deliverable/D-1","payload":{"deliverable":"D-1","kind":"review-time","amount":1,"currency":"USD"},"expected_version":7}"#)]"
        )
        #expect(stale.status == 409, "\(stale.text)")
        #expect(stale.error("field") as? String == "expected_version" && stale.error("index") as? Int == 1)
        let c4 = try await server.get("/v1/events?stream=campaign/C-4")
        #expect((c4.object["events"] as? [Any])?.isEmpty == true, "a batch appends whole or not at all")

        // 422: every bad event of the batch, each with its index and field.
        let bad = try await server.post(
            "/v1/events",
            #"[{"type":"campaign.opened","stream":"campaign/C-5","payload":{"campaign":"C-5"}},{"type":"no.such","stream":"x","payload":{}},\#(EventLines.openCampaign("C-6"))]"#
        )
        #expect(bad.status == 422)
        let problems = try #require(bad.error("errors") as? [[String: Any]])
        #expect(problems.count == 2)
        #expect(problems[0]["index"] as? Int == 0 && problems[0]["field"] as? String == "payload.name")
        #expect(problems[1]["index"] as? Int == 1 && problems[1]["field"] as? String == "type")
        let c6 = try await server.get("/v1/events?stream=campaign/C-6")
        #expect((c6.object["events"] as? [Any])?.isEmpty == true)

        #expect(try await server.post("/v1/events", "[{").status == 400)
        #expect(try await server.post("/v1/events", "[]").status == 422)
        #expect(try await server.post("/v1/events", "{\"nope\":1}").status == 422)
        let impersonating = try await server.post(
            "/v1/events",
            #"[{"type":"campaign.opened","stream":"campaign/C-7","actor":"someone-else","payload":{"campaign":"C-7","name":"x"}}]"#
        )
        #expect(impersonating.status == 422)
        #expect((impersonating.error("errors") as? [[String: Any]])?.first?["field"] as? String == "actor")

        // A gate denial: 403 naming the policy, version and rule; the refusal itself is recorded.
        let override =
            #"[{"type":"policy.override_granted","stream":"deliverable/D-1","payload":{"deliverable":"D-1","policy":"governance","rule":"regeneration-cap","approver":"writer:test","reason":"please","extra_attempts":1}}]"#
        let denied = try await server.post("/v1/events", override)
        #expect(denied.status == 403)
        #expect(denied.error("code") as? String == "policy-denied")
        #expect(denied.error("policy") as? String == "governance" && denied.error("version") as? Int == 1)
        #expect(denied.error("rule") as? String == "approvers")
        let deniedSeq = try #require(denied.error("denied_seq") as? Int)
        let record = try await server.get("/v1/events?after=\(deniedSeq - 1)&limit=1")
        #expect((record.object["events"] as? [[String: Any]])?.first?["type"] as? String == "policy.denied")

        // The writes above went through the one writer: /metrics counts its commits, the
        // requests they answered and the time it spent in them.
        let metrics = try await server.get("/metrics", role: "admin").text
        func value(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        let commits = try #require(value("genledger_commits_total"))
        #expect(commits >= 1)
        #expect(try #require(value("genledger_committed_requests_total")) >= commits)
        #expect(try #require(value("genledger_commit_seconds_total")) > 0)
    }

    @Test func tokensAreShownOnceListedAndRevoked() async throws {
        let server = try LiveServer()
        let list = try server.setup.genledger(["token", "list"])
        #expect(list.contains("writer:test\twriter") && list.contains("auditor:test\tauditor"))
        for secret in server.tokens.values {
            #expect(secret.hasPrefix("glt_") && secret.count == 68)
            #expect(!list.contains(secret), "a secret is never shown again")
        }
        let again = try GenLedgerProcess.run(
            ["token", "create", "--role", "admin", "--name", "writer:test"], environment: ["GENLEDGER_LEDGER": server.ledgerPath],
            in: server.directory)
        #expect(again.status == 73 && again.stderr.contains("exists"))
        let badRole = try GenLedgerProcess.run(
            ["token", "create", "--role", "root", "--name", "x"], environment: ["GENLEDGER_LEDGER": server.ledgerPath],
            in: server.directory)
        #expect(badRole.status == 64)
        // A token made while the server runs works at once; a revoked one stops within seconds.
        let late = try server.setup.genledger(["token", "create", "--role", "auditor", "--name", "late"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            try await server.request("GET", "/v1/events?limit=1", role: nil, headers: ["Authorization": "Bearer \(late)"]).status
                == 200)
        try server.setup.genledger(["token", "revoke", "late"])
        var status = 200
        for _ in 0..<40 where status == 200 {
            try await Task.sleep(for: .milliseconds(250))
            status = try await server.request(
                "GET", "/v1/events?limit=1", role: nil, headers: ["Authorization": "Bearer \(late)"]
            ).status
        }
        #expect(status == 401)
        #expect(try await server.get("/v1/events?limit=1").status == 200, "the others still work")
    }

    @Test func limitsAnswer413And429() async throws {
        // One request a second per token: each check below uses its own token's bucket.
        let server = try LiveServer(arguments: ["--max-body", "2048", "--max-batch", "3", "--rate-limit", "1"])
        let big = "[" + Array(repeating: EventLines.openCampaign("C-1"), count: 30).joined(separator: ",") + "]"
        let tooBig = try await server.post("/v1/events", big, role: "writer")
        #expect(tooBig.status == 413 && tooBig.error("limit") as? Int == 2048)
        let four = "[" + (1...4).map { EventLines.openCampaign("C-\($0)") }.joined(separator: ",") + "]"
        let tooMany = try await server.post("/v1/events", four, role: "admin")
        #expect(tooMany.status == 413 && tooMany.error("limit") as? Int == 3)
        // Ten at once against a limit of one a second: however slow the machine, most are refused.
        let replies = try await withThrowingTaskGroup(of: LiveServer.Reply.self) { group in
            for _ in 0..<10 { group.addTask { try await server.get("/v1/checkpoint", role: "auditor") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let refusal = try #require(replies.first { $0.status == 429 }, "\(replies.map(\.status))")
        #expect(refusal.headers["retry-after"].flatMap(Int.init) ?? 0 >= 1)
        #expect(refusal.error("code") as? String == "rate-limited")
        // Per token: another token is not held back by the first; health needs none.
        #expect(try await server.get("/healthz", role: nil).status == 200)
        #expect(try await server.get("/v1/events?limit=1", role: "approver").status == 200)
    }

    @Test func unauthenticatedAndUnknown() async throws {
        let server = try LiveServer()
        let none = try await server.get("/v1/events", role: nil)
        #expect(none.status == 401 && none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(none.error("message") as? String == "a valid bearer token is required")
        let wrong = try await server.request(
            "GET", "/v1/events", role: nil, headers: ["Authorization": "Bearer glt_" + String(repeating: "0", count: 64)])
        #expect(wrong.status == 401 && wrong.text == none.text, "a wrong token learns nothing more than no token")
        #expect(try await server.request("GET", "/v1/events", role: nil, headers: ["Authorization": "Basic eDp5"]).status == 401)
        #expect(try await server.request("GET", "/v1/events", role: nil, headers: ["Authorization": "Bearer"]).status == 401)
        let anyCase = try await server.request(
            "GET", "/v1/events?limit=1", role: nil, headers: ["Authorization": "bEaReR  \(server.tokens["auditor"]!) "])
        #expect(anyCase.status == 200, "the scheme is case-insensitive (RFC 9110); spaces around the token do not matter")
        #expect(try await server.get("/v1/nothing-here").status == 404)
        #expect(try await server.get("/v1/events?limit=0").status == 422)
        #expect(try await server.get("/v1/events?after=x").error("field") as? String == "after")
        let health = try await server.get("/healthz", role: nil)
        #expect(health.status == 200 && health.object["status"] as? String == "ok")
    }

    @Test func proofsCheckpointsAndAnswers() async throws {
        let server = try LiveServer { setup in
            try setup.genledger([
                "simulate", "--seed", "3", "--deliverables", "40", "--months", "1", "--policies",
                RepositoryFiles.path("policies"),
            ])
        }
        #expect(try await server.get("/v1/checkpoint").status == 404, "no checkpoint issued yet")
        try server.setup.genledger(["checkpoint"])
        let checkpoint = try await server.get("/v1/checkpoint")
        #expect(checkpoint.status == 200)
        let size = try #require(checkpoint.object["tree_size"] as? Int)
        let note = try #require(checkpoint.object["note"] as? String)
        #expect(note.hasPrefix("service.example/log\n\(size)\n"))

        // An inclusion proof the CLI's verifier accepts against the signed checkpoint.
        let proof = try await server.get("/v1/proofs/inclusion/7?size=\(size)")
        #expect(proof.status == 200 && proof.object["treeSize"] as? Int == size)
        try note.write(toFile: server.directory.path("checkpoint.txt"), atomically: true, encoding: .utf8)
        let key = try server.setup.genledger(["key", "list"]).split(separator: "\n").last.map(String.init) ?? ""
        try server.setup.genledger(
            ["verify-proof", "-", "--checkpoint", server.directory.path("checkpoint.txt"), "--key", key], stdin: proof.text)
        let consistency = try await server.get("/v1/proofs/consistency?from=5&to=\(size)")
        #expect(consistency.status == 200 && consistency.object["size1"] as? Int == 5)
        try server.setup.genledger(["verify-proof", "-"], stdin: consistency.text)
        #expect(try await server.get("/v1/proofs/inclusion/\(size + 100)").status == 404)
        #expect(try await server.get("/v1/proofs/inclusion/0").status == 422)
        #expect(try await server.get("/v1/proofs/consistency").error("field") as? String == "from")
        #expect(try await server.get("/v1/proofs/consistency?from=\(size + 5)&to=\(size)").status == 422)

        // Answers, each stamped with the tree it was computed at, each taking as_of.
        let current = try await server.get("/v1/routing/current")
        #expect(current.status == 200 && current.text.contains("\"tables\""))
        let earlier = try await server.get("/v1/routing/current?as_of=10")
        #expect(earlier.status == 200 && earlier.text.contains("\"as_of\":10") || earlier.text.contains("seq 10"))
        #expect(try await server.get("/v1/routing/history").text.contains("video"))
        #expect(try await server.get("/v1/reports/quarterly?quarter=2026-Q2").status == 200)
        #expect(try await server.get("/v1/reports/quarterly").status == 200)
        #expect(try await server.get("/v1/reports/quarterly?quarter=Q9").error("field") as? String == "quarter")
        #expect(try await server.get("/v1/reports/costs?month=2026-04").text.contains("\"month\":\"2026-04\""))
        #expect(try await server.get("/v1/reports/costs").error("field") as? String == "month")
        let compliance = try await server.get("/v1/reports/compliance?from=2026-04-01&to=2026-04-30")
        #expect(compliance.status == 200 && compliance.text.contains("locked-seed"))
        #expect(try await server.get("/v1/reports/compliance?from=2026-04-30&to=2026-04-01").status == 422)
        #expect(try await server.get("/v1/routing/current?as_of=yesterday").error("field") as? String == "as_of")
        let delivered = try await server.get("/v1/events?type=deliverable.delivered&limit=1")
        let asset = try #require(
            ((delivered.object["events"] as? [[String: Any]])?.first?["payload"] as? [String: Any])?["asset"] as? String)
        let explained = try await server.get("/v1/assets/\(asset)/explain")
        #expect(explained.status == 200 && explained.text.contains(asset))
        #expect(try await server.get("/v1/assets/A-none/explain").status == 404)

        // Paging: next_after continues where a page ended.
        let page = try await server.get("/v1/events?limit=5")
        #expect((page.object["events"] as? [Any])?.count == 5 && page.object["next_after"] as? Int == 5)
        let next = try await server.get("/v1/events?after=5&limit=2")
        #expect(((next.object["events"] as? [[String: Any]])?.first?["seq"] as? Int) == 6)

        // Metrics, for operators.
        let metrics = try await server.get("/metrics", role: "admin")
        #expect(metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        for name in [
            "genledger_events_appended_total", "genledger_policy_denials_total", "genledger_ledger_events",
            "genledger_projection_lag_events", "genledger_http_request_duration_seconds_bucket", "genledger_commits_total",
            "genledger_committed_requests_total", "genledger_commit_seconds_total",
        ] {
            #expect(metrics.text.contains(name), "\(name) is exported")
        }
        #expect(metrics.text.contains("genledger_ledger_events \(size)"))
    }

    @Test func routeRegenerateOverrideAndReplay() async throws {
        let studio = try Studio()
        try studio.openDeliverable("D-1", category: "social-short", stage: .delivery)
        var prior = try studio.generate("D-1", attempt: 1)
        for attempt in 2...3 {
            try studio.governed.append(studio.regeneration("D-1", prior: prior, attempt: Int64(attempt)))
            prior = try studio.generate("D-1", attempt: Int64(attempt))
        }
        try studio.openDeliverable("D-2", category: "hero-video", stage: .delivery)
        let heroAsset = try studio.generate("D-2", attempt: 1)
        let server = try LiveServer(ledger: studio.ledger.path)

        // Route: a dry run appends nothing; a recorded one answers its seq, and a retry its original.
        let before = try await server.get("/healthz", role: nil).object["tree_size"] as? Int
        let dry = try await server.post("/v1/route?dry_run=true", #"{"deliverable":"D-2"}"#, role: "auditor")
        #expect(dry.status == 200 && dry.object["recorded"] as? Bool == false)
        #expect(try await server.get("/healthz", role: nil).object["tree_size"] as? Int == before)
        let routed = try await server.post("/v1/route", #"{"deliverable":"D-2"}"#, headers: ["Idempotency-Key": "route-1"])
        #expect(routed.status == 201)
        let model = (routed.object["decision"] as? [String: Any])?["model"] as? String
        #expect(model != nil)
        let retried = try await server.post("/v1/route", #"{"deliverable":"D-2"}"#, headers: ["Idempotency-Key": "route-1"])
        #expect(retried.status == 200 && (retried.object["event"] as? [String: Any])?["duplicate"] as? Bool == true)
        #expect(
            (retried.object["event"] as? [String: Any])?["seq"] as? Int == (routed.object["event"] as? [String: Any])?["seq"]
                as? Int)
        #expect(try await server.post("/v1/route", #"{"category":"nope"}"#).status == 422)

        // The cap for social shorts at delivery is 4, action deny: attempt 4 allowed, 5 denied.
        let fourth = try await server.post(
            "/v1/regenerations", #"{"deliverable":"D-1","prior_asset":"\#(prior)","reason":"one more"}"#)
        #expect(fourth.status == 201 && fourth.object["allowed"] as? Bool == true && fourth.object["attempt"] as? Int == 4)
        let fifth = try await server.post(
            "/v1/regenerations", #"{"deliverable":"D-1","prior_asset":"\#(prior)","reason":"again"}"#)
        #expect(fifth.status == 200 && fifth.object["allowed"] as? Bool == false)
        #expect(fifth.object["rule"] as? String == "regeneration-cap" && fifth.object["policy"] as? String == "governance")
        #expect((fifth.object["reason"] as? String)?.contains("attempt 5") == true && fifth.object["denied_seq"] is Int)
        #expect(try await server.post("/v1/regenerations", #"{"prior_asset":"x","reason":"r"}"#).status == 422)
        #expect(
            try await server.post("/v1/regenerations", #"{"deliverable":"D-404","prior_asset":"x","reason":"r"}"#).status == 422)

        // Overrides: approvers only; a deny cap cannot be lifted; a require-approval one can.
        let body = #"{"deliverable":"D-2","rule":"regeneration-cap","reason":"launch film","extra_attempts":2}"#
        #expect(try await server.post("/v1/overrides", body, role: "writer").status == 403)
        #expect(try await server.post("/v1/overrides", body, role: "admin").status == 403)
        let stranger = try await server.post("/v1/overrides", body, role: "approver")
        #expect(stranger.status == 403 && stranger.error("rule") as? String == "approvers", "the policy lists its approvers")
        let lena = try server.setup.genledger(["token", "create", "--role", "approver", "--name", "approver:lena"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let granted = try await server.request(
            "POST", "/v1/overrides", role: nil, body: body, headers: ["Authorization": "Bearer \(lena)"])
        #expect(granted.status == 201, "\(granted.text)")
        let hard = try await server.request(
            "POST", "/v1/overrides", role: nil,
            body: #"{"deliverable":"D-1","rule":"regeneration-cap","reason":"x","extra_attempts":1}"#,
            headers: ["Authorization": "Bearer \(lena)"])
        #expect(hard.status == 403 && hard.error("code") as? String == "policy-denied")
        let log = try await server.get("/v1/events?stream=deliverable/D-2&type=policy.override_granted")
        let override = try #require((log.object["events"] as? [[String: Any]])?.first)
        #expect(override["actor"] as? String == "approver:lena")
        #expect((override["payload"] as? [String: Any])?["approver"] as? String == "approver:lena")
        _ = heroAsset

        // Replay: a what-if never writes unless asked to record, and recording needs a writer.
        let size = try await server.get("/healthz", role: nil).object["tree_size"] as? Int
        let whatIf = try await server.post("/v1/replay", #"{"compare_published":"video@1"}"#, role: "auditor")
        #expect(whatIf.status == 200 && whatIf.text.contains("\"before\""))
        #expect(try await server.get("/healthz", role: nil).object["tree_size"] as? Int == size)
        #expect(
            try await server.post("/v1/replay", #"{"compare_published":"video@1","record":true}"#, role: "auditor").status == 403)
        let recorded = try await server.post(
            "/v1/replay", #"{"compare_published":"video@1","record":true}"#, headers: ["Idempotency-Key": "replay-1"])
        #expect(recorded.status == 201 && (recorded.object["recorded"] as? [String: Any])?["seq"] is Int)
        let recordedAgain = try await server.post(
            "/v1/replay", #"{"compare_published":"video@1","record":true}"#, headers: ["Idempotency-Key": "replay-1"])
        #expect(recordedAgain.status == 200)
        #expect(
            (recordedAgain.object["recorded"] as? [String: Any])?["seq"] as? Int
                == (recorded.object["recorded"] as? [String: Any])?[
                    "seq"]
                as? Int)
        let candidate = try String(contentsOfFile: RepositoryFiles.path("policies/routing/video.yaml"), encoding: .utf8)
        let yaml = try JSONSerialization.data(withJSONObject: ["routing": candidate])
        let fromFile = try await server.post("/v1/replay", String(decoding: yaml, as: UTF8.self), role: "auditor")
        #expect(fromFile.status == 200)
        let broken = try JSONSerialization.data(withJSONObject: ["routing": "name: video\nversion: x\n"])
        #expect(try await server.post("/v1/replay", String(decoding: broken, as: UTF8.self)).status == 422)
        #expect(try await server.post("/v1/replay", #"{"compare_published":"video@99"}"#).status == 422)
        #expect(try await server.post("/v1/replay", "{}").status == 422)
    }
}
