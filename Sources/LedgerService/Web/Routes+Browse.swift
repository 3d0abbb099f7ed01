import Foundation
import Governance
import Hummingbird
import LedgerLog
import Projections
import Reports

/// Finding one's way: search by deliverable, campaign, asset id or file SHA-256; a deliverable's
/// page with its whole story; the events browser, newest first; the costs and compliance
/// landings the navigation links to.
extension LedgerEndpoints {
    static let eventsPerPage = 50

    func addBrowsing(to router: Router<ServiceRequestContext>) {
        router.get("/pages/search") { request, context in
            _ = try context.require(Access.read)
            let query = (request.uri.queryParameters.get("q") ?? "").trimmingCharacters(in: .whitespaces)
            guard !query.isEmpty else {
                return Response.page(
                    WebApp.page(title: "Search", body: "<p>Type a deliverable, a campaign, an asset id or a file's SHA-256.</p>", context: context))
            }
            try await self.committer.catchUpProjections()
            let hits = try await self.readers.read { ledger in try Projections(ledger).search(query) }
            // One exact match: go there.
            if hits.count == 1 || (hits.first.map { $0.id == query || $0.kind == .sha256 } ?? false), let hit = hits.first {
                return Response(status: .seeOther, headers: [.location: Self.location(of: hit, query: query)])
            }
            guard !hits.isEmpty else {
                return Response.page(
                    WebApp.page(
                        title: "Search",
                        body: "<p id=\"no-match\">Nothing in the ledger is called <code>\(WebApp.escape(query))</code>: no deliverable, campaign or asset id starts with it, and no asset has it as its SHA-256.</p>",
                        context: context), status: .notFound)
            }
            let rows = hits.map { hit in
                "<tr><td>\(hit.kind.rawValue)</td><td><a href=\"\(Self.location(of: hit, query: query))\">\(WebApp.escape(hit.id))</a></td><td>\(WebApp.escape(hit.deliverable ?? ""))</td></tr>"
            }.joined()
            return Response.page(
                WebApp.page(
                    title: "Search: \(query)",
                    body: "<table><tr><th>kind</th><th>id</th><th>deliverable</th></tr>\(rows)</table>", context: context))
        }

        router.get("/pages/deliverables/{id}") { request, context in
            _ = try context.require(Access.read)
            guard let id = context.parameters.get("id"), !id.isEmpty else {
                throw APIError.badRequest("the path parameter id is required", field: "id")
            }
            let route = Self.reportRoutes.first { $0.path == "/reports/deliverables/{id}" }!
            let report: String
            do { report = try await self.report(route, request, context, format: .html) } catch {
                let failure = APIError(error)
                return Response.page(
                    WebApp.page(title: "\(failure.status.code) \(failure.status.reasonPhrase)", body: "<p>\(WebApp.escape(failure.message))</p>", context: context),
                    status: failure.status)
            }
            let story = try await self.story(of: id)
            let html = WebApp.withNavigation(report, context).replacingOccurrences(
                of: "</body>", with: "<h2>Story</h2>\n\(story)\n</body>")
            return Response.page(html)
        }

        router.get("/pages/events") { request, context in
            _ = try context.require(Access.read)
            let type = request.uri.queryParameters.get("type").flatMap { $0.isEmpty ? nil : String($0) }
            let stream = request.uri.queryParameters.get("stream").flatMap { $0.isEmpty ? nil : String($0) }
            if let type, EventType(rawValue: type) == nil {
                throw APIError.badRequest("'\(type)' is not an event type (docs/EVENTS.md)", field: "type")
            }
            let before = try self.integer(request, "before")
            let (events, size) = try await self.readers.read { ledger in
                var events: [RecordedEvent] = []
                let size = try ledger.size()
                try ledger.forEachEvent(
                    through: before.map { $0 > 0 ? $0 - 1 : 0 } ?? size, stream: stream, type: type, limit: Self.eventsPerPage,
                    newestFirst: true
                ) { event in
                    events.append(event)
                    return true
                }
                return (events, size)
            }
            let options = ([""] + EventType.allCases.map(\.rawValue)).map { name in
                "<option value=\"\(name)\"\(name == (type ?? "") ? " selected" : "")>\(name.isEmpty ? "every type" : name)</option>"
            }.joined()
            var body = """
                <form action="/pages/events"><select name="type" aria-label="type">\(options)</select>
                <input name="stream" value="\(WebApp.escape(stream ?? ""))" placeholder="stream, e.g. deliverable/D-000001" size="34">
                <button>filter</button></form>
                <p class="muted">The log holds \(size) events; newest first\(before.map { ", before seq \($0)" } ?? "").</p>
                """
            guard !events.isEmpty else {
                body += "<p id=\"no-events\">No event matches\(type.map { " type \(WebApp.escape($0))" } ?? "")\(stream.map { " on stream \(WebApp.escape($0))" } ?? "").</p>"
                return Response.page(WebApp.page(title: "Events", body: body, context: context))
            }
            body += Self.eventTable(events)
            if events.count == Self.eventsPerPage, let oldest = events.last?.seq, oldest > 1 {
                var query = "before=\(oldest)"
                if let type { query += "&type=\(type)" }
                if let stream { query += "&stream=\(stream.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? stream)" }
                body += "<p><a id=\"older\" href=\"/pages/events?\(query)\">older events</a></p>"
            }
            return Response.page(WebApp.page(title: "Events", body: body, context: context))
        }

        router.get("/pages/costs") { _, context in
            _ = try context.require(Access.read)
            try await self.committer.catchUpProjections()
            let months = try await self.readers.read { ledger in try Projections(ledger).costMonths() }
            let links =
                months.isEmpty
                ? "<p>No cost has been recorded yet.</p>"
                : "<ul>" + months.reversed().map { "<li><a href=\"/pages/reports/costs?month=\($0)\">\($0)</a></li>" }.joined() + "</ul>"
            return Response.page(
                WebApp.page(
                    title: "Cost audits",
                    body: """
                        <form action="/pages/reports/costs"><input name="month" placeholder="2026-09" pattern="[0-9]{4}-[0-9]{2}" required> <button>audit</button></form>
                        <p>Months with recorded costs, newest first:</p>\(links)
                        """, context: context))
        }

        router.get("/pages/compliance") { _, context in
            _ = try context.require(Access.read)
            let today = String(Timestamp(Date()).description.prefix(10))
            return Response.page(
                WebApp.page(
                    title: "Compliance audit",
                    body: """
                        <form action="/pages/reports/compliance">from <input name="from" placeholder="2026-04-01" required>
                        to <input name="to" value="\(today)" required> <input name="campaign" placeholder="campaign (optional)">
                        <button>audit</button></form>
                        """, context: context))
        }
    }

    static func location(of hit: SearchHit, query: String) -> String {
        func path(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
        }
        switch hit.kind {
        case .deliverable: return "/pages/deliverables/\(path(hit.id))"
        case .campaign: return "/pages/reports/campaigns/\(path(hit.id))"
        case .asset: return "/pages/assets/\(path(hit.id))/explain"
        case .sha256: return "/pages/assets/\(path(query))/explain"
        }
    }

    /// A deliverable's every event, in order, with links to explain each asset it names.
    func story(of deliverable: String) async throws -> String {
        let events = try await readers.read { ledger in
            var events: [RecordedEvent] = []
            try ledger.forEachEvent(stream: "deliverable/\(deliverable)", limit: 2000) { event in
                events.append(event)
                return true
            }
            return events
        }
        return Self.eventTable(events)
    }

    /// Events as a table: seq, when, type, stream, actor, the gate's outcome and the payload's gist.
    static func eventTable(_ events: [RecordedEvent]) -> String {
        var rows = ""
        for event in events {
            let payload = event.payload
            let outcome = payload["gate"]?["outcome"]?.stringValue ?? ""
            var gist = payload.objectValue.map { members in
                members.keys.sorted().filter { $0 != "gate" && $0 != "judged" && $0 != "document" }.prefix(8).map { key in
                    let value = members[key]!
                    let text = value.stringValue ?? CanonicalJSON.string(of: value)
                    return "\(key)=\(text.count > 60 ? String(text.prefix(57)) + "…" : text)"
                }.joined(separator: " ")
            } ?? "(erased)"
            gist = WebApp.escape(gist)
            for key in ["asset", "output_asset"] {
                if let asset = payload[key]?.stringValue {
                    let href = asset.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? asset
                    gist += " <a href=\"/pages/assets/\(href)/explain\">explain \(WebApp.escape(asset))</a>"
                }
            }
            let streamLink =
                event.stream.hasPrefix("deliverable/")
                ? "<a href=\"/pages/deliverables/\(WebApp.escape(String(event.stream.dropFirst(12))))\">\(WebApp.escape(event.stream))</a>"
                : WebApp.escape(event.stream)
            rows += """
                <tr class="event"><td class="num">\(event.seq)</td><td>\(WebApp.escape(String(event.occurredAt.prefix(19))))</td>\
                <td><code>\(WebApp.escape(event.type))</code></td><td>\(streamLink)</td><td>\(WebApp.escape(event.actor))</td>\
                <td>\(WebApp.escape(outcome))</td><td style="font-size:12px">\(gist)</td></tr>
                """
        }
        return "<div style=\"overflow-x:auto\"><table><tr><th>seq</th><th>occurred</th><th>type</th><th>stream</th><th>actor</th><th>gate</th><th>payload</th></tr>\(rows)</table></div>"
    }
}
