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
    static func chromium(_ mode: [String], _ url: String, height: Int = 1600) throws -> String {
        guard let binary = chromium else {
            throw BrowserMissing()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--window-size=1280,\(height)", "--virtual-time-budget=3000",
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
        // Tokens never go in addresses: each page is fetched with the auditor's bearer header and
        // rendered by the browser from a file (the pages are self-contained: inline CSS and SVG).
        // Logging in through the form is clients/python/tests/test_web_app.py's (Selenium).
        let directory = NSTemporaryDirectory() + "genledger-pages-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for page in pages {
            let fetched = try await server.get(page.path, role: "auditor")
            #expect(fetched.status == 200, "\(page.name): \(fetched.text.prefix(200))")
            let file = "\(directory)/\(page.name).html"
            try fetched.text.write(toFile: file, atomically: true, encoding: .utf8)
            let url = "file://\(file)"
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
        // Without a session the browser is sent to log in, and sees no page.
        let refused = try Self.chromium(["--dump-dom"], "http://127.0.0.1:\(server.port)/pages/routing/current")
        #expect(refused.contains("Log in with the token") && !refused.contains("<svg"))
        _ = token
    }

    /// Measures a page's layout in Chromium at 1280 × 900: the page's width, every table wider
    /// than the window that does not sit in its scroll box, and where the summary starts.
    static let measure = """
        <script>
        window.addEventListener('load', () => {
          const out = {pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth, fold: window.innerHeight, loose: [], summary: null};
          for (const table of document.querySelectorAll('table')) {
            const box = table.parentElement;
            const scrolls = box && box.classList.contains('table') && getComputedStyle(box).overflowX === 'auto'
              && box.getBoundingClientRect().right <= window.innerWidth + 1;
            const column = document.body.getBoundingClientRect().width - parseFloat(getComputedStyle(document.body).paddingLeft)
              - parseFloat(getComputedStyle(document.body).paddingRight);
            out.widest = Math.max(out.widest || 0, table.offsetWidth);
            if ((table.offsetWidth > column + 1 || table.getBoundingClientRect().right > window.innerWidth + 1) && !scrolls)
              out.loose.push(table.rows[0].innerText.slice(0, 80));
          }
          const heading = [...document.querySelectorAll('h2')].find(h => h.textContent === 'Summary');
          const first = heading && heading.nextElementSibling;
          if (first) out.summary = {top: heading.getBoundingClientRect().top, firstLine: first.getBoundingClientRect().top + 20};
          const pre = document.createElement('pre'); pre.id = 'layout'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
        });
        </script>
        """

    @Test("at 1280 px every report opens with its summary above the fold, and no table is wider than the page outside its scroll box")
    func reportsFitTheWindow() async throws {
        let server = try LiveServer { setup in
            try setup.genledger([
                "simulate", "--seed", "5", "--deliverables", "60", "--months", "6", "--policies", RepositoryFiles.path("policies"),
            ])
            try setup.genledger(["checkpoint"])
        }
        let pages = [
            "/pages/reports/quarterly?quarter=2026-Q2", "/pages/reports/costs?month=2026-05",
            "/pages/reports/compliance?from=2026-04-01&to=2026-09-30", "/pages/explain?asset=D-000001",
            "/pages/reports/deliverables/D-000001", "/pages/reports/campaigns/C-0001", "/pages/routing/current",
            "/pages/routing/history",
        ]
        let directory = NSTemporaryDirectory() + "genledger-layout-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (index, path) in pages.enumerated() {
            let page = try await server.get(path, role: "auditor")
            #expect(page.status == 200, "\(path): \(page.text.prefix(300))")
            let file = "\(directory)/\(index).html"
            try page.text.replacingOccurrences(of: "</body>", with: Self.measure + "</body>").write(
                toFile: file, atomically: true, encoding: .utf8)
            let dom = try Self.chromium(["--dump-dom"], "file://\(file)", height: 900)
            guard let start = dom.range(of: "<pre id=\"layout\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex)
            else {
                Issue.record("\(path): the measurement did not run")
                continue
            }
            let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
            let layout = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let viewport = layout["viewport"] as? Int ?? 0
            #expect(viewport == 1280, "\(path): measured at 1280 px")
            #expect((layout["pageWidth"] as? Int ?? .max) <= viewport, "\(path): the page is no wider than the window")
            #expect((layout["loose"] as? [String])?.isEmpty == true, "\(path): tables outside their scroll box: \(layout["loose"] ?? "")")
            let summary = layout["summary"] as? [String: Any]
            let fold = layout["fold"] as? Double ?? Double(layout["fold"] as? Int ?? 0)
            let firstLine = (summary?["firstLine"] as? Double) ?? Double(summary?["firstLine"] as? Int ?? .max)
            #expect(summary != nil && firstLine < fold, "\(path): the summary starts above the fold (\(summary ?? [:]), fold \(fold))")
        }
    }
}
