import Foundation
import HTTPTypes
import Hummingbird
import LedgerLog
import Logging

/// The secrets the service accepts, loaded from the ledger file and reloaded when an unknown one
/// arrives (a token created while the server runs works at once) or every few seconds (so a
/// revoked one stops working soon after).
final class TokenCache: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private let path: String
    private var tokens: [String: ServiceToken] = [:]
    private var loadedAt = ContinuousClock.now
    private var lastMissReload = ContinuousClock.now

    init(path: String) throws {
        self.path = path
        try reload()
    }

    private func reload() throws {
        let loaded = try ServiceTokens.load(from: try Ledger(opening: path))
        lock.lock()
        tokens = loaded
        loadedAt = .now
        lock.unlock()
    }

    func token(for secret: String) -> ServiceToken? {
        token(forDigest: ServiceTokens.digest(secret))
    }

    /// The token whose secret has this SHA-256 (a web session keeps only the digest).
    func token(forDigest digest: String) -> ServiceToken? {
        lock.lock()
        let stale = loadedAt.duration(to: .now) > .seconds(5)
        // Unknown secrets reload at most ten times a second, so guessing cannot hammer the file.
        let mayReloadOnMiss = tokens[digest] == nil && lastMissReload.duration(to: .now) > .milliseconds(100)
        if mayReloadOnMiss { lastMissReload = .now }
        let found = tokens[digest]
        lock.unlock()
        if stale || mayReloadOnMiss {
            try? reload()
            lock.lock()
            defer { lock.unlock() }
            return tokens[digest]
        }
        return found
    }
}

/// A token bucket per token: `rate` requests a second on average, bursts up to `rate`.
final class RateLimiter: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    let rate: Double
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    init(rate: Double) { self.rate = rate }

    /// nil when allowed; else the seconds to wait.
    func take(_ name: String) -> Double? {
        guard rate > 0 else { return nil }
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        var bucket = buckets[name] ?? (rate, now)
        let elapsed = bucket.at.duration(to: now)
        let seconds = elapsed.seconds
        bucket.tokens = min(rate, bucket.tokens + seconds * rate)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[name] = bucket
            return (1 - bucket.tokens) / rate
        }
        bucket.tokens -= 1
        buckets[name] = bucket
        return nil
    }
}

/// Authenticates every request but `/healthz`, `/v1/schema`, the login page and provider
/// webhooks (a bearer token; for the web pages, a session cookie from logging in), applies the
/// rate limit, turns every error into its JSON answer, times the request for `/metrics` and
/// writes one structured log line per request (never a token or a cookie).
struct Authentication: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let tokens: TokenCache
    let sessions: WebSessions
    let limiter: RateLimiter
    let metrics: ServiceMetrics
    /// The request log (`genledger.requests`); nil when `--no-request-log`.
    let requestLog: RequestLog?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        let started = ContinuousClock.now
        var response: Response
        var caller: String?
        do {
            response = try await authenticate(request, context: context, caller: &caller, next: next)
        } catch {
            let failure = APIError(error)
            if failure.status == .internalServerError {
                context.logger.error("\(request.method) \(request.uri.path): \(String(describing: error))")
            }
            response = failure.response
        }
        let elapsed = started.duration(to: .now)
        metrics.observe(
            method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code,
            seconds: elapsed.seconds)
        requestLog?.record(
            method: request.method.rawValue, path: request.uri.path, status: response.status.code, seconds: elapsed.seconds,
            caller: caller)
        return response
    }

    /// The secret of `Bearer SECRET` (scheme in any case, spaces around the secret ignored).
    /// Plain byte work: this runs on every request, and Foundation's trimming cost 7 % of a
    /// loaded server's CPU.
    static func bearerSecret(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, bytes[scheme.count] == UInt8(ascii: " "),
            zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 })
        else { return nil }
        var start = scheme.count
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        return start < end ? String(decoding: bytes[start..<end], as: UTF8.self) : nil
    }

    private func authenticate(
        _ request: Request, context: Context, caller: inout String?, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        // A provider's delivery proves itself by its Standard Webhooks signature, not a token;
        // the login page is where a person without a session goes.
        if path == "/healthz" || path == "/v1/schema" || path.hasPrefix("/v1/webhooks/") || path == WebApp.loginPath {
            return try await next(request, context)
        }
        let isPage = path == "/pages" || path.hasPrefix("/pages/")
        var context = context
        let token: ServiceToken
        if let header = request.headers[.authorization] {
            guard let bearer = Self.bearerSecret(header), let found = tokens.token(for: bearer) else {
                throw APIError.unauthenticated
            }
            token = found
        } else if isPage {
            guard let id = request.cookies[WebSessions.cookie]?.value, let session = sessions.session(id),
                let found = tokens.token(forDigest: session.tokenDigest)
            else {
                // A person without a session is sent to log in, and brought back after.
                if request.method == .get {
                    return WebApp.redirectToLogin(from: request)
                }
                throw APIError.unauthenticated
            }
            context.session = session
            token = found
        } else {
            throw APIError.unauthenticated
        }
        caller = token.name
        if let wait = limiter.take(token.name) {
            metrics.limited()
            var error = APIError(
                .tooManyRequests, "rate-limited",
                "more than \(Int(limiter.rate)) requests a second for this token (--rate-limit); retry later")
            error.headers[.retryAfter] = String(max(1, Int(wait.rounded(.up))))
            throw error
        }
        context.token = token
        return try await next(request, context)
    }
}

extension Duration {
    /// The duration in seconds, as a Double (for rates and histograms).
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
