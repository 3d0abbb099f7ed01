import Foundation
import Hummingbird
import LedgerLog
import Reports

/// Server-rendered pages for reviewers: the same report documents as the JSON API, as HTML with
/// inline SVG charts and the lineage graph; no JavaScript. A person logs in once through
/// `/pages/login` (WebApp); scripts send a bearer header.
extension LedgerEndpoints {
    func addPages(to router: Router<ServiceRequestContext>) {
        router.get("/pages") { _, context in
            _ = try context.require(Access.read)
            return Response.page(WebApp.page(title: "GenLedger", body: Self.index, context: context))
        }
        // The explain form's target: forms cannot fill a path, so this forwards to it.
        router.get("/pages/explain") { request, context in
            _ = try context.require(Access.read)
            guard let asset = request.uri.queryParameters.get("asset"), !asset.isEmpty else {
                throw APIError.badRequest("the query parameter asset is required: an asset id, a deliverable id or a file SHA-256", field: "asset")
            }
            let escaped = asset.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? asset
            return Response(status: .seeOther, headers: [.location: "/pages/assets/\(escaped)/explain"])
        }
        for route in Self.reportRoutes {
            router.get(RouterPath("/pages" + route.path)) { request, context in
                _ = try context.require(Access.read)
                do {
                    let html = try await self.report(route, request, context, format: .html)
                    return Response.page(WebApp.withNavigation(html, context))
                } catch {
                    // A person reads this one: the same error, as a page.
                    let failure = APIError(error)
                    let page = WebApp.page(
                        title: "\(failure.status.code) \(failure.status.reasonPhrase)",
                        body: "<p>\(ReportDocument.escape(failure.message))</p>"
                            + (failure.details["field"]?.stringValue.map {
                                "<p>field: <code>\(ReportDocument.escape($0))</code></p>"
                            } ?? ""),
                        context: context)
                    return Response.page(page, status: failure.status)
                }
            }
        }
    }

    static let index = """
            <p><a href="/pages/approvals">Approvals</a>: denials waiting for an approver, live.
            <a href="/pages/events">Events</a>: the log, newest first, by type and stream.
            Search (above) finds a deliverable, a campaign, an asset or a file by its SHA-256.</p>
            <p>Every page is computed from the ledger's projections and stamped with the tree it was
            computed at. Add <code>as_of=SEQ</code> or <code>as_of=YYYY-MM-DD</code> to any address to see it as it stood then.</p>
            <ul>
            <li><a href="/pages/routing/current">The routing tables in force</a>: which models are degraded or retired, which fallbacks are live.</li>
            <li><a href="/pages/routing/history">Routing history</a>: every version of every table, who published it and why, and the what-ifs weighed.</li>
            <li><a href="/pages/reports/quarterly">Quarterly model review</a> (the latest quarter)
              <form action="/pages/reports/quarterly"><input name="quarter" placeholder="2026-Q3" pattern="[0-9]{4}-Q[1-4]" required> <button>review</button></form></li>
            <li>Monthly cost audit
              <form action="/pages/reports/costs"><input name="month" placeholder="2026-09" pattern="[0-9]{4}-[0-9]{2}" required> <button>audit</button></form></li>
            <li>Compliance audit
              <form action="/pages/reports/compliance"><input name="from" placeholder="2026-04-01" required> to
              <input name="to" placeholder="2026-09-30" required> <input name="campaign" placeholder="campaign (optional)"> <button>audit</button></form></li>
            <li>Why an asset looks the way it does: its lineage, every event proven against the latest checkpoint
              <form action="/pages/explain"><input name="asset" placeholder="asset id" required> <button>explain</button></form></li>
            </ul>
            """
}

extension Response {
    /// The pages load nothing and run nothing: inline CSS and SVG only, forms back to this server.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// An HTML page with a strict Content-Security-Policy.
    static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var response = Response.text(html, contentType: "text/html; charset=utf-8", status: status)
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
