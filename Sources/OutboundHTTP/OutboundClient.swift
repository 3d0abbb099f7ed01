public import Foundation
import Synchronization

/// HTTP/1.1 over TCP or TLS (OpenSSL), one connection per exchange, without libcurl: loading
/// Foundation's URLSession (libcurl and its two dozen libraries) cost every `genledger` start
/// 11-14 ms, even the ones that never reach the network (docs/BENCHMARKS.md, issue 20).
///
/// Bounded as docs/WEB.md lists: the request's `timeout` covers the whole exchange, the answer's
/// head is at most 64 KiB and its body at most `maxResponseBytes`; redirects only for GET and
/// only as many as the request allows, each checked by the caller. Certificates are verified for
/// the host; proxies come from the environment (`ProxySettings`).
public final class OutboundClient: Sendable {
    /// The system's trusted certificates and the process's proxy settings.
    public static let shared = OutboundClient()

    private let trustedCertificates: String?
    private let proxies: ProxySettings
    private let tls = Mutex<TLSContext?>(nil)
    private let threads: ThreadSlots

    /// `trustedCertificates`: a PEM file of the only certificates to trust (a private CA);
    /// nil for the system's store. `environment`: where the proxy variables are read.
    /// `maxThreads`: how many exchanges started from async code run at once (`onThread`).
    public init(
        trustedCertificates: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        maxThreads: Int = 16
    ) {
        self.trustedCertificates = trustedCertificates
        self.proxies = ProxySettings(environment: environment)
        self.threads = ThreadSlots(max(1, maxThreads))
    }

    /// Sends `request` and reads its answer. The body goes to `receive` as it arrives when one is
    /// given (the answer's `body` is then empty), else into the answer. Before following a
    /// redirect, `allowRedirect` sees its target and may throw to refuse it.
    public func send(
        _ request: OutboundRequest, allowRedirect: (URL) throws -> Void = { _ in },
        receive: ((UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws -> OutboundResponse {
        let deadline = Deadline(seconds: request.timeout, peer: request.url.host ?? "?")
        var url = request.url
        var redirectsLeft = request.method == "GET" ? request.redirects : 0
        while true {
            let target = try Target(url: url)
            var (reader, head, peer) = try exchange(request, target: target, deadline: deadline)
            let redirect = [301, 302, 303, 307, 308].contains(head.status) && request.method == "GET" && request.redirects > 0
            let declared = head.values("content-length").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if let declared, declared > request.maxResponseBytes, !redirect {
                throw OutboundFailure(
                    .tooLarge(declared: declared),
                    "the answer from \(peer.peer) is \(declared) bytes, over the limit of \(request.maxResponseBytes)")
            }
            var received = 0
            var collected: [UInt8] = []
            try reader.body(of: head, method: request.method) { piece in
                received += piece.count
                guard received <= request.maxResponseBytes else {
                    throw OutboundFailure(.tooLarge(declared: nil), "the answer from \(peer.peer) is over the limit of \(request.maxResponseBytes) bytes")
                }
                if redirect { return }
                if let receive { try receive(piece) } else { collected += piece }
            }
            guard redirect else {
                return OutboundResponse(
                    status: head.status, headers: head.headers.map { (name: $0.name, value: $0.value) }, body: collected, url: url)
            }
            guard redirectsLeft > 0 else {
                throw OutboundFailure(.redirect, "\(request.url) redirects more than \(request.redirects) times")
            }
            redirectsLeft -= 1
            guard let location = head.values("location").first, let next = URL(string: location, relativeTo: url)?.absoluteURL,
                let scheme = next.scheme?.lowercased(), scheme == "http" || scheme == "https"
            else {
                throw OutboundFailure(.redirect, "\(url) answered HTTP \(head.status) without an http(s) Location to follow")
            }
            try allowRedirect(next)
            url = next
        }
    }

    /// Runs `work` on a thread of its own, so a blocking exchange never holds one of the
    /// cooperative pool's threads; each call's thread ends with it. At most `maxThreads` run at
    /// once; later calls wait their turn.
    public func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await threads.acquire()
        defer { threads.release() }
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "genledger.outbound"
            thread.start()
        }
    }

    /// `send` on a thread of its own (see `onThread`).
    public func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        try await onThread { try self.send(request) }
    }

    // MARK: - One connection

    private func exchange(_ request: OutboundRequest, target: Target, deadline: Deadline) throws -> (
        ResponseReader, ResponseReader.Head, Deadline
    ) {
        let peer = deadline.naming(target.authority)
        let proxy = try proxies.proxy(scheme: target.scheme, host: target.host)
        var requestTarget = target.path
        var extra: [(name: String, value: String)] = []
        let stream: any ByteStream
        if let proxy {
            let socket = try TCPSocket.connect(host: proxy.host, port: proxy.port, deadline: peer.naming(proxy.name))
            if target.scheme == "https" {
                try tunnel(through: socket, proxy: proxy, to: target, deadline: peer.naming(proxy.name))
                stream = try TLSStream(over: socket, host: target.host, context: tlsContext(), deadline: peer)
            } else {
                requestTarget = "http://\(target.authority)\(target.path)"
                if let authorization = proxy.authorization { extra.append(("Proxy-Authorization", authorization)) }
                stream = socket
            }
        } else {
            let socket = try TCPSocket.connect(host: target.host, port: target.port, deadline: peer)
            stream = target.scheme == "https" ? try TLSStream(over: socket, host: target.host, context: tlsContext(), deadline: peer) : socket
        }
        var head = "\(request.method) \(requestTarget) HTTP/1.1\r\nHost: \(target.authority)\r\nUser-Agent: genledger\r\nConnection: close\r\n"
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        for (name, value) in extra + request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte), !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw OutboundFailure(.invalidRequest, "the header '\(name)' cannot be sent: a name must be a token and a value one line")
            }
            head += "\(name): \(value)\r\n"
        }
        head += "\r\n"
        try stream.write(Array(head.utf8) + request.body, deadline: peer)
        var reader = ResponseReader(stream: stream, deadline: peer)
        let answer = try reader.head()
        return (reader, answer, peer)
    }

    private func tunnel(through socket: TCPSocket, proxy: ProxySettings.Proxy, to target: Target, deadline: Deadline) throws {
        let authority = "\(target.bracketedHost):\(target.port)"
        var connect = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let authorization = proxy.authorization { connect += "Proxy-Authorization: \(authorization)\r\n" }
        try socket.write(Array((connect + "\r\n").utf8), deadline: deadline)
        var reader = ResponseReader(stream: socket, deadline: deadline)
        let answer = try reader.head()
        guard (200..<300).contains(answer.status) else {
            throw OutboundFailure(.unreachable, "\(proxy.name) refused a tunnel to \(authority): HTTP \(answer.status)")
        }
    }

    private func tlsContext() throws -> TLSContext {
        try tls.withLock { context in
            if let context { return context }
            let made = try TLSContext(trustedCertificates: trustedCertificates)
            context = made
            return made
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// Where one exchange goes: the parts of an http(s) URL a request needs.
private struct Target {
    let scheme: String
    /// Without brackets, as the resolver and certificate verification want it.
    let host: String
    let port: Int
    /// `host[:port]` as the Host header carries it (IPv6 in brackets, the port when not the default).
    let authority: String
    /// The path and query, percent-encoded as in the URL.
    let path: String

    var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    init(url: URL) throws {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw OutboundFailure(.invalidRequest, "'\(url)' is not an http or https URL")
        }
        guard var host = components.host, !host.isEmpty else {
            throw OutboundFailure(.invalidRequest, "'\(url)' names no host")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.scheme = scheme
        self.host = host
        port = components.port ?? (scheme == "https" ? 443 : 80)
        let bracketed = host.contains(":") ? "[\(host)]" : host
        authority = components.port.map { "\(bracketed):\($0)" } ?? bracketed
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.path = path + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
    }
}
