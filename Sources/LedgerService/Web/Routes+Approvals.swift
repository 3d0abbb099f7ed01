import Foundation
import Governance
import Hummingbird
import LedgerLog
import Projections
import Reports

/// The approvers' inbox: every denial waiting for approval, with what an approver needs to
/// decide (the deliverable, the rule and its reason, attempts and spend so far, the judged
/// request), approved or declined with a click, and kept current by a live stream. Everyone who
/// may read sees it; only approvers see the buttons, and only their posts are accepted.
extension LedgerEndpoints {
    func addApprovals(to router: Router<ServiceRequestContext>) {
        router.get("/pages/approvals") { request, context in
            _ = try context.require(Access.read)
            let inbox = try await self.inbox(context)
            if request.uri.queryParameters.get("fragment") != nil {
                return Response.text(inbox, contentType: "text/html; charset=utf-8")
            }
            let nonce = WebSessions.randomSecret()
            let script = """
                <script nonce="\(nonce)">
                // Live: each change of the log's approvals reloads the list (server-sent events).
                const inbox = document.getElementById('inbox');
                const source = new EventSource('/pages/approvals/events');
                source.addEventListener('inbox', async () => {
                  const answer = await fetch('/pages/approvals?fragment=1', {credentials: 'same-origin'});
                  if (answer.ok) inbox.innerHTML = await answer.text();
                });
                </script>
                """
            let html = WebApp.page(
                title: "Approvals",
                body: """
                    <p class="muted">Denials waiting for an approver, newest first. Approving records
                    <code>policy.override_granted</code> in your name; declining records
                    <code>policy.override_declined</code> with your reason. The list updates as the log does.</p>
                    <div id="inbox">\(inbox)</div>
                    \(script)
                    """, context: context)
            var response = Response.page(html)
            response.headers[.contentSecurityPolicy] =
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-\(nonce)'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            return response
        }

        // Tells the inbox page when an approval question is asked or answered.
        router.get("/pages/approvals/events") { _, context in
            _ = try context.require(Access.read)
            guard let slot = SubscriberSlot(self.subscribers, limit: self.configuration.maxSubscribers) else {
                throw APIError(
                    .serviceUnavailable, "too-many-subscribers",
                    "\(self.configuration.maxSubscribers) live streams are open (--max-subscribers); retry later")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    _ = slot
                    var cursor = self.watch.current
                    while !self.watch.isClosed {
                        await self.watch.wait(past: cursor, timeout: .seconds(15))
                        let now = self.watch.current
                        guard now > cursor else {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            continue
                        }
                        let from = cursor
                        let changed = try await self.readers.read { ledger in
                            try Self.approvalTypes.contains { type in
                                var found = false
                                try ledger.forEachEvent(after: from, through: now, type: type, limit: 1) { _ in
                                    found = true
                                    return false
                                }
                                return found
                            }
                        }
                        cursor = now
                        if changed { try await writer.write(ByteBuffer(string: "event: inbox\ndata: \(now)\n\n")) }
                    }
                    try await writer.finish(nil)
                })
        }

        router.post("/pages/approvals/decide") { request, context in
            let token = try context.require(Access.approve)
            let fields = try await self.form(request, context)
            func field(_ name: String) throws -> String {
                guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                    throw APIError.badRequest("\(name) is required", field: name)
                }
                return value
            }
            let deliverable = try field("deliverable")
            let rule = try field("rule")
            let reason = try field("reason")
            guard let deniedSeq = UInt64(try field("denied_seq")) else {
                throw APIError.badRequest("denied_seq is a seq", field: "denied_seq")
            }
            let decision = try field("decision")
            guard ["approve", "decline"].contains(decision) else {
                throw APIError.badRequest("decision is approve or decline", field: "decision")
            }
            let appended = try await self.commit { session in
                let policy = session.state.policyInForce?.document
                var payload: [String: JSONValue] = [
                    "deliverable": .string(deliverable), "rule": .string(rule), "reason": .string(reason),
                    "approver": .string(token.name), "policy": .string(policy?.name ?? ""),
                ]
                let type: EventType
                if decision == "approve" {
                    type = .policyOverrideGranted
                    payload["approved_denial_seq"] = .number(Double(deniedSeq))
                    switch rule {
                    case Gate.RuleName.regenerationCap:
                        payload["extra_attempts"] = .number(Double(Int(fields["extra_attempts"] ?? "") ?? 1))
                    case Gate.RuleName.deliverableBudget, Gate.RuleName.campaignBudget:
                        let amount = Double(fields["extra_amount"] ?? "") ?? 0
                        payload["extra_budget"] = [
                            "amount": .number(amount), "currency": .string(policy?.currency.rawValue ?? "USD"),
                        ]
                    default:
                        break
                    }
                } else {
                    type = .policyOverrideDeclined
                    payload["denied_seq"] = .number(Double(deniedSeq))
                }
                let event = ProposedEvent(
                    type: type.rawValue, stream: "deliverable/\(deliverable)", payload: .object(payload), actor: token.name)
                return session.append([event], approval: ApprovalProof(approver: token.name, provenBy: "token:\(token.name)"))
                    .map { $0[0] }
            }
            if !appended.appended.isDuplicate { self.metrics.appended(1) }
            return Response(status: .seeOther, headers: [.location: "/pages/approvals?answered=\(appended.appended.seq)"])
        }
    }

    static let approvalTypes = [
        EventType.policyDenied.rawValue, EventType.policyOverrideGranted.rawValue, EventType.policyOverrideDeclined.rawValue,
    ]

    /// The inbox's list, as HTML: one card per pending approval.
    func inbox(_ context: ServiceRequestContext) async throws -> String {
        try await committer.catchUpProjections()
        let canDecide = context.token.map { Access.approve.contains($0.role) } ?? false
        let (pending, details) = try await readers.read { ledger in
            let pending = try Projections(ledger).pendingApprovals(limit: 50)
            let details = try pending.items.map { item in try ledger.event(seq: item.deniedSeq)?.payload ?? .null }
            return (pending, details)
        }
        guard !pending.items.isEmpty else {
            return "<p id=\"inbox-empty\">No denial is waiting for approval.</p>"
        }
        var html = "<p id=\"inbox-count\">\(pending.total) waiting\(pending.total > pending.items.count ? " (the newest \(pending.items.count) shown)" : "").</p>"
        for (item, payload) in zip(pending.items, details) {
            let reason = payload["reason"]?.stringValue ?? ""
            let judged = payload["judged"].map { CanonicalJSON.string(of: $0) } ?? ""
            let spend = item.currency.map { Money(micros: item.spendMicros, currency: Currency(rawValue: $0) ?? .USD).description } ?? "none"
            let escapedDeliverable = WebApp.escape(item.deliverable)
            html += """
                <div class="card approval" data-denied-seq="\(item.deniedSeq)" data-deliverable="\(escapedDeliverable)">
                <strong><a href="/pages/deliverables/\(escapedDeliverable)">\(escapedDeliverable)</a></strong> ·
                rule <code>\(WebApp.escape(item.rule))</code> (policy \(WebApp.escape(item.policy)) v\(item.version)) ·
                denied \(item.denials == 1 ? "once" : "\(item.denials) times"), last at seq \(item.deniedSeq)
                <p class="reason">\(WebApp.escape(reason))</p>
                <p class="muted">attempts so far: <span class="attempts">\(item.attempts)</span> · spend so far:
                <span class="spend">\(WebApp.escape(spend))</span> · the judged request
                (<code>\(WebApp.escape(item.judgedType))</code>):</p>
                <pre style="white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:.4rem">\(WebApp.escape(judged))</pre>
                """
            if canDecide, let session = context.session {
                let grant: String =
                    switch item.rule {
                    case Gate.RuleName.regenerationCap:
                        "<label>extra attempts <input type=\"number\" name=\"extra_attempts\" value=\"1\" min=\"1\" max=\"100\" size=\"4\"></label>"
                    case Gate.RuleName.deliverableBudget, Gate.RuleName.campaignBudget:
                        "<label>extra budget <input type=\"number\" name=\"extra_amount\" value=\"100\" min=\"0\" step=\"0.01\" size=\"8\"></label>"
                    default: ""
                    }
                html += """
                    <form method="post" action="/pages/approvals/decide" class="decide">
                    \(WebApp.csrfField(session))
                    <input type="hidden" name="denied_seq" value="\(item.deniedSeq)">
                    <input type="hidden" name="deliverable" value="\(escapedDeliverable)">
                    <input type="hidden" name="rule" value="\(WebApp.escape(item.rule))">
                    \(grant) <label>reason <input name="reason" size="40" required></label>
                    <button name="decision" value="approve" class="approve">approve</button>
                    <button name="decision" value="decline" class="decline">decline</button>
                    </form>
                    """
            }
            html += "</div>\n"
        }
        return html
    }
}
