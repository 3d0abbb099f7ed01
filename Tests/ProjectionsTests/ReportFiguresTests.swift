import Foundation
import Governance
import LedgerLog
import Projections
import Reports
import Testing

/// One formatting function per kind of figure: what a reader sees, what a spreadsheet reads.
@Suite("Report figures: one rounding rule, units named, plain numbers for CSV")
struct ReportFiguresTests {
    typealias Cell = ReportDocument.Cell

    @Test("money is rounded from exact micro-units to cents, half away from zero, grouped for reading, plain for CSV")
    func money() {
        // 56.135 is below 56.135 as a binary double: "%.2f" of micros / 1e6 printed 56.13 where a
        // chart rounding the same double printed 56.14. From integers there is one answer.
        #expect(String(format: "%.2f", 56_135_000.0 / 1e6) == "56.13")
        #expect(Cell.money(Int64(56_135_000)).text == "56.14" && Cell.money(Int64(56_134_999)).text == "56.13")
        #expect(Cell.money(Int64(-5_000)).text == "-0.01" && Cell.money(Int64(-4_999)).text == "0.00")
        #expect(Cell.money(Int64(98_937_000_000)).text == "98,937.00" && Cell.money(Int64(98_937_000_000)).plain == "98937.00")
        #expect(Cell.money(Int64(4_585_000_000)).value == 4585 && Cell.money(Int64(4_585_000_000)).text == "4,585.00")
        #expect(Cell.money(Double?.none) == .missing && Cell.missing.plain.isEmpty)
        #expect(moneyText(1_234_560_000, "EUR") == "1,234.56 EUR")
    }

    @Test("percentages, percentage points and relative changes are told apart")
    func rates() {
        #expect(Cell.percent(0.526).text == "52.6%" && Cell.percent(0.526).plain == "52.6")
        #expect(Cell.points(0.002).text == "+0.2 pt" && Cell.points(-0.076).text == "-7.6 pt" && Cell.points(0.002).plain == "0.2")
        #expect(Cell.relative(0.076).text == "+7.6%")
        #expect(Cell.decimal(1.4).text == "1.40" && Cell.decimal(0.25, signed: true).text == "+0.25")
    }

    @Test("a chart's figure reads exactly as the table's; in Markdown with its unit")
    func chartAndTableAgree() throws {
        let stamp = ReportDocument.Stamp(origin: "o", treeSize: 1, root: "r", signedCheckpoint: false)
        let figure = Cell.money(Int64(56_135_000))
        let document = ReportDocument(
            title: "t", stamp: stamp,
            sections: [
                .init(
                    heading: "By model (USD)", table: .init(columns: ["model", "spend (USD)"], rows: [[Cell("gpt-image-1"), figure]]),
                    chart: .init(title: "Spend", unit: "USD", bars: [("gpt-image-1", figure)])),
                .init(heading: "Chart only", chart: .init(title: "Share", unit: "%", bars: [("a", .percent(0.5))])),
            ], data: .null)
        let html = document.rendered(as: .html)
        #expect(html.contains("<td>56.14</td>") && html.contains(">56.14 USD</text>"))
        #expect(!html.contains("56.13"))
        // CSV: notes.csv, then one file per table; a chart without a table becomes one.
        let files = document.csvFiles()
        #expect(files.map(\.name) == ["notes.csv", "01-by-model-usd.csv", "02-chart-only.csv"])
        #expect(files[1].text == "model,spend (USD)\r\ngpt-image-1,56.14\r\n")
        #expect(files[2].text == "label,value (%)\r\na,50.0\r\n")
        let json = try JSONParser.parse(document.rendered(as: .json))
        #expect(json["sections"]?.arrayValue?[0]["chart"]?["bars"]?.arrayValue?[0]["text"]?.stringValue == "56.14")
    }

    @Test("a quarter's days, also for year 0 (a fuzzed quarter once crashed the service)")
    func quarterDays() throws {
        let q3 = try #require(Quarter("2026-Q3"))
        #expect(q3.days.first.description == "2026-07-01" && q3.days.last.description == "2026-09-30")
        #expect(Quarter("2026-Q1")!.days.last.description == "2026-03-31")
        let zero = try #require(Quarter("0000-Q1"))
        #expect(zero.days.first.description == "0000-01-01" && zero.bounds.start.hasPrefix("0000-01-01T"))
    }
}
