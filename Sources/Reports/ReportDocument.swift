public import LedgerLog

/// A report as data, independent of how it is rendered: sections of prose, tables and charts,
/// stamped with the tree it was computed at. Renderers turn it into Markdown, JSON, CSV or HTML.
public struct ReportDocument: Sendable {
    /// The log the report was computed from: its size and Merkle root at that size, and the
    /// signed checkpoint of that size when there is one.
    public struct Stamp: Sendable {
        public var origin: String
        public var treeSize: UInt64
        public var root: String
        public var signedCheckpoint: Bool

        public init(origin: String, treeSize: UInt64, root: String, signedCheckpoint: Bool) {
            self.origin = origin
            self.treeSize = treeSize
            self.root = root
            self.signedCheckpoint = signedCheckpoint
        }

        public var line: String {
            "computed at tree size \(treeSize), root \(root) (\(origin); \(signedCheckpoint ? "a signed checkpoint of this size is stored" : "no signed checkpoint of this size yet: `genledger checkpoint` issues one"))"
        }
    }

    public struct Table: Sendable {
        public var columns: [String]
        public var rows: [[Cell]]

        public init(columns: [String], rows: [[Cell]]) {
            self.columns = columns
            self.rows = rows
        }

        /// Every cell as it reads in Markdown and HTML.
        public var texts: [[String]] { rows.map { $0.map(\.text) } }

        /// A table of text only (ids, names, reasons).
        public init(columns: [String], rows: [[String]]) {
            self.init(columns: columns, rows: rows.map { $0.map { Cell($0) } })
        }
    }

    /// A bar chart: one bar per label, or per label and series (then drawn with a legend).
    /// Each bar's figure is a `Cell`, so it reads exactly as the same figure in a table.
    public struct Chart: Sendable {
        public struct Bar: Sendable {
            public var label: String
            public var figure: Cell
            /// Index into `series` (0 when there is one series).
            public var series: Int

            public init(label: String, figure: Cell, series: Int = 0) {
                self.label = label
                self.figure = figure
                self.series = series
            }
        }

        public var title: String
        /// What the figures are in ("USD", "%", "×"): said after each figure in text forms.
        public var unit: String
        public var bars: [Bar]
        /// Series names for the legend; empty for a single series.
        public var series: [String]

        public init(title: String, unit: String, bars: [(label: String, figure: Cell)]) {
            self.title = title
            self.unit = unit
            self.bars = bars.map { Bar(label: $0.label, figure: $0.figure) }
            self.series = []
        }

        public init(title: String, unit: String, series: [String], bars: [Bar]) {
            self.title = title
            self.unit = unit
            self.bars = bars
            self.series = series
        }

        /// The chart as a table (for CSV and for JSON): one row per label, a column per series.
        var table: Table {
            let names = series.isEmpty ? [unit.isEmpty ? "value" : "value (\(unit))"] : series.map { unit.isEmpty ? $0 : "\($0) (\(unit))" }
            var labels: [String] = []
            var cells: [String: [Cell]] = [:]
            for bar in bars {
                if cells[bar.label] == nil {
                    labels.append(bar.label)
                    cells[bar.label] = Array(repeating: .missing, count: names.count)
                }
                cells[bar.label]![bar.series] = bar.figure
            }
            return Table(columns: ["label"] + names, rows: labels.map { [Cell($0)] + cells[$0]! })
        }
    }

    /// A directed graph (an asset's lineage): nodes in drawing order, edges with labels.
    public struct Graph: Sendable {
        public var nodes: [(id: String, label: String)]
        public var edges: [(from: String, to: String, label: String)]

        public init(nodes: [(id: String, label: String)], edges: [(from: String, to: String, label: String)]) {
            self.nodes = nodes
            self.edges = edges
        }
    }

    public struct Section: Sendable {
        public var heading: String
        public var paragraphs: [String]
        public var table: Table?
        public var chart: Chart?
        public var graph: Graph?

        public init(heading: String, paragraphs: [String] = [], table: Table? = nil, chart: Chart? = nil, graph: Graph? = nil) {
            self.heading = heading
            self.paragraphs = paragraphs
            self.table = table
            self.chart = chart
            self.graph = graph
        }
    }

    public var title: String
    public var stamp: Stamp
    public var sections: [Section]
    /// Machine-readable figures for the JSON form (the tables carry the same, as text).
    public var data: JSONValue
    /// Set when the period asked for holds no data: said on the first screen, and by the
    /// command line on standard error, so an empty report is never mistaken for a quiet one.
    public var emptyPeriod: String?

    public init(title: String, stamp: Stamp, sections: [Section], data: JSONValue) {
        self.title = title
        self.stamp = stamp
        self.sections = sections
        self.data = data
    }
}

extension ReportDocument.Stamp {
    /// The stamp for a ledger as of `size`.
    public static func of(_ ledger: Ledger, size: UInt64) throws -> ReportDocument.Stamp {
        let signed = try ledger.checkpoints().contains { $0.treeSize == size }
        return ReportDocument.Stamp(
            origin: ledger.origin, treeSize: size, root: try ledger.rootHash(size: size).base64, signedCheckpoint: signed)
    }
}
