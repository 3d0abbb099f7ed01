public import Foundation

/// An instant with microsecond precision, written in one canonical RFC 3339 form:
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six fractional digits), so equal instants hash equally.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

    public init(_ date: Date) {
        self.microsecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    public static func now() -> Timestamp { Timestamp(Date()) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }

    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }

    /// Parses RFC 3339 (`2026-09-01T12:00:00Z`, `2026-09-01T14:00:00.5+02:00`). More than six
    /// fractional digits are refused rather than silently rounded.
    public init(rfc3339 text: String) throws {
        let b = Array(text.utf8)
        func fail(_ why: String) -> LedgerError {
            LedgerError(.badInput, "'\(text)' is not an RFC 3339 timestamp: \(why)")
        }
        func number(_ range: Range<Int>) throws -> Int {
            guard range.upperBound <= b.count else { throw fail("too short") }
            var value = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { throw fail("expected a digit at character \(i + 1)") }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        func expect(_ index: Int, _ chars: String) throws {
            guard index < b.count, chars.utf8.contains(b[index]) else {
                throw fail("expected '\(chars.first!)' at character \(index + 1)")
            }
        }
        let year = try number(0..<4)
        try expect(4, "-")
        let month = try number(5..<7)
        try expect(7, "-")
        let day = try number(8..<10)
        try expect(10, "Tt")
        let hour = try number(11..<13)
        try expect(13, ":")
        let minute = try number(14..<16)
        try expect(16, ":")
        let second = try number(17..<19)
        guard (1...12).contains(month) else { throw fail("month \(month) is out of range") }
        guard (1...Self.daysIn(month: month, year: year)).contains(day) else { throw fail("day \(day) is out of range") }
        guard hour < 24, minute < 60 else { throw fail("time of day is out of range") }
        guard second < 60 else { throw fail("seconds out of range (leap seconds are not supported)") }
        var index = 19
        var micros = 0
        if index < b.count && b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count && b[index] >= 0x30 && b[index] <= 0x39 { index += 1 }
            let digits = index - start
            guard digits >= 1 else { throw fail("expected digits after '.'") }
            guard digits <= 6 else { throw fail("more than microsecond precision") }
            micros = try number(start..<index)
            for _ in digits..<6 { micros *= 10 }
        }
        guard index < b.count else { throw fail("missing time zone ('Z' or ±HH:MM)") }
        var offsetSeconds = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[index] == UInt8(ascii: "-") ? -1 : 1
            let offsetHours = try number(index + 1..<index + 3)
            try expect(index + 3, ":")
            let offsetMinutes = try number(index + 4..<index + 6)
            guard offsetHours < 24, offsetMinutes < 60 else { throw fail("time zone offset out of range") }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        default:
            throw fail("missing time zone ('Z' or ±HH:MM)")
        }
        guard index == b.count else { throw fail("unexpected text after the time zone") }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        self.microsecondsSinceEpoch = seconds * 1_000_000 + Int64(micros)
    }

    public var description: String {
        let (seconds, micros) = microsecondsSinceEpoch.floorDividedAndRemainder(by: 1_000_000)
        let (days, secondOfDay) = seconds.floorDividedAndRemainder(by: 86_400)
        let (year, month, day) = Self.civilFromDays(Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let s = Int(secondOfDay)
        guard (0...9999).contains(year) else {
            return
                "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2)).\(pad(Int(micros), 6))Z"
        }
        // Every append formats one or two of these: the 27 bytes written in place.
        return String(unsafeUninitializedCapacity: 27) { text in
            func put(_ value: Int, width: Int, at offset: Int) {
                var value = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    text[position] = 0x30 &+ UInt8(truncatingIfNeeded: value % 10)
                    value /= 10
                }
            }
            put(year, width: 4, at: 0)
            put(month, width: 2, at: 5)
            put(day, width: 2, at: 8)
            put(s / 3600, width: 2, at: 11)
            put(s / 60 % 60, width: 2, at: 14)
            put(s % 60, width: 2, at: 17)
            put(Int(micros), width: 6, at: 20)
            text[4] = UInt8(ascii: "-")
            text[7] = UInt8(ascii: "-")
            text[10] = UInt8(ascii: "T")
            text[13] = UInt8(ascii: ":")
            text[16] = UInt8(ascii: ":")
            text[19] = UInt8(ascii: ".")
            text[26] = UInt8(ascii: "Z")
            return 27
        }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian, no Foundation.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    fileprivate func floorDividedAndRemainder(by divisor: Int64) -> (Int64, Int64) {
        var quotient = self / divisor
        var remainder = self % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}
