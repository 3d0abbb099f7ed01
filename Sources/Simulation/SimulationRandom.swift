public import Foundation
import Governance
public import LedgerLog

/// SplitMix64: small, fast and fully determined by its seed, so a simulation replays exactly.
public struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    public mutating func double(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// Log-normal around a median, for latencies.
    public mutating func logNormal(median: Double, sigma: Double) -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        let normal = (-2 * Foundation.log(u1)).squareRoot() * cos(2 * .pi * u2)
        return median * exp(sigma * normal)
    }

    public mutating func pick<T>(_ weighted: [(T, Double)]) -> T {
        let total = weighted.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (value, weight) in weighted {
            x -= weight
            if x < 0 { return value }
        }
        return weighted[weighted.count - 1].0
    }

    /// An RFC 9562 version 7 UUID at a (simulated) time: its Unix milliseconds in the first 48
    /// bits, the rest from this generator (two draws). A history's ids then
    /// rise with its clock, as a pipeline's own time-ordered ids would, and land at the right edge
    /// of the ledger's id index instead of at random pages.
    public mutating func uuid(at time: Timestamp) -> UUID {
        var bytes = withUnsafeBytes(of: next().bigEndian) { Array($0) } + withUnsafeBytes(of: next().bigEndian) { Array($0) }
        let milliseconds = UInt64(max(0, time.microsecondsSinceEpoch / 1000))
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> UInt64(8 * (5 - i))) }
        return UUID(bytes: bytes, version: 7)
    }

}
