import Foundation
import LedgerTestSupport
import Testing

/// The web pages in a real headless browser (Chromium from Debian, installed by `make test`):
/// each page is loaded from the live server, its rendered DOM checked, and a screenshot kept
/// under `.build/artifacts/pages/` for CI.
@Suite(.serialized) struct WebPageTests {
    static let artifacts = RepositoryFiles.path(".build/artifacts/pages")

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Runs headless Chromium on `url` with `mode` (`--dump-dom`, `--screenshot=FILE`).
    static func chromium(_ mode: [String], _ url: String) throws -> String {
        guard let binary = chromium else {
            throw BrowserMissing()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--window-size=1280,1600", "--virtual-time-budget=3000",
                "--user-data-dir=\(NSTemporaryDirectory())/genledger-chromium-\(UUID().uuidString)",
            ] + mode + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    struct BrowserMissing: Error, CustomStringConvertible {
        var description: String { "no Chromium: `make test` installs Debian's chromium package" }
    }

    @Test func pagesRenderInABrowser() async throws {
        let server = try LiveServer { setup in
            try setup.genledger([
                "simulate", "--seed", "5", "--deliverables", "60", "--months", "6", "--policies",
                RepositoryFiles.path("policies"),
            ])
            try setup.genledger(["checkpoint"])
        }
        let delivered = try await server.get("/v1/events?type=deliverable.delivered&limit=1000")
        let assets = (delivered.object["events"] as? [[String: Any]] ?? []).compactMap {
            ($0["payload"] as? [String: Any])?["asset"] as? String
        }
        let asset = try #require(assets.first { $0.contains("upscale") } ?? assets.first)
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let token = server.tokens["auditor"]!
        let pages: [(name: String, path: String, expected: [String])] = [
            ("index", "/pages", ["GenLedger", "Monthly cost audit", "routing history"]),
            ("routing-current", "/pages/routing/current", ["Routing", "video"]),
            ("routing-history", "/pages/routing/history", ["video", "v2"]),
            ("quarterly-2026-Q2", "/pages/reports/quarterly?quarter=2026-Q2", ["2026-Q2", "<svg", "kling-2.5-turbo"]),
            ("costs-2026-05", "/pages/reports/costs?month=2026-05", ["2026-05", "<svg", "true cost"]),
            ("compliance", "/pages/reports/compliance?from=2026-04-01&to=2026-09-30", ["locked-seed", "<svg"]),
            ("explain", "/pages/explain?asset=\(asset)", [asset, "<svg", "inclusion"]),
            ("deliverable", "/pages/reports/deliverables/D-000001", ["D-000001", "Spend by cost kind", "review time", "<svg"]),
            ("campaign", "/pages/reports/campaigns/C-0001", ["C-0001", "Deliverables", "total"]),
        ]
        for page in pages {
            let separator = page.path.contains("?") ? "&" : "?"
            let url = "http://127.0.0.1:\(server.port)\(page.path)\(separator)access_token=\(token)"
            let dom = try Self.chromium(["--dump-dom"], url)
            for text in page.expected {
                #expect(dom.localizedCaseInsensitiveContains(text), "\(page.name): the rendered page shows '\(text)'")
            }
            #expect(dom.contains("stamp") || page.name == "index", "\(page.name): stamped with the tree it was computed at")
            #expect(!dom.contains("\"error\""), "\(page.name) rendered without an error")
            let shot = "\(Self.artifacts)/\(page.name).png"
            try? FileManager.default.removeItem(atPath: shot)
            _ = try Self.chromium(["--screenshot=\(shot)"], url)
            let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(page.name): a screenshot with something in it (\(size) bytes)")
        }
        // Without a token the browser gets 401, not the page.
        let refused = try Self.chromium(["--dump-dom"], "http://127.0.0.1:\(server.port)/pages/routing/current")
        #expect(refused.contains("unauthenticated") && !refused.contains("<svg"))
    }
}
