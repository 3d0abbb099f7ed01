import Foundation

/// The proxies the environment names, as curl reads them: `https_proxy` (or `HTTPS_PROXY`) for
/// https URLs, `http_proxy` (lower case only: a CGI program's `HTTP_PROXY` is a request header)
/// for http URLs, `all_proxy` (or `ALL_PROXY`) for both, and `no_proxy` (or `NO_PROXY`): hosts
/// and domains reached directly, `*` for all. A proxy is an `http://` URL, optionally with
/// `user:password@`; https URLs go through it in a CONNECT tunnel, http URLs in absolute form.
struct ProxySettings: Sendable {
    struct Proxy: Sendable {
        let host: String
        let port: Int
        let authorization: String?

        var name: String { "the proxy \(host):\(port)" }
    }

    private let https: String?
    private let http: String?
    private let bypass: [String]

    init(environment: [String: String]) {
        func first(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        https = first("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
        http = first("http_proxy", "all_proxy", "ALL_PROXY")
        bypass = (first("no_proxy", "NO_PROXY") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// The proxy for a URL with `scheme` and `host`, or nil to connect directly.
    func proxy(scheme: String, host: String) throws -> Proxy? {
        guard let text = scheme == "https" ? https : http else { return nil }
        let host = host.lowercased()
        for entry in bypass {
            if entry == "*" { return nil }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            let bare = domain.hasPrefix("[") && domain.hasSuffix("]") ? String(domain.dropFirst().dropLast()) : domain
            if host == bare || host.hasSuffix("." + bare) { return nil }
        }
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let url = URLComponents(string: withScheme), url.scheme?.lowercased() == "http", let proxyHost = url.host, !proxyHost.isEmpty else {
            throw OutboundFailure(.invalidRequest, "the proxy '\(text)' for \(scheme) URLs is not an http:// URL")
        }
        var authorization: String?
        if let user = url.percentEncodedUser {
            let credentials = "\(user.removingPercentEncoding ?? user):\(url.password ?? "")"
            authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        }
        return Proxy(host: proxyHost, port: url.port ?? 80, authorization: authorization)
    }
}
