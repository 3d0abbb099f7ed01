import Foundation
import LedgerTestSupport
import Testing

/// Inputs built to exhaust the server, each refused within a bound measured from /proc.
@Suite("Service: hostile input stays bounded")
struct HostileInputTests {
    /// Peak resident memory (VmHWM) of a process, in KiB.
    static func peakKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty }.map(String.init) ?? "") ?? 0
    }

    @Test func aliasChainInAReplayBodyIsRefusedWithoutExpanding() async throws {
        let server = try LiveServer()
        let pid = server.process.process.processIdentifier
        _ = try await server.get("/v1/routing/current", role: "auditor")
        let page = try await server.get("/pages/routing/current", role: "auditor")
        #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true, "pages carry a strict CSP")
        let before = try Self.peakKiB(pid)
        var yaml = "x1: &a1 [1,1,1,1,1,1,1,1,1]\n"
        for level in 2...8 {
            yaml += "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]\n"
        }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["routing": yaml]), as: UTF8.self)
        let started = ContinuousClock.now
        let reply = try await server.post("/v1/replay", body, role: "auditor")
        let elapsed = ContinuousClock.now - started
        #expect(reply.status == 422 && reply.text.contains("anchors and aliases"), "\(reply.text)")
        // Generous for a loaded CI machine; expanding 43 million nodes would take minutes and GiBs.
        #expect(elapsed < .seconds(30), "refused at the first anchor, not after expanding 43 million nodes")
        let after = try Self.peakKiB(pid)
        // docs/API.md: a refused YAML body costs the server no more than 64 MiB beyond its size.
        #expect(after - before < 64 * 1024, "peak memory grew by \(after - before) KiB")
    }
}
