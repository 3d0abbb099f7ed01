public import Governance

/// How each catalog model behaves in the simulation: documented in docs/SIMULATOR.md so that the
/// reports built on a simulated ledger have known, true findings to recover.
public struct ModelBehaviour: Sendable {
    /// Share of generations that fail, and how.
    public var failureRate: Double
    public var failureModes: [(FailureMode, Double)]
    /// Median latency in seconds (log-normal, sigma 0.45).
    public var medianLatencySeconds: Double
    /// Probability a reviewer accepts an output, before category and stage adjustments.
    public var acceptance: Double
    /// Acceptance added for particular categories.
    public var categoryBonus: [String: Double]

    static let unknown = ModelBehaviour(
        failureRate: 0.05, failureModes: [(.providerError, 1)], medianLatencySeconds: 60, acceptance: 0.5, categoryBonus: [:])

    /// The profile of every model in the shipped catalog.
    public static let profiles: [String: ModelBehaviour] = [
        "veo-3.1": .init(
            failureRate: 0.04, failureModes: [(.timeout, 0.6), (.contentFilter, 0.4)], medianLatencySeconds: 95, acceptance: 0.62,
            categoryBonus: ["hero-video": 0.08]),
        "sora-2-pro": .init(
            failureRate: 0.06, failureModes: [(.timeout, 0.5), (.contentFilter, 0.5)], medianLatencySeconds: 140,
            acceptance: 0.56, categoryBonus: ["brand-film": 0.06]),
        "kling-2.5-turbo": .init(
            failureRate: 0.03, failureModes: [(.rateLimited, 0.6), (.artifacts, 0.4)], medianLatencySeconds: 40,
            acceptance: 0.47, categoryBonus: ["social-short": 0.03]),
        "seedance-1-pro": .init(
            failureRate: 0.025, failureModes: [(.timeout, 0.5), (.artifacts, 0.5)], medianLatencySeconds: 35, acceptance: 0.55,
            categoryBonus: ["social-short": 0.08]),
        "runway-gen4-turbo": .init(
            failureRate: 0.03, failureModes: [(.providerError, 0.5), (.motionIncoherence, 0.5)], medianLatencySeconds: 30,
            acceptance: 0.55, categoryBonus: ["product-video": 0.07]),
        "hailuo-02": .init(
            failureRate: 0.05, failureModes: [(.timeout, 0.5), (.artifacts, 0.5)], medianLatencySeconds: 50, acceptance: 0.45,
            categoryBonus: [:]),
        "wan-2.2": .init(
            failureRate: 0.07, failureModes: [(.providerError, 0.6), (.artifacts, 0.4)], medianLatencySeconds: 70,
            acceptance: 0.40, categoryBonus: [:]),
        "vidu-q1-reference": .init(
            failureRate: 0.04, failureModes: [(.characterDrift, 0.8), (.timeout, 0.2)], medianLatencySeconds: 60,
            acceptance: 0.52, categoryBonus: ["character-series": 0.10]),
        "flux-1.1-pro-ultra": .init(
            failureRate: 0.01, failureModes: [(.contentFilter, 1)], medianLatencySeconds: 12, acceptance: 0.66, categoryBonus: [:]
        ),
        "imagen-4-ultra": .init(
            failureRate: 0.015, failureModes: [(.contentFilter, 1)], medianLatencySeconds: 10, acceptance: 0.63,
            categoryBonus: ["product-still": 0.05]),
        "gpt-image-1": .init(
            failureRate: 0.02, failureModes: [(.timeout, 0.5), (.contentFilter, 0.5)], medianLatencySeconds: 25, acceptance: 0.57,
            categoryBonus: [:]),
        "flux-kontext-pro": .init(
            failureRate: 0.02, failureModes: [(.characterDrift, 1)], medianLatencySeconds: 8, acceptance: 0.60,
            categoryBonus: ["character-series": 0.08]),
        "flux-schnell": .init(
            failureRate: 0.005, failureModes: [(.artifacts, 1)], medianLatencySeconds: 2, acceptance: 0.42, categoryBonus: [:]),
    ]

    /// The acceptance probability for one review.
    func acceptance(category: String, stage: Stage) -> Double {
        min(0.95, acceptance + (categoryBonus[category] ?? 0) + (stage == .draft ? 0.15 : 0))
    }
}
