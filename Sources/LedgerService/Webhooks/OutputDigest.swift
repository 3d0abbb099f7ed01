import Foundation
import LedgerLog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

    static func fetch(_ url: URL, limits: Limits) async throws -> (sha256: String, bytes: Int) {
        try check(url, against: limits)
        let hasher = StreamingHash(maxBytes: limits.maxBytes)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = limits.timeout
        configuration.timeoutIntervalForResource = limits.timeout
        let session = URLSession(configuration: configuration, delegate: hasher, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        return try await withCheckedThrowingContinuation { continuation in
            hasher.continuation = continuation
            session.dataTask(with: url).resume()
        }
    }

    private final class StreamingHash: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        // URLSession calls a delegate serially on its queue.
        let maxBytes: Int
        let sha = SHA256()
        var count = 0
        var refusal: Refused?
        var continuation: CheckedContinuation<(sha256: String, bytes: Int), any Error>?

        init(maxBytes: Int) {
            self.maxBytes = maxBytes
            sha.start()
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
        ) {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if !(200..<300).contains(status) {
                refusal = Refused(description: "fetching the output answered HTTP \(status)")
                completionHandler(.cancel)
            } else if response.expectedContentLength > maxBytes {
                refusal = Refused(description: "the output is \(response.expectedContentLength) bytes, over max_output_bytes (\(maxBytes))")
                completionHandler(.cancel)
            } else {
                completionHandler(.allow)
            }
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            count += data.count
            guard count <= maxBytes else {
                if refusal == nil { refusal = Refused(description: "the output is over max_output_bytes (\(maxBytes))") }
                dataTask.cancel()
                return
            }
            data.withUnsafeBytes { sha.update($0) }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            guard let continuation else { return }
            self.continuation = nil
            if let refusal {
                continuation.resume(throwing: refusal)
            } else if let error {
                continuation.resume(throwing: Refused(description: "fetching the output failed: \(error.localizedDescription)"))
            } else {
                continuation.resume(returning: (sha.finish().description, count))
            }
        }
    }
}
