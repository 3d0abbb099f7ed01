import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

/// YAML a hostile author could write: refused at its first anchor, tag or merge key, or at a
/// documented limit, before it costs memory or time (docs/POLICIES.md, Reading rules).
@Suite("Hostile YAML: aliases, anchors, tags, merge keys and size limits are refused, fast")
struct HostileYAMLTests {
    /// A nine-fold alias chain `depth` deep: expanded, 9^depth nodes.
    static func aliasChain(depth: Int) -> String {
        var text = "x1: &a1 [1,1,1,1,1,1,1,1,1]\n"
        for level in 2...depth {
            text += "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]\n"
        }
        return text
    }

    static func refusal(_ yaml: String, limits: YAMLLimits = .standard) -> GovernanceError? {
        do {
            _ = try PolicyDocument(yaml: yaml, file: "t.yaml", limits: limits)
            return nil
        } catch let error as GovernanceError {
            return error
        } catch {
            return nil
        }
    }

    @Test(
        "each construct is refused naming file, line and field",
        arguments: [
            ("a: 1\nb: &x 2\n", 2, "b", "anchors and aliases"),
            ("a: &x [1]\nb: *x\n", 1, "a", "anchors and aliases"),
            ("a: !!binary aGVsbG8=\n", 1, "a", "tags"),
            ("a: !!python/object:os.system [ls]\n", 1, "a", "tags"),
            ("a: !!str \"quoted\"\n", 1, "a", "tags"),
            ("a: {b: 1}\nc:\n  <<: {d: 2}\n", 3, "c", "merge keys"),
        ])
    func refused(yaml: String, line: Int, field: String, reason: String) throws {
        let error = try #require(Self.refusal(yaml), "\(yaml) was accepted")
        #expect(error.code == .invalidPolicy && error.file == "t.yaml")
        #expect(error.line == line && error.field == field, "\(error)")
        #expect(error.message.contains(reason), "\(error)")
    }

    @Test("a nine-fold alias chain six deep (531 441 nodes expanded) is refused at its first anchor, in milliseconds")
    func aliasBomb() throws {
        let started = ContinuousClock.now
        let error = try #require(Self.refusal(Self.aliasChain(depth: 6)))
        #expect(error.line == 1 && error.message.contains("anchors and aliases"), "\(error)")
        #expect(ContinuousClock.now - started < .seconds(2), "refused before anything was expanded")
    }

    @Test("size, node count and depth are bounded, each with its own message")
    func limits() throws {
        let big = String(repeating: "# padding\n", count: 120_000)
        #expect(Self.refusal(big)?.message.contains("the limit is 1048576") == true)
        let many = "a: [" + Array(repeating: "1", count: 60).joined(separator: ",") + "]\n"
        #expect(Self.refusal(many, limits: YAMLLimits(maxNodes: 50))?.message.contains("more than 50 nodes") == true)
        let deep = "a: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n"
        #expect(Self.refusal(deep)?.message.contains("deeper than 32 levels") == true)
        // Within the limits, the same shapes read.
        #expect(Self.refusal("a: " + String(repeating: "[", count: 20) + String(repeating: "]", count: 20) + "\n") == nil)
    }

    @Test("policy check refuses an alias chain in a file, and a file over the size limit without reading it")
    func throughTheCommandLine() throws {
        let directory = TemporaryDirectory("genledger-hostile-yaml")
        let policies = try RepositoryFiles.copyOfPolicies(in: directory)
        let governance = (policies as NSString).appendingPathComponent("governance.yaml")
        let original = try String(contentsOfFile: governance, encoding: .utf8)
        try (original + Self.aliasChain(depth: 6)).write(toFile: governance, atomically: true, encoding: .utf8)
        let bomb = try GenLedgerProcess.run(["policy", "check", policies], in: directory)
        #expect(bomb.status == 65 && bomb.stderr.contains("governance.yaml:") && bomb.stderr.contains("anchors and aliases"), "\(bomb.stderr)")
        try (original + String(repeating: "# padding\n", count: 120_000)).write(toFile: governance, atomically: true, encoding: .utf8)
        let huge = try GenLedgerProcess.run(["policy", "check", policies], in: directory)
        #expect(huge.status == 65 && huge.stderr.contains("the limit is 1048576"), "\(huge.stderr)")
        let raised = try GenLedgerProcess.run(["policy", "check", policies, "--max-yaml-bytes", "4194304"], in: directory)
        #expect(raised.status == 0, "\(raised.stderr)")
    }
}
