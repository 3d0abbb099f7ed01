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
    public func rendered(as format: ReportFormat) -> String {
        switch format {
        case .md: markdown
        case .json: CanonicalJSON.string(of: json) + "\n"
        case .csv: csv
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
                        object["rows"] = .array(table.rows.map { .array($0.map(JSONValue.string)) })
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
                    out += "- \(bar.label): \(Self.number(bar.value))\(chart.unit.isEmpty ? "" : " " + chart.unit)\n"
                }
            }
            if let table = section.table {
                out += "| " + table.columns.map(Self.markdownCell).joined(separator: " | ") + " |\n"
                out += "|" + String(repeating: "---|", count: table.columns.count) + "\n"
                for row in table.rows { out += "| " + row.map(Self.markdownCell).joined(separator: " | ") + " |\n" }
                if table.rows.isEmpty {
                    out += "| " + Array(repeating: "—", count: table.columns.count).joined(separator: " | ") + " |\n"
                }
            }
        }
        return out
    }

    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// Every table, one after another, each row led by its section heading (RFC 4180 quoting).
    var csv: String {
        var out = ""
        func line(_ cells: [String]) { out += cells.map(Self.csvCell).joined(separator: ",") + "\r\n" }
        line(["# \(title)", stamp.line])
        for section in sections {
            guard let table = section.table else { continue }
            line(["section"] + table.columns)
            for row in table.rows { line([section.heading] + row) }
        }
        return out
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
                for row in table.rows { out += "<tr>" + row.map(Self.cell).joined() + "</tr>\n" }
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

    /// Horizontal bars, scaled to the largest value.
    static func svg(_ chart: Chart) -> String {
        let barHeight = 18.0
        let labelWidth = 250.0
        let plotWidth = 420.0
        let height = Double(chart.bars.count) * (barHeight + 6) + 30
        let top = max(chart.bars.map(\.value).max() ?? 0, 1e-9)
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + plotWidth + 90))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(chart.title))\">\n"
        out += "<text x=\"0\" y=\"14\" font-weight=\"bold\">\(escape(chart.title))</text>\n"
        for (i, bar) in chart.bars.enumerated() {
            let y = 24 + Double(i) * (barHeight + 6)
            let width = max(0, bar.value / top * plotWidth)
            out += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y + 13))\" text-anchor=\"end\">\(escape(bar.label))</text>"
            out +=
                "<rect x=\"\(Int(labelWidth))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", width))\" height=\"\(Int(barHeight))\" fill=\"#3b82c4\"/>"
            let value =
                chart.unit == "%"
                ? String(format: "%.1f%%", bar.value) : Self.number(bar.value) + (chart.unit.isEmpty ? "" : " " + chart.unit)
            out += "<text x=\"\(String(format: "%.1f", labelWidth + width + 4))\" y=\"\(Int(y + 13))\">\(escape(value))</text>\n"
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
