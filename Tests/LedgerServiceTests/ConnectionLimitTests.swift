import Foundation
import LedgerTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What a client can hold of the server is bounded: slow or missing headers, idle kept-alive
/// connections, too many connections, and a subscriber that stops reading (docs/API.md, Limits).
@Suite("Service: connection deadlines, the connection cap, and shutdown whatever clients do", .serialized)
struct ConnectionLimitTests {
    /// Blocks until the server closes the connection (or `limit` passes); returns how long it took.
    static func secondsUntilClosed(_ connection: RawConnection, limit: Double = 20) -> Double {
        let started = Date()
        while Date().timeIntervalSince(started) < limit {
            if connection.receive().isEmpty { break }
        }
        return Date().timeIntervalSince(started)
    }

    @Test func slowHeadersAndIdleConnectionsAreClosed() async throws {
        let server = try LiveServer(arguments: ["--header-timeout", "1", "--idle-timeout", "1", "--body-timeout", "1"])
        // Nothing sent at all.
        let silent = try RawConnection(port: server.port)
        let idle = Self.secondsUntilClosed(silent)
        #expect(idle >= 0.8 && idle < 5, "an idle socket is closed after the header timeout (\(idle) s)")
        // Headers begun, never finished.
        let slow = try RawConnection(port: server.port)
        slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        let partial = Self.secondsUntilClosed(slow)
        #expect(partial >= 0.8 && partial < 5, "a request whose headers never end is closed (\(partial) s)")
        // A body promised and never sent in full.
        let body = try RawConnection(port: server.port)
        body.send(
            "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.tokens["writer"]!)\r\nContent-Length: 100\r\n\r\n[{\"type\"")
        let stalledBody = Self.secondsUntilClosed(body)
        #expect(stalledBody >= 0.8 && stalledBody < 5, "a body that never ends is closed after the body timeout (\(stalledBody) s)")
        // A whole request is answered; the kept-alive connection is then closed when idle.
        let kept = try RawConnection(port: server.port)
        kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let answer = String(decoding: kept.receive(), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        let afterAnswer = Self.secondsUntilClosed(kept)
        #expect(afterAnswer >= 0.8 && afterAnswer < 5, "closed after the idle timeout (\(afterAnswer) s)")
        #expect(try await server.get("/healthz").status == 200)
    }

    /// One timer per connection, set again when it fires before a deadline that moved later, and
    /// moved earlier when a shorter phase begins. The margins are wide: CI runs suites side by
    /// side on two cores, and a sleep there can take seconds longer than asked (a run at 12 s
    /// of idle timeout once saw the idle deadline pass during two 2-second sleeps).
    @Test func deadlinesFollowThePhaseTheConnectionIsIn() async throws {
        let server = try LiveServer(arguments: ["--header-timeout", "1", "--idle-timeout", "60", "--body-timeout", "1"])
        let kept = try RawConnection(port: server.port)
        kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(String(decoding: kept.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        // Past the header timeout counted from the connection's start, well within the idle
        // timeout: the connection is still open and answers.
        try await Task.sleep(for: .seconds(2))
        kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(String(decoding: kept.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 200"), "answered 2 s in")

        // Idle again, its timer now set for the idle deadline (60 s), then a request whose body
        // stalls: the body timeout (1 s) decides, the timer moved earlier.
        try await Task.sleep(for: .seconds(2))
        kept.send(
            "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.tokens["writer"]!)\r\nContent-Length: 100\r\n\r\n[{")
        let body = Self.secondsUntilClosed(kept)
        #expect(body >= 0.8 && body < 6, "closed after the body timeout, well before the idle one (\(body) s)")
    }

    @Test func connectionsPastTheCapAreAnswered503AndClosed() async throws {
        let server = try LiveServer(arguments: ["--max-connections", "4", "--header-timeout", "60"])
        var held = try (0..<4).map { _ in try RawConnection(port: server.port) }
        try await Task.sleep(for: .milliseconds(300))
        let extra = try RawConnection(port: server.port)
        let refusal = String(decoding: extra.receive(), as: UTF8.self)
        #expect(refusal.hasPrefix("HTTP/1.1 503"), "\(refusal)")
        #expect(extra.receive().isEmpty, "and closed")
        // Give one back: a new client is served again.
        held.removeLast()
        try await Task.sleep(for: .milliseconds(300))
        let served = try RawConnection(port: server.port)
        served.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(String(decoding: served.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        #expect(held.count == 3)
        held.removeAll()  // so the server's shutdown at the end of the test does not wait on them
    }

    @Test func aSubscriberThatStopsReadingIsDisconnectedAndGivesBackItsPlace() async throws {
        let server = try LiveServer(arguments: ["--stall-timeout", "1", "--max-subscribers", "1", "--max-body", "4194304"])
        let stalled = try RawConnection(port: server.port)
        var small: Int32 = 4096
        setsockopt(stalled.socket, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        stalled.send(RawConnection.request("GET", "/v1/events/stream?after=0", token: server.tokens["auditor"]!))
        try await Task.sleep(for: .milliseconds(300))
        // The one place is taken.
        let second = try await server.get("/v1/events/stream?after=999999999", role: "auditor")
        #expect(second.status == 503 && second.error("code") as? String == "too-many-subscribers", "\(second.text.prefix(200))")
        // Far more than the kernel's socket buffers (a few MB on loopback) and the 64 KiB send
        // buffer hold, while it reads nothing: 160 events of 64 KB.
        let name = String(repeating: "n", count: 64_000)
        for batch in 0..<16 {
            let events = (0..<10).map {
                #"{"type":"campaign.opened","stream":"campaign/C-T\#(batch)-\#($0)","payload":{"campaign":"C-T\#(batch)-\#($0)","name":"\#(name)"}}"#
            }
            #expect(try await server.post("/v1/events", "[" + events.joined(separator: ",") + "]").status == 201)
        }
        // Disconnected after the stall timeout: its place is free again.
        var freed = false
        for _ in 0..<100 where !freed {
            try await Task.sleep(for: .milliseconds(200))
            let probe = try RawConnection(port: server.port)
            // From seq 0: the answer's head goes out with the first events, at once.
            probe.send(RawConnection.request("GET", "/v1/events/stream?after=0", token: server.tokens["auditor"]!))
            freed = String(decoding: probe.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 200")
        }
        #expect(freed, "the stalled subscriber was dropped and its place given back")
        _ = stalled.socket
    }

    @Test func sigtermExitsWithinTheDeadlineDespiteAStalledSubscriberAndKeepsEveryAcknowledgedEvent() async throws {
        let server = try LiveServer(arguments: ["--shutdown-deadline", "2", "--max-body", "4194304"])
        // A subscriber that asks for the stream and then never reads.
        let stalled = try RawConnection(port: server.port)
        var small: Int32 = 4096
        setsockopt(stalled.socket, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        stalled.send(RawConnection.request("GET", "/v1/events/stream?after=0", token: server.tokens["auditor"]!))
        // Enough events that the server's writes to it block: 40 × 64 KB.
        var acknowledged: [String] = []
        let name = String(repeating: "n", count: 64_000)
        for batch in 0..<4 {
            let ids = (0..<10).map { "C-S\(batch)-\($0)" }
            let events = ids.map {
                #"{"type":"campaign.opened","stream":"campaign/\#($0)","payload":{"campaign":"\#($0)","name":"\#(name)"}}"#
            }
            let reply = try await server.post("/v1/events", "[" + events.joined(separator: ",") + "]")
            #expect(reply.status == 201, "\(reply.text.prefix(200))")
            if reply.status == 201 { acknowledged += ids }
        }
        try await Task.sleep(for: .milliseconds(500))
        let started = Date()
        kill(server.process.process.processIdentifier, SIGTERM)
        while server.process.process.isRunning && Date().timeIntervalSince(started) < 20 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let took = Date().timeIntervalSince(started)
        #expect(!server.process.process.isRunning, "the server exits")
        #expect(took < 9, "within the 2 s deadline and its margin (\(took) s)")
        #expect(server.process.process.terminationStatus == 0)
        let setup = LiveServer.Setup(directory: server.directory, ledgerPath: server.ledgerPath)
        let log = try setup.genledger(["log", "--type", "campaign.opened", "--json"])
        for id in acknowledged { #expect(log.contains(#""campaign":"\#(id)""#), "\(id) was acknowledged and is in the ledger") }
        _ = stalled.socket
    }
}
