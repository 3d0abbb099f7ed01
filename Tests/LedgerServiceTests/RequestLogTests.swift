import Foundation
import LedgerLog
@testable import LedgerService
import LedgerTestSupport
import Testing

/// The request log `genledger serve` writes on standard error (docs/WEB.md, "Request log"):
/// one line per request, its fields in a fixed order, the caller's name and never a secret, and
/// a hostile path unable to forge a line.
@Suite struct RequestLogTests {
    /// `2026-12-03T16:20:00.123456Z info genledger.requests: duration_ms=0.52 method=POST path=/v1/events status=201 token=writer:test`
    struct Line {
        let time: String
        let fields: [(key: String, value: String)]
        func value(_ key: String) -> String? { fields.first { $0.key == key }?.value }

        init?(_ text: Substring) {
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 8, parts[1] == "info", parts[2] == "genledger.requests:" else { return nil }
            time = String(parts[0])
            fields = parts[3...].map { part in
                let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(pair[0]), pair.count == 2 ? String(pair[1]) : "")
            }
        }
    }

    static func requestLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.contains(" genledger.requests: ") }
    }

    @Test func oneLinePerRequestInOrderWithTheCallersNameNeverItsSecret() async throws {
        let server = try LiveServer()
        let started = Date()
        #expect(try await server.post("/v1/events", "[\(EventLines.openCampaign("C-1"))]").status == 201)
        #expect(try await server.get("/v1/events?limit=1", role: "auditor").status == 200)
        #expect(try await server.get("/v1/events", role: nil).status == 401)
        #expect(try await server.get("/v1/nothing-here").status == 404)
        #expect(try await server.get("/healthz", role: nil).status == 200)
        #expect(server.terminate() == 0)
        let stderr = server.process.result().stderr

        let lines = Self.requestLines(stderr)
        #expect(lines.count == 5, "one line per request: \(stderr)")
        let parsed = lines.compactMap(Line.init)
        #expect(parsed.count == lines.count, "every line has the documented shape: \(lines)")
        for line in parsed {
            #expect(line.fields.map(\.key) == ["duration_ms", "method", "path", "status", "token"], "\(line.fields)")
            let duration = try #require(line.value("duration_ms"))
            #expect(duration.wholeMatch(of: /[0-9]+\.[0-9]{2}/) != nil && Double(duration)! < 60_000, "\(duration)")
            // UTC, microseconds, within the test's time.
            #expect(line.time.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z/) != nil)
            let time = try #require(ISO8601DateFormatter.withFraction.date(from: line.time))
            #expect(time >= started.addingTimeInterval(-1) && time <= Date().addingTimeInterval(1), "\(line.time)")
        }
        let summary = parsed.map { "\($0.value("method")!) \($0.value("path")!) \($0.value("status")!) \($0.value("token")!)" }
        #expect(
            summary == [
                "POST /v1/events 201 writer:test", "GET /v1/events 200 auditor:test", "GET /v1/events 401 -",
                "GET /v1/nothing-here 404 writer:test", "GET /healthz 200 -",
            ], "the query is left out; no caller is '-'")
        for (role, secret) in server.tokens {
            #expect(!stderr.contains(secret), "the \(role) token's secret is never logged")
        }
    }

    @Test func rawControlBytesInAPathAreRefusedBeforeAnyLine() async throws {
        let server = try LiveServer()
        // The HTTP parser refuses a request target with raw control or non-ASCII bytes (400,
        // before routing): such a request never reaches the log. A quote is legal and kept.
        for path in ["/v1/x\u{7F}y", "/v1/x\u{85}y", "/v1/x\u{2028}y", "/v1/x\ty"] {
            let connection = try RawConnection(port: server.port)
            connection.send(RawConnection.request("GET", path, token: server.tokens["writer"]!))
            let answer = String(decoding: connection.receive(), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(path.debugDescription): \(answer)")
        }
        let quoted = try RawConnection(port: server.port)
        quoted.send(RawConnection.request("GET", "/v1/x\"y%0Az=1", token: server.tokens["writer"]!))
        #expect(String(decoding: quoted.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 404"))
        #expect(server.terminate() == 0)
        let lines = Self.requestLines(server.process.result().stderr)
        #expect(lines.count == 1, "\(lines)")
        let line = try #require(lines.first.flatMap(Line.init))
        #expect(line.value("path") == "/v1/x\"y%0Az=1", "as the client sent it: \(line.fields)")
    }

    /// What the parser would let through is escaped anyway: a line is one line whatever a value
    /// holds.
    @Test func aValueCannotBreakOrForgeALine() throws {
        let time = try Timestamp(rfc3339: "2026-12-03T16:20:00.123456Z")
        func line(path: String, caller: String? = "writer:test", seconds: Double = 0.000523) -> String {
            String(
                decoding: RequestLog.line(method: "GET", path: path, status: 404, seconds: seconds, caller: caller, at: time),
                as: UTF8.self)
        }
        #expect(
            line(path: "/v1/events")
                == "2026-12-03T16:20:00.123456Z info genledger.requests: duration_ms=0.52 method=GET path=/v1/events status=404 token=writer:test\n"
        )
        let hostile = line(path: "/v1/a b\n2026-12-03T00:00:00Z info genledger.requests: x\u{7F}\u{85}\u{2028}\u{2029}é\u{0}")
        #expect(hostile.filter { $0 == "\n" }.count == 1 && hostile.last == "\n")
        #expect(
            hostile.contains(
                " path=/v1/a%20b%0A2026-12-03T00:00:00Z%20info%20genledger.requests:%20x%7F%C2%85%E2%80%A8%E2%80%A9é%00 status=404 "),
            "\(hostile)")
        #expect(line(path: "", caller: nil).contains(" path=- status=404 token=-\n"))
        #expect(line(path: "/", caller: "ré:viewer").hasSuffix(" token=ré:viewer\n"), "letters stay as they are")
        #expect(line(path: "/", seconds: 12.345678).contains("duration_ms=12345.68 "))
        #expect(line(path: "/", seconds: -1).contains("duration_ms=0.00 "))
        #expect(line(path: "/", seconds: .nan).contains("duration_ms=0.00 "))
    }

    @Test func noRequestLogWritesNone() async throws {
        let server = try LiveServer(arguments: ["--no-request-log"])
        #expect(try await server.get("/healthz", role: nil).status == 200)
        #expect(try await server.post("/v1/events", "[\(EventLines.openCampaign("C-1"))]").status == 201)
        #expect(server.terminate() == 0)
        #expect(Self.requestLines(server.process.result().stderr).isEmpty)
    }
}

extension ISO8601DateFormatter {
    fileprivate static var withFraction: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
