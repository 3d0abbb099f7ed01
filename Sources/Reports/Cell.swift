import Foundation

extension ReportDocument {
    /// One figure of a table or a chart: the text a reader sees (Markdown, HTML), the plain value
    /// a spreadsheet reads (CSV), and the number a chart draws. Every figure of a kind is formatted
    /// by one function here, so a value reads the same in the table, the chart and the prose
    /// (docs/REPORTS.md, "Numbers").
    public struct Cell: Sendable, Equatable {
        public var text: String
        public var plain: String
        public var value: Double?

        public init(text: String, plain: String, value: Double? = nil) {
            self.text = text
            self.plain = plain
            self.value = value
        }

        public init(_ text: String) { self.init(text: text, plain: text) }

        /// A value that does not exist (no accepted output, no previous quarter): a dash to
        /// read, an empty CSV cell.
        public static let missing = Cell(text: "—", plain: "")

        public static func count(_ n: Int) -> Cell { Cell(text: String(n), plain: String(n), value: Double(n)) }

        /// Money from exact micro-units, rounded to cents half away from zero; the currency is
        /// named by the column or the sentence, never guessed from the number.
        public static func money(_ micros: Int64?) -> Cell {
            guard let micros else { return .missing }
            let cents = Self.cents(micros)
            return Cell(text: Self.grouped(cents), plain: Self.plainCents(cents), value: Double(cents) / 100)
        }

        /// Money from a computed (fractional) number of micro-units: a mean or an estimate.
        public static func money(_ micros: Double?) -> Cell {
            guard let micros, micros.isFinite else { return .missing }
            return money(Int64(micros.rounded()))
        }

        /// A signed change in money: "+12.50".
        public static func moneyChange(_ micros: Double?) -> Cell {
            guard let micros, micros.isFinite else { return .missing }
            var cell = money(Int64(micros.rounded()))
            if !cell.text.hasPrefix("-") { cell.text = "+" + cell.text }
            return cell
        }

        /// A fraction shown as a percentage with one decimal: 0.526 → "52.6%", plain "52.6".
        public static func percent(_ fraction: Double?) -> Cell {
            guard let fraction, fraction.isFinite else { return .missing }
            let tenths = (fraction * 1000).rounded() / 10
            let digits = String(format: "%.1f", tenths)
            return Cell(text: digits + "%", plain: digits, value: tenths)
        }

        /// A change of a fraction, in percentage points: 0.076 → "+7.6 pt", plain "7.6".
        public static func points(_ change: Double?) -> Cell {
            guard let change, change.isFinite else { return .missing }
            let tenths = (change * 1000).rounded() / 10
            let digits = String(format: "%+.1f", tenths)
            return Cell(text: digits + " pt", plain: String(format: "%.1f", tenths), value: tenths)
        }

        /// A relative change: 0.076 → "+7.6%".
        public static func relative(_ change: Double?) -> Cell {
            guard let change, change.isFinite else { return .missing }
            let tenths = (change * 1000).rounded() / 10
            return Cell(text: String(format: "%+.1f%%", tenths), plain: String(format: "%.1f", tenths), value: tenths)
        }

        /// A plain number with `places` decimals (ratios, seconds), optionally signed.
        public static func decimal(_ number: Double?, places: Int = 2, signed: Bool = false) -> Cell {
            guard let number, number.isFinite else { return .missing }
            let scale = pow(10, Double(places))
            let rounded = (number * scale).rounded() / scale
            let digits = String(format: "%.\(places)f", rounded)
            return Cell(text: signed ? String(format: "%+.\(places)f", rounded) : digits, plain: digits, value: rounded)
        }

        /// `micros` rounded to whole cents, half away from zero, in integers (no binary rounding).
        static func cents(_ micros: Int64) -> Int64 {
            micros >= 0 ? (micros + 5_000) / 10_000 : -((-micros + 5_000) / 10_000)
        }

        static func plainCents(_ cents: Int64) -> String {
            let whole = abs(cents) / 100
            let fraction = abs(cents) % 100
            return (cents < 0 ? "-" : "") + "\(whole)." + (fraction < 10 ? "0" : "") + "\(fraction)"
        }

        /// Cents with thousands grouped by commas: 9893700 → "98,937.00".
        static func grouped(_ cents: Int64) -> String {
            let digits = String(abs(cents) / 100)
            var groups: [Substring] = []
            var end = digits.endIndex
            while end > digits.startIndex {
                let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
                groups.insert(digits[start..<end], at: 0)
                end = start
            }
            let fraction = abs(cents) % 100
            return (cents < 0 ? "-" : "") + groups.joined(separator: ",") + "." + (fraction < 10 ? "0" : "") + "\(fraction)"
        }
    }
}

/// Money in a sentence: "98,937.00 USD".
public func moneyText(_ micros: Int64, _ currency: String) -> String {
    ReportDocument.Cell.money(micros).text + " " + currency
}
