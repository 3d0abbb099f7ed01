import Foundation
import LedgerLog
import OutboundHTTP

/// The SHA-256 of a provider's output file, fetched from where the provider's delivery says it
/// is: hashed as it streams in (memory stays at one buffer), refused past `maxBytes` or
/// `timeout`, and only from hosts the configuration lists (a delivery must not make the server
/// fetch whatever URL it names).
enum OutputDigest {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    struct Limits: Sendable {
        var hosts: [String]
        var maxBytes: Int
        var timeout: Double
    }

    /// Whether `url` may be fetched: https to a listed host (`host` or `*.suffix`), or http to a
    /// listed loopback host (a test or a local relay).
    static func check(_ url: URL, against limits: Limits) throws {
        guard let host = url.host?.lowercased(), let scheme = url.scheme?.lowercased() else {
            throw Refused(description: "the output '\(url)' is not an absolute URL")
        }
        let authority = url.port.map { "\(host):\($0)" } ?? host
        let listed = limits.hosts.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
            return pattern == authority || pattern == host
        }
        guard listed else {
            throw Refused(description: "the output's host '\(authority)' is not in this provider's output_hosts")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw Refused(description: "the output must be fetched over https (http only from a listed loopback host)")
        }
    }

    /// Follows at most five redirects, each to a place `check` allows as well.
    static func fetch(_ url: URL, limits: Limits) async throws -> (sha256: String, bytes: Int) {
        try check(url, against: limits)
        let client = OutboundClient.shared
        return try await client.onThread {
            let sha = SHA256()
            sha.start()
            var count = 0
            let request = OutboundRequest(url: url, timeout: limits.timeout, maxResponseBytes: limits.maxBytes, redirects: 5)
            let response: OutboundResponse
            do {
                response = try client.send(request, allowRedirect: { try check($0, against: limits) }) { piece in
                    count += piece.count
                    sha.update(piece)
                }
            } catch let failure as OutboundFailure {
                switch failure.kind {
                case .tooLarge(let declared?):
                    throw Refused(description: "the output is \(declared) bytes, over max_output_bytes (\(limits.maxBytes))")
                case .tooLarge(nil):
                    throw Refused(description: "the output is over max_output_bytes (\(limits.maxBytes))")
                default:
                    throw Refused(description: "fetching the output failed: \(failure)")
                }
            }
            guard (200..<300).contains(response.status) else {
                throw Refused(description: "fetching the output answered HTTP \(response.status)")
            }
            return (sha.finish().description, count)
        }
    }
}
