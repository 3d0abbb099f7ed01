import Foundation
import LedgerTestSupport
import OutboundHTTP
import Testing

/// The client the ledger's own requests go through (witnesses, webhooks, provider outputs,
/// published tiles), against Python's http.server and ssl.
@Suite("OutboundClient")
struct OutboundClientTests {
    let trusting = OutboundClient(trustedCertificates: OriginServer.certificates.path("ca.pem"), environment: [:])

    func get(_ client: OutboundClient, _ url: URL, limit: Int = 1 << 20, timeout: Double = 10, redirects: Int = 0) throws -> OutboundResponse {
        try client.send(OutboundRequest(url: url, timeout: timeout, maxResponseBytes: limit, redirects: redirects))
    }

    func failure(_ work: () throws -> Void) -> OutboundFailure? {
        do {
            try work()
            return nil
        } catch {
            return error as? OutboundFailure
        }
    }

    @Test("answers framed by Content-Length, by chunks (extensions, trailers) and by the close, past a 1xx, over TCP and over TLS")
    func framing() throws {
        let plain = try OriginServer(["origin"])
        let tls = try OriginServer(["origin"] + OriginServer.certificate("server"))
        for (server, scheme) in [(plain, "http"), (tls, "https")] {
            let length = try get(trusting, server.url("/length", scheme: scheme))
            #expect(length.status == 200 && length.text == "hello, length" && length.header("x-answer") == "length")
            #expect(try get(trusting, server.url("/chunked", scheme: scheme)).text == "hello, chunked")
            #expect(try get(trusting, server.url("/close", scheme: scheme)).text == "hello, close")
            let interim = try get(trusting, server.url("/interim", scheme: scheme))
            #expect(interim.status == 200 && interim.text == "after the hints")
            #expect(try get(trusting, server.url("/nowhere", scheme: scheme)).status == 404)
        }
        // By name as well as by address: the certificate names both.
        #expect(try get(trusting, tls.url("/length", scheme: "https", host: "localhost")).text == "hello, length")
    }

    @Test("a certificate must verify: a CA not trusted, a certificate for another name, TLS to a plain server")
    func certificates() throws {
        let tls = try OriginServer(["origin"] + OriginServer.certificate("server"))
        let system = OutboundClient(environment: [:])
        let untrusted = failure { _ = try get(system, tls.url("/length", scheme: "https")) }
        #expect(untrusted?.kind == .tls && untrusted?.description.contains("does not verify for 127.0.0.1") == true, "\(String(describing: untrusted))")

        let other = try OriginServer(["origin"] + OriginServer.certificate("other"))
        let wrongName = failure { _ = try get(trusting, other.url("/length", scheme: "https")) }
        #expect(wrongName?.kind == .tls && wrongName?.description.contains("does not verify") == true, "\(String(describing: wrongName))")
        let wrongHost = failure { _ = try get(trusting, other.url("/length", scheme: "https", host: "localhost")) }
        #expect(wrongHost?.kind == .tls, "\(String(describing: wrongHost))")

        let plain = try OriginServer(["origin"])
        let notTLS = failure { _ = try get(trusting, plain.url("/length", scheme: "https"), timeout: 5) }
        #expect(notTLS?.kind == .tls || notTLS?.kind == .malformedAnswer, "\(String(describing: notTLS))")
    }

    @Test("an answer is bounded: a declared length over the limit, an endless body, a head over 64 KiB, a body cut short, not HTTP")
    func bounds() throws {
        let server = try OriginServer(["origin"] + OriginServer.certificate("server"))
        let declared = failure { _ = try get(trusting, server.url("/big", scheme: "https"), limit: 1000) }
        #expect(declared?.kind == .tooLarge(declared: 1_000_000), "\(String(describing: declared))")
        #expect(try get(trusting, server.url("/big", scheme: "https"), limit: 1_000_000).body.count == 1_000_000)

        var received = 0
        let endless = failure {
            _ = try trusting.send(OutboundRequest(url: server.url("/endless", scheme: "https"), timeout: 10, maxResponseBytes: 100_000), receive: {
                received += $0.count
            })
        }
        #expect(endless?.kind == OutboundFailure.Kind.tooLarge(declared: nil), "\(String(describing: endless))")
        #expect(received <= 100_000 && received > 50_000, "what reached the receiver stayed within the limit: \(received)")

        let head = failure { _ = try get(trusting, server.url("/huge-head", scheme: "https")) }
        #expect(head?.kind == .malformedAnswer && head?.description.contains("over 65536 bytes") == true, "\(String(describing: head))")
        let short = failure { _ = try get(trusting, server.url("/short", scheme: "https")) }
        #expect(short?.kind == .malformedAnswer && short?.description.contains("90 bytes early") == true, "\(String(describing: short))")
        let garbage = failure { _ = try get(trusting, server.url("/garbage", scheme: "https")) }
        #expect(garbage?.kind == .malformedAnswer && garbage?.description.contains("status line") == true, "\(String(describing: garbage))")
    }

    @Test("the timeout covers the whole exchange: a server that never answers is given up on")
    func timeout() throws {
        let server = try OriginServer(["origin"])
        let started = ContinuousClock.now
        let stalled = failure { _ = try get(trusting, server.url("/stall"), timeout: 0.5) }
        let waited = ContinuousClock.now - started
        #expect(stalled?.kind == .timedOut && stalled?.description.contains("within 0.5 s") == true, "\(String(describing: stalled))")
        #expect(waited >= .milliseconds(500) && waited < .seconds(10), "\(waited)")
    }

    @Test("redirects: a GET follows as many as allowed, each target checked by the caller; without leave the 3xx is the answer")
    func redirects() throws {
        let server = try OriginServer(["origin"])
        let arrived = try get(trusting, server.url("/redirect/3"), redirects: 3)
        #expect(arrived.text == "arrived" && arrived.url.path == "/redirect/0")
        let tooMany = failure { _ = try get(trusting, server.url("/redirect/3"), redirects: 2) }
        #expect(tooMany?.kind == .redirect, "\(String(describing: tooMany))")
        #expect(try get(trusting, server.url("/redirect/1")).status == 302)

        struct Refused: Error {}
        var seen: [String] = []
        #expect(throws: Refused.self) {
            _ = try trusting.send(OutboundRequest(url: server.url("/redirect/2"), timeout: 10, maxResponseBytes: 1000, redirects: 5), allowRedirect: { url in
                seen.append(url.path)
                if url.path == "/redirect/0" { throw Refused() }
            })
        }
        #expect(seen == ["/redirect/1", "/redirect/0"])
    }

    @Test("a POST carries its headers and body; a header that would split the request is refused before anything is sent")
    func post() throws {
        let server = try OriginServer(["origin"] + OriginServer.certificate("server"))
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let answer = try trusting.send(
            OutboundRequest(
                method: "POST", url: server.url("/echo?x=1%202", scheme: "https"), headers: [("webhook-id", "msg_1"), ("Content-Type", "application/json")],
                body: body, timeout: 10, maxResponseBytes: 1 << 20))
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let headers = try #require(seen["headers"] as? [String: String])
        #expect(seen["method"] as? String == "POST" && seen["path"] as? String == "/echo?x=1%202")
        #expect(seen["body_bytes"] as? Int == body.count && seen["body_sha256"] as? String == sha256Hex(body))
        #expect(headers["webhook-id"] == "msg_1" && headers["host"] == "127.0.0.1:\(server.port)" && headers["connection"] == "close")

        let split = failure {
            _ = try trusting.send(OutboundRequest(method: "POST", url: server.url("/echo"), headers: [("webhook-id", "a\r\nX-Injected: 1")], timeout: 5, maxResponseBytes: 1000))
        }
        #expect(split?.kind == .invalidRequest && split?.description.contains("webhook-id") == true, "\(String(describing: split))")
    }

    @Test("proxies from the environment: https through a CONNECT tunnel with credentials, http in absolute form, no_proxy, HTTP_PROXY ignored")
    func proxies() throws {
        let origin = try OriginServer(["origin"] + OriginServer.certificate("server"))
        let plain = try OriginServer(["origin"])
        let proxy = try OriginServer(["proxy", "--auth", "studio:s3cret"])
        let ca = OriginServer.certificates.path("ca.pem")
        let withCredentials = "http://studio:s3cret@127.0.0.1:\(proxy.port)"

        let tunnelled = OutboundClient(trustedCertificates: ca, environment: ["https_proxy": withCredentials])
        #expect(try get(tunnelled, origin.url("/length", scheme: "https")).text == "hello, length")

        let anonymous = OutboundClient(trustedCertificates: ca, environment: ["HTTPS_PROXY": "127.0.0.1:\(proxy.port)"])
        let refused = failure { _ = try get(anonymous, origin.url("/length", scheme: "https")) }
        #expect(refused?.kind == .unreachable && refused?.description.contains("HTTP 407") == true, "\(String(describing: refused))")

        // The proxy answers an absolute-form request itself: the origin's name is never resolved here.
        let forward = OutboundClient(environment: ["http_proxy": withCredentials])
        #expect(try get(forward, URL(string: "http://origin.invalid/a/b?c=d")!).text == "proxied http://origin.invalid/a/b?c=d")

        let bypassed = OutboundClient(environment: ["http_proxy": "http://127.0.0.1:1", "no_proxy": "example.com, 127.0.0.1"])
        #expect(try get(bypassed, plain.url("/length")).text == "hello, length")
        let cgi = OutboundClient(environment: ["HTTP_PROXY": "http://127.0.0.1:1"])
        #expect(try get(cgi, plain.url("/length")).text == "hello, length")

        let notHTTP = OutboundClient(environment: ["https_proxy": "socks5://127.0.0.1:1080"])
        let unsupported = failure { _ = try get(notHTTP, origin.url("/length", scheme: "https")) }
        #expect(unsupported?.kind == .invalidRequest && unsupported?.description.contains("socks5://") == true, "\(String(describing: unsupported))")
    }

    @Test("exchanges started from async code run on at most maxThreads threads at once; the rest wait their turn")
    func threads() async throws {
        let server = try OriginServer(["origin"])
        let client = OutboundClient(environment: [:], maxThreads: 3)
        let request = OutboundRequest(url: server.url("/slow"), timeout: 30, maxResponseBytes: 100)
        let answers = try await withThrowingTaskGroup(of: OutboundResponse.self) { group in
            for _ in 0..<24 { group.addTask { try await client.send(request) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let most = answers.compactMap { Int($0.text) }.max()
        #expect(answers.count == 24 && answers.allSatisfy { $0.status == 200 })
        // Never more than three; at least two, or nothing ran side by side (a loaded CI machine
        // may not line up all three within one 0.2 s answer).
        #expect(most.map { (2...3).contains($0) } == true, "the origin saw at most \(String(describing: most)) at once")
    }

    @Test("a host that cannot be reached is named: a closed port, a name that does not resolve, a scheme that is not http")
    func unreachable() throws {
        let closed: Int = try {
            let server = try OriginServer(["origin"])
            return server.port
        }()
        let refused = failure { _ = try get(trusting, URL(string: "http://127.0.0.1:\(closed)/")!) }
        #expect(refused?.kind == .unreachable && refused?.description.contains("127.0.0.1:\(closed)") == true, "\(String(describing: refused))")
        let unknown = failure { _ = try get(trusting, URL(string: "https://no-such-host.invalid/")!) }
        #expect(unknown?.kind == .unreachable && unknown?.description.contains("no-such-host.invalid") == true, "\(String(describing: unknown))")
        let ftp = failure { _ = try get(trusting, URL(string: "ftp://127.0.0.1/file")!) }
        #expect(ftp?.kind == .invalidRequest, "\(String(describing: ftp))")
    }
}

private func sha256Hex(_ bytes: [UInt8]) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try? process.run()
    input.fileHandleForWriting.write(Data(bytes))
    try? input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}
