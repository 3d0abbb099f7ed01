import Foundation
import LedgerLog

/// Browser sessions of the web app: a person logs in once with their token through a form; the
/// browser then holds only a random session id (cookie `genledger_session`: HttpOnly,
/// SameSite=Strict, path `/pages`, Secure behind TLS), never the token, and no URL carries
/// either. The server keeps the SHA-256 of each session id with the token it stands for (by
/// the token's digest, so a revoked token ends its sessions at once), its CSRF secret and its
/// expiry. Sessions live in memory: a restart logs everyone out.
final class WebSessions: @unchecked Sendable {  // guarded by `lock`
    struct Session: Sendable {
        let tokenDigest: String
        /// The synchronizer token every form of this session carries (`csrf`).
        let csrf: String
        let expires: ContinuousClock.Instant
    }

    static let cookie = "genledger_session"
    /// How long a session lasts from its login.
    static let lifetime: Duration = .seconds(12 * 3600)
    /// Sessions kept at most; the oldest go first beyond it (each is a few hundred bytes).
    static let limit = 10_000

    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    private var order: [String] = []

    /// A new session for the token with this digest: answers the cookie's value.
    func open(tokenDigest: String) -> (id: String, session: Session) {
        let id = Self.randomSecret()
        let session = Session(tokenDigest: tokenDigest, csrf: Self.randomSecret(), expires: .now + Self.lifetime)
        let key = ServiceTokens.digest(id)
        lock.lock()
        defer { lock.unlock() }
        sessions[key] = session
        order.append(key)
        if order.count > Self.limit {
            let excess = order.count - Self.limit
            for key in order.prefix(excess) { sessions[key] = nil }
            order.removeFirst(excess)
        }
        return (id, session)
    }

    func session(_ id: String) -> Session? {
        let key = ServiceTokens.digest(id)
        lock.lock()
        defer { lock.unlock() }
        guard let session = sessions[key] else { return nil }
        guard session.expires > .now else {
            sessions[key] = nil
            return nil
        }
        return session
    }

    func close(_ id: String) {
        let key = ServiceTokens.digest(id)
        lock.lock()
        sessions[key] = nil
        order.removeAll { $0 == key }
        lock.unlock()
    }

    /// 32 random bytes, hex: a session id or a CSRF secret.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next(), radix: 16).leftPadded(16) }.joined()
    }

    /// Compares a form's CSRF field with the session's in constant time.
    static func csrfMatches(_ sent: String?, _ expected: String) -> Bool {
        guard let sent else { return false }
        return HMACSHA256.constantTimeEqual(Array(sent.utf8), Array(expected.utf8))
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
