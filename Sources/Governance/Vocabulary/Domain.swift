public import LedgerLog

/// The closed sets of the domain. Each is documented in docs/EVENTS.md; an event or policy
/// naming a value outside them is refused with the list of accepted values.

/// Models are routed by tier, not by brand.
public enum Tier: String, CaseIterable, Sendable, Codable {
    case cinematic
    case speed
    case budget
    case characterStability = "character-stability"
    case refinement
}

public enum Modality: String, CaseIterable, Sendable, Codable {
    case textToVideo = "text-to-video"
    case imageToVideo = "image-to-video"
    case videoToVideo = "video-to-video"
    case textToImage = "text-to-image"
    case imageToImage = "image-to-image"
    case upscale
    case polish

    public var producesVideo: Bool { self == .textToVideo || self == .imageToVideo || self == .videoToVideo }
}

/// Draft work and delivery work are governed separately.
public enum Stage: String, CaseIterable, Sendable, Codable {
    case draft
    case delivery
}

public enum ModelStatus: String, CaseIterable, Sendable, Codable {
    case active
    case degraded
    case retired
}

/// Known ways a generation fails; routing tables name fallbacks per mode.
public enum FailureMode: String, CaseIterable, Sendable, Codable {
    case timeout
    case contentFilter = "content-filter"
    case providerError = "provider-error"
    case rateLimited = "rate-limited"
    case artifacts
    case characterDrift = "character-drift"
    case motionIncoherence = "motion-incoherence"
    case qualityRegression = "quality-regression"
    case retired
}

public enum PriceUnit: String, CaseIterable, Sendable, Codable {
    case perGeneration = "per-generation"
    case perSecond = "per-second"
    case perMegapixel = "per-megapixel"
    case perCredit = "per-credit"
}

public enum CostKind: String, CaseIterable, Sendable, Codable {
    case generation
    case refinement
    case reviewTime = "review-time"
    case opportunity
}

public enum Verdict: String, CaseIterable, Sendable, Codable {
    case accepted
    case rejected
}

public enum ReviewDecision: String, CaseIterable, Sendable, Codable {
    case keep
    case promote
    case demote
    case retire
}

public enum RefinementStep: String, CaseIterable, Sendable, Codable {
    case upscale
    case polish
    case denoise
    case colorGrade = "color-grade"
    case frameInterpolation = "frame-interpolation"
}

public enum ReferenceRole: String, CaseIterable, Sendable, Codable {
    case upstreamImage = "upstream-image"
    case character
    case style
}

public enum SeedScope: String, CaseIterable, Sendable, Codable {
    case campaign
    case deliverable
}

/// ISO 4217 codes the ledger accepts. A code outside this list is almost always a typo.
public enum Currency: String, CaseIterable, Sendable, Codable {
    case USD, EUR, GBP, JPY, CHF, CAD, AUD, NZD, SEK, NOK, DKK, PLN, CZK, CNY, HKD, SGD, KRW, INR, BRL, MXN, ZAR, AED
}

/// An amount of money in millionths of the currency unit, so sums are exact.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var micros: Int64
    public var currency: Currency

    public init(micros: Int64, currency: Currency) {
        self.micros = micros
        self.currency = currency
    }

    public init(_ amount: Double, _ currency: Currency) {
        self.init(micros: Int64((amount * 1_000_000).rounded()), currency: currency)
    }

    public var amount: Double { Double(micros) / 1_000_000 }

    public static func < (a: Money, b: Money) -> Bool { a.micros < b.micros }
    public static func + (a: Money, b: Money) -> Money { Money(micros: a.micros + b.micros, currency: a.currency) }

    /// Two decimals for display; the ledger keeps the amount as given.
    public var description: String {
        let cents = (micros + (micros >= 0 ? 5_000 : -5_000)) / 10_000
        let sign = cents < 0 ? "-" : ""
        let whole = abs(cents) / 100
        let fraction = abs(cents) % 100
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction) \(currency.rawValue)"
    }
}

/// A calendar date (`YYYY-MM-DD`), for effective dates in catalogs and policies.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...CalendarDate.days(in: month, of: year)).contains(day)
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    public static func days(in month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The date of a timestamp, in UTC.
    public init(_ timestamp: Timestamp) {
        let text = timestamp.description
        self.init(String(text.prefix(10)))!
    }
}
