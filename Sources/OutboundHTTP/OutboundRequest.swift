public import Foundation

/// One HTTP/1.1 exchange the ledger starts itself: a witness asked to cosign, a webhook
/// notification, a provider's output fetched to be hashed, a published tile read. Every one is
/// bounded: `timeout` covers the whole exchange (connecting, TLS, redirects, the last byte of
/// the answer) and the answer's body may not exceed `maxResponseBytes`.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Seconds for the whole exchange.
    public var timeout: Double
    public var maxResponseBytes: Int
    /// How many redirects (301, 302, 303, 307, 308) a GET follows; none by default, and never
    /// for other methods (a 3xx then is the answer).
    public var redirects: Int

    public init(
        method: String = "GET", url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        timeout: Double, maxResponseBytes: Int, redirects: Int = 0
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.redirects = redirects
    }
}

/// The answer to an `OutboundRequest`: its status, headers and body (empty when the body was
/// handed to a receiver as it arrived), and the URL that answered after any redirects.
public struct OutboundResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    public let url: URL

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why an outbound exchange did not produce an answer; the description names the host.
public struct OutboundFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The request itself cannot be sent (an unsupported scheme, a header with a line break).
        case invalidRequest
        /// The host's name did not resolve or no address accepted the connection.
        case unreachable
        /// The whole exchange took longer than its timeout.
        case timedOut
        /// The TLS handshake failed: most often the certificate did not verify for the host.
        case tls
        /// The answer is not HTTP/1.x as RFC 9112 frames it, or it ended early.
        case malformedAnswer
        /// The answer's body is larger than `maxResponseBytes` (`declared` when its
        /// Content-Length said so before any of it was read).
        case tooLarge(declared: Int?)
        /// A redirect that goes nowhere allowed, or too many of them.
        case redirect
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
