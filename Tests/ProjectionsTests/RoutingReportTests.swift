import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Projections
import Reports
import Testing

@Suite("Routing reports: current, history, diff, as of a seq before a change")
struct RoutingReportTests {
    /// The shipped policies, then video table v2 with social-short moved to seedance-1-pro.
    static func ledgerWithTableChange() throws -> (Studio, UInt64) {
        let studio = try Studio()
        let beforeChange = try studio.ledger.size()
        let folder = try PolicyFolder(directory: RepositoryFiles.path("policies"))
        let video = try #require(folder.tables.first { $0.table.name == "video" })
        guard case .object(var document) = video.document.value, case .array(var rules) = document["rules"] else {
            throw LedgerError(.badInput, "unexpected video table")
        }
        for i in rules.indices where rules[i]["id"] == "social-short" {
            guard case .object(var rule) = rules[i] else { continue }
            rule["primary"] = "seedance-1-pro"
            rules[i] = .object(rule)
        }
        document["rules"] = .array(rules)
        document["version"] = 2
        document["rationale"] = "seedance accepts more often"
        try studio.append(
            .routingTablePublished, "routing/video",
            [
                "table": "video", "version": 2, "document": .object(document),
                "digest": .string(PolicyDigest.of(.object(document))),
                "author": "routing@studio.example", "rationale": "seedance accepts more often",
            ])
        try studio.append(
            .modelStatusChanged, "model/veo-3.1",
            [
                "model": "veo-3.1", "status": "degraded", "failure_mode": "timeout", "effective": "2026-07-02",
                "reason": "incident",
            ])
        return (studio, beforeChange)
    }

    @Test("current: the version in force, inactive models, and the fallback therefore live")
    func current() throws {
        let (studio, beforeChange) = try Self.ledgerWithTableChange()
        let projections = Projections(studio.ledger)
        let now = try RoutingReports.current(projections, asOf: try studio.ledger.size())
        // The summary first: what is in force, and what runs on a fallback because of a model.
        #expect(now.sections[0].heading == "Summary")
        let summary = now.sections[0].paragraphs.joined(separator: "\n")
        #expect(summary.contains("2 tables in force: image v1") && summary.contains("video v2"), "\(summary)")
        #expect(summary.contains("video/hero-cinematic runs on sora-2-pro (veo-3.1 degraded: timeout)"), "\(summary)")
        #expect(now.data["notes"]?.arrayValue?.count == now.sections[0].paragraphs.count)
        let video = try #require(now.sections.first { $0.heading == "Table video v2" }?.table)
        let hero = try #require(video.texts.first { $0[0] == "hero-cinematic" })
        #expect(hero[4].hasPrefix("degraded (timeout") && hero[5] == "sora-2-pro (fallback for timeout)")
        #expect(video.texts.first { $0[0] == "social-short" }?[3] == "seedance-1-pro")
        let inactive = try #require(now.sections.last?.table?.texts.map { $0[0] })
        #expect(inactive == ["legacy-gen2", "veo-3.1"])

        // As of a seq before the change: v1, social-short on kling, veo active.
        let then = try RoutingReports.current(projections, asOf: beforeChange)
        let old = try #require(then.sections.first { $0.heading == "Table video v1" }?.table)
        #expect(old.texts.first { $0[0] == "social-short" }?[3] == "kling-2.5-turbo")
        #expect(old.texts.first { $0[0] == "hero-cinematic" }?[5] == "veo-3.1")
        let rootThen = try studio.ledger.rootHash(size: beforeChange).base64
        #expect(then.stamp.treeSize == beforeChange && then.stamp.root == rootThen)
        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("history lists every version; diff names the changed rule and field")
    func historyAndDiff() throws {
        let (studio, _) = try Self.ledgerWithTableChange()
        let projections = Projections(studio.ledger)
        let size = try studio.ledger.size()
        let history = try RoutingReports.history(projections, asOf: size)
        #expect(history.sections[0].heading == "Summary" && history.sections[0].paragraphs[0] == "3 versions of 2 tables.")
        #expect(history.sections[0].paragraphs[1].hasPrefix("The latest change: table video v2"))
        #expect(
            history.sections.first { $0.heading == "Versions" }?.table?.texts.map { "\($0[0]) \($0[1])" } == [
                "image v1", "video v1", "video v2",
            ])
        let diff = try RoutingReports.diff(projections, table: "video", from: 1, to: 2, asOf: size)
        #expect(diff.sections[0].heading == "Summary" && diff.sections[0].paragraphs[0].contains("social-short"))
        let rows = try #require(diff.sections.first { $0.heading == "Changes" }?.table?.texts)
        #expect(
            rows.contains {
                $0[0] == "social-short" && $0[2] == "primary" && $0[3] == "\"kling-2.5-turbo\"" && $0[4] == "\"seedance-1-pro\""
            })
        #expect(!rows.contains { $0[0] == "hero-cinematic" })
        #expect(throws: LedgerError.self) { try RoutingReports.diff(projections, table: "video", from: 1, to: 3, asOf: size) }
        #expect(try projections.check().mismatched.isEmpty)
    }

    @Test("every format renders: Markdown table, canonical JSON, CSV, self-contained HTML")
    func formats() throws {
        let (studio, _) = try Self.ledgerWithTableChange()
        let report = try RoutingReports.current(Projections(studio.ledger), asOf: try studio.ledger.size())
        #expect(report.rendered(as: .md).contains("| hero-cinematic |"))
        let json = try JSONParser.parse(report.rendered(as: .json))
        #expect(json["stamp"]?["tree_size"]?.integerValue == Int64(try studio.ledger.size()))
        // CSV: one file per table, a header row first; notes.csv carries the prose.
        let files = report.csvFiles()
        let video = try #require(files.first { $0.name.hasSuffix("-table-video-v2.csv") })
        #expect(video.text.hasPrefix("rule,match,tier,primary,") && video.text.contains("\r\nhero-cinematic,"))
        #expect(files.first?.name == "notes.csv" && files.first?.text.contains(report.stamp.line) == true)
        let html = report.rendered(as: .html)
        #expect(
            html.hasPrefix("<!DOCTYPE html>") && html.contains("<td>hero-cinematic</td>") && !html.contains("<script")
                && !html.contains(" src=") && !html.contains("<link"))
        // Every table sits in a box that scrolls sideways, so a wide one never widens the page;
        // one of more than eight columns is set smaller.
        #expect(html.contains("<div class=\"table\"><table><thead>"))
        let wide = ReportDocument(
            title: "wide", stamp: report.stamp,
            sections: [.init(heading: "h", table: .init(columns: (1...9).map { "c\($0)" }, rows: [(1...9).map { "\($0)" }]))],
            data: .null)
        #expect(wide.rendered(as: .html).contains("<div class=\"table\"><table class=\"dense\"><thead>"))
    }
}
