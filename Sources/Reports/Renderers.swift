import Foundation
import LedgerLog

/// The four forms of every report.
public enum ReportFormat: String, CaseIterable, Sendable {
    case md
    case json
    case csv
    case html
}

extension ReportDocument {
    /// The report as one text: Markdown, JSON or HTML. CSV is one file per table
    /// (`csvFiles`), never several tables in one file.
    public func rendered(as format: ReportFormat) -> String {
        switch format {
        case .md: markdown
        case .json: CanonicalJSON.string(of: json) + "\n"
        case .csv: preconditionFailure("CSV is written as one file per table: use csvFiles()")
        case .html: html
        }
    }

    var json: JSONValue {
        var document: [String: JSONValue] = [
            "title": .string(title),
            "stamp": [
                "origin": .string(stamp.origin), "tree_size": .number(Double(stamp.treeSize)), "root": .string(stamp.root),
                "signed_checkpoint": .bool(stamp.signedCheckpoint),
            ],
            "data": data,
            "sections": .array(
                sections.map { section in
                    var object: [String: JSONValue] = [
                        "heading": .string(section.heading), "paragraphs": .array(section.paragraphs.map(JSONValue.string)),
                    ]
                    if let table = section.table {
                        object["columns"] = .array(table.columns.map(JSONValue.string))
                        object["rows"] = .array(table.rows.map { .array($0.map { .string($0.text) }) })
                    }
                    if let chart = section.chart {
                        object["chart"] = [
                            "title": .string(chart.title), "unit": .string(chart.unit),
                            "series": .array(chart.series.map(JSONValue.string)),
                            "bars": .array(
                                chart.bars.map {
                                    [
                                        "label": .string($0.label), "text": .string($0.figure.text),
                                        "value": $0.figure.value.map(JSONValue.number) ?? .null,
                                        "series": .string(chart.series.isEmpty ? "" : chart.series[$0.series]),
                                    ]
                                }),
                        ]
                    }
                    return .object(object)
                }),
        ]
        if let emptyPeriod { document["empty_period"] = .string(emptyPeriod) }
        return .object(document)
    }

    var markdown: String {
        var out = "# \(title)\n\n_\(stamp.line)_\n"
        for section in sections {
            out += "\n## \(section.heading)\n\n"
            for paragraph in section.paragraphs { out += paragraph + "\n\n" }
            if let chart = section.chart, section.table == nil {
                out += "\(chart.title):\n\n"
                for bar in chart.bars {
                    let series = chart.series.isEmpty ? "" : " (\(chart.series[bar.series]))"
                    out += "- \(bar.label)\(series): \(Self.figureText(bar.figure, unit: chart.unit))\n"
                }
            }
            if let table = section.table {
                out += "| " + table.columns.map(Self.markdownCell).joined(separator: " | ") + " |\n"
                out += "|" + String(repeating: "---|", count: table.columns.count) + "\n"
                for row in table.rows { out += "| " + row.map { Self.markdownCell($0.text) }.joined(separator: " | ") + " |\n" }
                if table.rows.isEmpty {
                    out += "| " + Array(repeating: "—", count: table.columns.count).joined(separator: " | ") + " |\n"
                }
            }
        }
        return out
    }

    /// A figure with its unit, as a chart labels it: "56.13 USD", "52.6%", "1.40 ×".
    static func figureText(_ figure: Cell, unit: String) -> String {
        figure.text == Cell.missing.text || unit.isEmpty || unit == "%" ? figure.text : figure.text + " " + unit
    }

    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// The CSV form (RFC 4180): one file per table, named by its position and heading
    /// (`02-by-model.csv`), with a header row and plain numbers (no units, no grouping; a
    /// percentage is its number, the column says "%"); a chart without a table becomes a table;
    /// `notes.csv` carries the title, the stamp and every paragraph.
    public func csvFiles() -> [(name: String, text: String)] {
        func file(_ rows: [[String]]) -> String {
            rows.map { $0.map(Self.csvCell).joined(separator: ",") + "\r\n" }.joined()
        }
        var notes: [[String]] = [["section", "note"], ["", title], ["", stamp.line]]
        if let emptyPeriod { notes.append(["", emptyPeriod]) }
        var files: [(name: String, text: String)] = []
        for (index, section) in sections.enumerated() {
            for paragraph in section.paragraphs { notes.append([section.heading, paragraph]) }
            guard let table = section.table ?? section.chart?.table else { continue }
            let name = String(format: "%02d-", index + 1) + Self.slug(section.heading) + ".csv"
            files.append((name, file([table.columns] + table.rows.map { $0.map(\.plain) })))
        }
        return [("notes.csv", file(notes))] + files
    }

    /// Lower-case words joined by hyphens: "By model (USD)" → "by-model-usd".
    static func slug(_ heading: String) -> String {
        var out = ""
        for scalar in heading.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty && !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "table" : String(out.prefix(60))
    }

    static func csvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A self-contained page: inline CSS, inline SVG charts, no scripts, no external resources.
    var html: String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1d232a;padding:0 1rem}
            table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-variant-numeric:tabular-nums}
            th,td{border-bottom:1px solid #d8dde3;padding:.3rem .6rem;text-align:left;vertical-align:top}
            td.token{overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:12px}
            .table{overflow-x:auto;max-width:100%} table.dense{font-size:12px}
            th{background:#f3f5f7} .stamp{color:#57606a;font-size:12px} svg text{font:11px system-ui,sans-serif}
            </style></head><body>
            <h1>\(Self.escape(title))</h1><p class="stamp">\(Self.escape(stamp.line))</p>

            """
        for section in sections {
            out += "<h2>\(Self.escape(section.heading))</h2>\n"
            for paragraph in section.paragraphs { out += "<p>\(Self.escape(paragraph))</p>\n" }
            if let chart = section.chart { out += Self.svg(chart) }
            if let graph = section.graph { out += Self.svg(graph) }
            if let table = section.table {
                // A wide table scrolls inside its box rather than pushing the page past the window.
                out += "<div class=\"table\"><table\(table.columns.count > 8 ? " class=\"dense\"" : "")><thead><tr>"
                out += table.columns.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
                for row in table.rows { out += "<tr>" + row.map { Self.cell($0.text) }.joined() + "</tr>\n" }
                out += "</tbody></table></div>\n"
            }
        }
        return out + "</body></html>\n"
    }

    /// A table cell. A long unbroken token (a hash, a Merkle root) may wrap anywhere, so a table
    /// citing hashes still fits the page.
    static func cell(_ text: String) -> String {
        let isToken = text.utf8.count > 24 && !text.contains(" ")
        return (isToken ? "<td class=\"token\">" : "<td>") + escape(text) + "</td>"
    }

    /// Text made safe inside HTML elements and attribute values.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Colours of the series, in order (distinguishable in grey scale too).
    static let seriesColours = ["#3b82c4", "#e08a2c", "#5a9e5a", "#8c6bb1"]

    /// Horizontal bars, scaled to the largest value; with several series, bars of one label
    /// sit together, each series in its colour, and a legend names them.
    static func svg(_ chart: Chart) -> String {
        let barHeight = 18.0
        let labelWidth = 250.0
        let plotWidth = 420.0
        let legend = chart.series.isEmpty ? 0.0 : 22.0
        let height = Double(chart.bars.count) * (barHeight + 6) + 30 + legend
        let top = max(chart.bars.compactMap(\.figure.value).max() ?? 0, 1e-9)
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + plotWidth + 110))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(chart.title))\">\n"
        out += "<text x=\"0\" y=\"14\" font-weight=\"bold\">\(escape(chart.title))</text>\n"
        var x = labelWidth
        for (i, name) in chart.series.enumerated() {
            out += "<g class=\"legend\"><rect x=\"\(Int(x))\" y=\"24\" width=\"12\" height=\"12\" fill=\"\(seriesColours[i % seriesColours.count])\"/>"
            out += "<text x=\"\(Int(x + 16))\" y=\"34\">\(escape(name))</text></g>\n"
            x += 16 + Double(name.count) * 7 + 18
        }
        for (i, bar) in chart.bars.enumerated() {
            let y = 24 + legend + Double(i) * (barHeight + 6)
            let width = max(0, (bar.figure.value ?? 0) / top * plotWidth)
            let label = chart.series.isEmpty ? bar.label : "\(bar.label) (\(chart.series[bar.series]))"
            out += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y + 13))\" text-anchor=\"end\">\(escape(label))</text>"
            out +=
                "<rect x=\"\(Int(labelWidth))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", width))\" height=\"\(Int(barHeight))\" fill=\"\(seriesColours[bar.series % seriesColours.count])\"/>"
            out +=
                "<text x=\"\(String(format: "%.1f", labelWidth + width + 4))\" y=\"\(Int(y + 13))\">\(escape(figureText(bar.figure, unit: chart.unit)))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Nodes as boxes in a column, top to bottom; each edge an arc on the left, labelled.
    static func svg(_ graph: Graph) -> String {
        let boxWidth = 360.0, boxHeight = 34.0, gap = 26.0, left = 170.0
        let index = Dictionary(graph.nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let height = Double(graph.nodes.count) * (boxHeight + gap) + 10
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + boxWidth + 20))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"lineage\">\n"
        out +=
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#57606a\"/></marker></defs>\n"
        func center(_ i: Int) -> Double { 5 + Double(i) * (boxHeight + gap) + boxHeight / 2 }
        for (n, edge) in graph.edges.enumerated() {
            guard let a = index[edge.from], let b = index[edge.to] else { continue }
            let bend = left - 30 - Double(n % 5) * 24
            out +=
                "<path d=\"M\(Int(left)),\(Int(center(a))) C\(Int(bend)),\(Int(center(a))) \(Int(bend)),\(Int(center(b))) \(Int(left)),\(Int(center(b)))\" fill=\"none\" stroke=\"#57606a\" marker-end=\"url(#arrow)\"/>"
            out +=
                "<text x=\"\(Int(bend - 4))\" y=\"\(Int((center(a) + center(b)) / 2))\" text-anchor=\"end\">\(escape(edge.label))</text>\n"
        }
        for (i, node) in graph.nodes.enumerated() {
            let y = center(i) - boxHeight / 2
            out +=
                "<rect x=\"\(Int(left))\" y=\"\(Int(y))\" width=\"\(Int(boxWidth))\" height=\"\(Int(boxHeight))\" rx=\"5\" fill=\"#eef4fb\" stroke=\"#3b82c4\"/>"
            out += "<text x=\"\(Int(left + 8))\" y=\"\(Int(y + 21))\">\(escape(node.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.2f", value)
    }
}
