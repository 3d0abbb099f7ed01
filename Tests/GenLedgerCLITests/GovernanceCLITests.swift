import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// `policy`, `gate`, `route`, `simulate` and a governed `append`, run as a user runs them.
@Suite("genledger governance commands", .serialized)
struct GovernanceCLITests {
    /// A ledger in a fresh directory with the shipped policies published.
    static func published() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory("genledger-gov-cli")
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let publish = try GenLedgerProcess.run(["policy", "publish", RepositoryFiles.path("policies")], in: directory)
        #expect(publish.status == 0, "\(publish.stderr)")
        return directory
    }

    static func append(_ lines: [String], in directory: TemporaryDirectory) throws -> GenLedgerProcess.Result {
        try GenLedgerProcess.run(["append", "--json"], stdin: lines.joined(separator: "\n"), in: directory)
    }

    /// A social-short delivery deliverable (hard cap: 4 attempts) with attempt 1 generated;
    /// returns its asset.
    static func socialDeliverable(_ id: String, in directory: TemporaryDirectory) throws -> String {
        #expect(
            try append([EventLines.openDeliverable(id, category: "social-short", stage: "delivery")], in: directory).status == 0)
        let route = try GenLedgerProcess.run(["route", "--json"], stdin: #"{"deliverable":"\#(id)"}"#, in: directory)
        #expect(route.status == 0, "\(route.stderr)")
        let decision = try JSONParser.parse(route.stdout)
        let model = try #require(decision["model"]?.stringValue)
        let requested =
            #"{"type":"generation.requested","stream":"deliverable/\#(id)","payload":{"deliverable":"\#(id)","generation":"G1","attempt":1,"model":"\#(model)","model_version":"v","template":"tpl","template_version":1,"seed":5,"parameters":{"aspect_ratio":"9:16","duration_seconds":10},"routing_decision":"\#(decision["decision"]!.stringValue!)"}}"#
        let completed =
            #"{"type":"generation.completed","stream":"deliverable/\#(id)","payload":{"deliverable":"\#(id)","generation":"G1","asset":"\#(id)-A1","asset_sha256":"\#(String(repeating: "e", count: 64))","latency_ms":900}}"#
        let result = try append([requested, completed], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        return "\(id)-A1"
    }

    static func regeneration(_ id: String, prior: String) -> String {
        #"{"type":"regeneration.requested","stream":"deliverable/\#(id)","payload":{"deliverable":"\#(id)","prior_asset":"\#(prior)","reason":"rejected"}}"#
    }

    @Test("policy check passes the shipped folder and names file and line in a broken one")
    func policyCheck() throws {
        let directory = TemporaryDirectory("genledger-gov-cli")
        let ok = try GenLedgerProcess.run(["policy", "check", RepositoryFiles.path("policies")], in: directory)
        #expect(ok.status == 0 && ok.stdout.contains("routing table 'video' v1"), "\(ok.stdout)\(ok.stderr)")
        let copy = try RepositoryFiles.copyOfPolicies(in: directory)
        let video = (copy as NSString).appendingPathComponent("routing/video.yaml")
        try String(contentsOfFile: video, encoding: .utf8).replacingOccurrences(
            of: "primary: hailuo-02", with: "primary: hailuo-99"
        )
        .write(toFile: video, atomically: true, encoding: .utf8)
        let broken = try GenLedgerProcess.run(["policy", "check", copy], in: directory)
        #expect(broken.status == 65)
        #expect(
            broken.stderr.contains("routing/video.yaml:12, field 'rules[0].primary': model 'hailuo-99' is not in models.yaml"),
            "\(broken.stderr)")
    }

    @Test("policy publish appends the documents once; publishing again appends nothing")
    func publish() throws {
        let directory = try Self.published()
        let again = try GenLedgerProcess.run(["policy", "publish", RepositoryFiles.path("policies")], in: directory)
        #expect(again.status == 0 && again.stdout.contains("nothing to publish"))
        let log = try GenLedgerProcess.run(["log", "--type", "policy.published"], in: directory)
        #expect(log.stdout.split(separator: "\n").count == 1)
    }

    @Test("append refuses an event outside the vocabulary with line, type, field and reason, and appends nothing")
    func invalidEvent() throws {
        let directory = try Self.published()
        let before = try GenLedgerProcess.run(["log"], in: directory).stdout
        let bad =
            #"{"type":"deliverable.opened","stream":"deliverable/D-2","payload":{"deliverable":"D-2","category":"hero-video","stage":"delivery","modality":"text-to-video","platforms":[{"platform":"web","aspect_ratio":"wide"}]}}"#
        let result = try Self.append([EventLines.openCampaign("C-1"), bad], in: directory)
        #expect(result.status == 65)
        #expect(
            result.stderr.contains(
                "line 2, deliverable.opened, field 'payload.platforms[0].aspect_ratio': 'wide' is not an aspect ratio"),
            "\(result.stderr)")
        #expect(try GenLedgerProcess.run(["log"], in: directory).stdout == before)
    }

    @Test("gate check answers without appending: 0 when allowed, 4 when it would be denied")
    func gateCheck() throws {
        let directory = try Self.published()
        let asset = try Self.socialDeliverable("D-1", in: directory)
        let allowed = try GenLedgerProcess.run(["gate", "check"], stdin: Self.regeneration("D-1", prior: asset), in: directory)
        #expect(
            allowed.status == 0 && allowed.stdout.contains("allowed by policy 'governance' v1"),
            "\(allowed.stdout)\(allowed.stderr)")
        for _ in 0..<3 { #expect(try Self.append([Self.regeneration("D-1", prior: asset)], in: directory).status == 0) }
        let size = try GenLedgerProcess.run(["log"], in: directory).stdout.split(separator: "\n").count
        let denied = try GenLedgerProcess.run(
            ["gate", "check", "--json"], stdin: Self.regeneration("D-1", prior: asset), in: directory)
        #expect(denied.status == 4)
        let judgement = try JSONParser.parse(denied.stdout)
        #expect(
            judgement["outcome"] == "denied" && judgement["denial"]?["rule"] == "regeneration-cap" && judgement["version"] == 1)
        #expect(try GenLedgerProcess.run(["log"], in: directory).stdout.split(separator: "\n").count == size)
        let appended = try Self.append([Self.regeneration("D-1", prior: asset)], in: directory)
        #expect(
            appended.status == 4 && appended.stderr.contains("regeneration-cap")
                && appended.stderr.contains("recorded as policy.denied"))
    }

    @Test(
        "eight processes race for the last regenerations under one cap: exactly the allowed number lands, the rest are denied and recorded"
    )
    func raceForTheCap() throws {
        let directory = try Self.published()
        let asset = try Self.socialDeliverable("D-7", in: directory)
        let racers = try (0..<8).map { _ in
            try GenLedgerProcess.start(["append", "--json"], stdin: Self.regeneration("D-7", prior: asset) + "\n", in: directory)
        }
        var statuses: [Int32] = []
        for racer in racers {
            racer.process.waitUntilExit()
            statuses.append(racer.result().status)
        }
        #expect(statuses.filter { $0 == 0 }.count == 3, "cap 4 = attempt 1 + 3 regenerations; statuses \(statuses)")
        #expect(statuses.filter { $0 == 4 }.count == 5, "statuses \(statuses)")
        let ledger = try Ledger(opening: directory.path("genledger.db"))
        let stream = try ledger.events(stream: "deliverable/D-7")
        #expect(
            stream.filter { $0.type == "regeneration.requested" }.compactMap { $0.payload["attempt"]?.integerValue } == [2, 3, 4])
        #expect(stream.filter { $0.type == "policy.denied" }.count == 5)
        #expect(try ledger.verify().isValid)
    }

    @Test("route decides and records; --dry-run decides the same and appends nothing")
    func route() throws {
        let directory = try Self.published()
        let request = #"{"category":"hero-video","stage":"delivery","modality":"text-to-video","duration_seconds":30}"#
        let dry = try GenLedgerProcess.run(["route", "--dry-run"], stdin: request, in: directory)
        #expect(
            dry.status == 0 && dry.stdout.contains("veo-3.1") && dry.stdout.contains("dry run: nothing appended"),
            "\(dry.stdout)\(dry.stderr)")
        let size = try GenLedgerProcess.run(["log"], in: directory).stdout.split(separator: "\n").count
        try request.write(toFile: directory.path("request.json"), atomically: true, encoding: .utf8)
        let recorded = try GenLedgerProcess.run(["route", "--request", "request.json", "--json"], in: directory)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let decision = try JSONParser.parse(recorded.stdout)
        #expect(decision["seq"]?.integerValue == Int64(size + 1) && decision["rule"] == "hero-cinematic")
        let bad = try GenLedgerProcess.run(
            ["route", "--dry-run"], stdin: #"{"category":"hero-video","stage":"final","modality":"text-to-video"}"#, in: directory
        )
        #expect(bad.status == 65 && bad.stderr.contains("field 'stage'"), "\(bad.stderr)")
    }

    @Test("simulate writes a verifiable history; the same seed gives the same root")
    func simulate() throws {
        var roots: [String] = []
        for _ in 0..<2 {
            let directory = TemporaryDirectory("genledger-gov-cli")
            #expect(try GenLedgerProcess.run(["init", "--origin", "sim.example/log"], in: directory).status == 0)
            let result = try GenLedgerProcess.run(
                ["simulate", "--seed", "5", "--deliverables", "60", "--policies", RepositoryFiles.path("policies")], in: directory
            )
            #expect(result.status == 0, "\(result.stderr)")
            #expect(
                result.stdout.contains("deliverables 60") && result.stdout.contains("mid-history changes:"), "\(result.stdout)")
            let verify = try GenLedgerProcess.run(["verify", "--json"], in: directory)
            #expect(verify.status == 0)
            roots.append(try JSONParser.parse(verify.stdout)["root"]?.stringValue ?? "")
        }
        #expect(roots[0] == roots[1] && !roots[0].isEmpty)
    }
}
