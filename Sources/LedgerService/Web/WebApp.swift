import Foundation
import HTTPTypes
import Hummingbird
import LedgerLog
import Reports

/// What every page of the web app shares: the layout with its navigation (and the logout form,
/// which carries the session's CSRF token), forms read from their bodies with the CSRF check,
/// and the way to the login page.
enum WebApp {
    static let loginPath = "/pages/login"

    /// The navigation bar of a signed-in page: what the caller's role may use, and logging out.
    static func navigation(_ context: ServiceRequestContext) -> String {
        var links = [
            ("/pages", "GenLedger"), ("/pages/approvals", "approvals"), ("/pages/events", "events"),
            ("/pages/routing/current", "routing in force"), ("/pages/routing/history", "routing history"),
            ("/pages/reports/quarterly", "quarterly review"), ("/pages/costs", "costs"),
            ("/pages/compliance", "compliance"),
        ].map { "<a href=\"\($0.0)\">\($0.1)</a>" }.joined(separator: " · ")
        links += """
             <form action="/pages/search" style="display:inline;margin:0 0 0 .8rem"><input name="q" \
            placeholder="deliverable, campaign, asset or SHA-256" size="34" aria-label="search"> <button>search</button></form>
            """
        var who = ""
        if let token = context.token {
            who = " <span style=\"float:right\">\(escape(token.name)) (\(token.role.rawValue))"
            if let session = context.session {
                who += """
                     <form method="post" action="/pages/logout" style="display:inline;margin:0">\(csrfField(session))\
                    <button>log out</button></form>
                    """
            }
            who += "</span>"
        }
        return "<nav style=\"font-size:13px;margin-bottom:1rem\">\(links)\(who)</nav>"
    }

    static func csrfField(_ session: WebSessions.Session) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">"
    }

    static func escape(_ text: String) -> String { ReportDocument.escape(text) }

    /// A whole page: the shared style, the navigation, a title and the body.
    static func page(title: String, body: String, context: ServiceRequestContext, head: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1d232a;padding:0 1rem}
        form{margin:.4rem 0 1rem} input,select,textarea{font:inherit;padding:.15rem .3rem} li{margin:.25rem 0}
        table{border-collapse:collapse;margin:.5rem 0 1rem} th,td{border-bottom:1px solid #dde2e8;padding:.25rem .6rem;text-align:left;vertical-align:top}
        th{background:#f3f5f8} .num{text-align:right;font-variant-numeric:tabular-nums} code{font-size:12px}
        .card{border:1px solid #cfd6df;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
        .muted{color:#5b6672} .error{color:#a11d1d}
        </style>\(head)</head><body>
        \(navigation(context))
        <h1>\(escape(title))</h1>
        \(body)
        </body></html>
        """
    }

    /// A report document's HTML with the navigation after `<body>`.
    static func withNavigation(_ html: String, _ context: ServiceRequestContext) -> String {
        guard let body = html.range(of: "<body>") else { return html }
        return html.replacingCharacters(in: body, with: "<body>\n" + navigation(context))
    }

    /// GET without a session: to the login page, which returns here after.
    static func redirectToLogin(from request: Request) -> Response {
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        let next = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/pages"
        return Response(status: .seeOther, headers: [.location: "\(loginPath)?next=\(next)"])
    }

    /// Only a path of the web app itself is a place to return to (never another site).
    static func safeReturn(_ next: String?) -> String {
        guard let next, next.hasPrefix("/pages"), !next.hasPrefix("//"), !next.contains("\\") else { return "/pages" }
        return next
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func formFields(_ body: [UInt8]) -> [String: String] {
        let text = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        var components = URLComponents()
        components.percentEncodedQuery = text
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] where fields[item.name] == nil { fields[item.name] = item.value ?? "" }
        return fields
    }

    /// Whether the request came through TLS (a TLS-terminating proxy says so): cookies are then Secure.
    static func isSecure(_ request: Request) -> Bool {
        request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}

extension LedgerEndpoints {
    /// A form posted by a page: its fields, after checking its CSRF token against the session's.
    /// A request authenticated by a bearer header (a script, not a browser) needs none.
    func form(_ request: Request, _ context: ServiceRequestContext) async throws -> [String: String] {
        let fields = WebApp.formFields(try await body(request))
        if let session = context.session, !WebSessions.csrfMatches(fields["csrf"], session.csrf) {
            throw APIError(.forbidden, "csrf", "the form's CSRF token is missing or stale: reload the page and submit again")
        }
        return fields
    }

    func addLogin(to router: Router<ServiceRequestContext>) {
        router.get(RouterPath(WebApp.loginPath)) { request, _ in
            self.loginPage(request, error: nil)
        }

        router.post(RouterPath(WebApp.loginPath)) { request, _ in
            let fields = WebApp.formFields(try await self.body(request))
            // The login form's own CSRF defence: a value in a cookie only this site sets (double submit).
            guard let sent = fields["csrf"], let cookie = request.cookies[Self.loginCookie]?.value,
                WebSessions.csrfMatches(sent, cookie)
            else {
                return self.loginPage(request, error: "The form expired: log in again.", status: .forbidden)
            }
            guard let secret = fields["token"]?.trimmingCharacters(in: .whitespaces), !secret.isEmpty,
                self.tokens.token(for: secret) != nil
            else {
                return self.loginPage(request, error: "That token is not valid (or was revoked).", status: .unauthorized)
            }
            let (id, _) = self.sessions.open(tokenDigest: ServiceTokens.digest(secret))
            var response = Response(status: .seeOther, headers: [.location: WebApp.safeReturn(fields["next"])])
            response.setCookie(
                .init(
                    name: WebSessions.cookie, value: id, maxAge: Int(WebSessions.lifetime.components.seconds), path: "/pages",
                    secure: WebApp.isSecure(request), httpOnly: true, sameSite: .strict))
            response.setCookie(.init(name: Self.loginCookie, value: "", maxAge: 0, path: WebApp.loginPath, httpOnly: true, sameSite: .strict))
            return response
        }

        router.post("/pages/logout") { request, context in
            _ = try context.require(Access.read)
            _ = try await self.form(request, context)
            if let id = request.cookies[WebSessions.cookie]?.value { self.sessions.close(id) }
            var response = Response(status: .seeOther, headers: [.location: WebApp.loginPath])
            response.setCookie(
                .init(
                    name: WebSessions.cookie, value: "", maxAge: 0, path: "/pages", secure: WebApp.isSecure(request),
                    httpOnly: true, sameSite: .strict))
            return response
        }
    }

    static let loginCookie = "genledger_login"

    private func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let csrf = WebSessions.randomSecret()
        let next = WebApp.safeReturn(request.uri.queryParameters.get("next").map { String($0) })
        let body = """
            <p>Log in with the token <code>genledger token create</code> printed for you. The browser keeps
            only a session (12 hours); the token never appears in an address.</p>
            \(error.map { "<p class=\"error\" id=\"login-error\">\(WebApp.escape($0))</p>" } ?? "")
            <form method="post" action="\(WebApp.loginPath)">
            <input type="hidden" name="csrf" value="\(csrf)">
            <input type="hidden" name="next" value="\(WebApp.escape(next))">
            <label>Token <input type="password" name="token" size="72" autocomplete="current-password" required autofocus></label>
            <button>log in</button></form>
            """
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Log in · GenLedger</title>
            <style>body{font:14px/1.45 system-ui,sans-serif;margin:4rem auto;max-width:48rem;color:#1d232a;padding:0 1rem}
            input{font:inherit;padding:.2rem .3rem} .error{color:#a11d1d}</style></head><body>
            <h1>GenLedger</h1>\(body)</body></html>
            """
        var response = Response.page(html, status: status)
        response.setCookie(
            Cookie(
                name: Self.loginCookie, value: csrf, path: WebApp.loginPath, secure: WebApp.isSecure(request), httpOnly: true,
                sameSite: .strict))
        return response
    }
}
