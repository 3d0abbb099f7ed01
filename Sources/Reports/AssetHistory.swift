import Governance
public import LedgerLog
public import Projections

/// The recorded history of an asset and of everything it was made from, read from the events
/// its lineage cites: what Content Credentials (C2PA) and W3C PROV documents say about it.
public struct AssetHistory: Sendable {
    /// How one asset of the lineage came to be.
    public struct Origin: Sendable {
        public var asset: String
        public var sha256: String?
        public var deliverable: String?
        /// `generation.completed` or `refinement.applied`: the event that records the asset's bytes.
        public var recorded: RecordedEvent?
        /// For a generated asset: its request and routing decision.
        public var requested: RecordedEvent?
        public var routing: RecordedEvent?
        public var reviews: [RecordedEvent] = []
        public var delivery: RecordedEvent?

        public var isRefinement: Bool { recorded?.type == EventType.refinementApplied.rawValue }
        /// The model that made the asset (generation or refinement).
        public var model: String? { (isRefinement ? recorded : requested)?.payload["model"]?.stringValue }
        public var modelVersion: String? { isRefinement ? nil : requested?.payload["model_version"]?.stringValue }
        /// The refined asset, for a refinement.
        public var input: String? { isRefinement ? recorded?.payload["input_asset"]?.stringValue : nil }
        /// The assets a generation referenced, with their roles.
        public var references: [(asset: String, role: String)] {
            (requested?.payload["references"]?.arrayValue ?? []).compactMap { reference in
                guard let asset = reference["asset"]?.stringValue else { return nil }
                return (asset, reference["role"]?.stringValue ?? "reference")
            }
        }
    }

    public var asset: String
    /// Every asset of the lineage, the explained one first.
    public var origins: [String: Origin]
    public var order: [String]
    public var lineage: Lineage
    /// Every cited event, in seq order.
    public var events: [RecordedEvent]

    /// The explained asset's chain back to its generation: the generated asset first, then each refinement.
    public var chain: [Origin] {
        var chain: [Origin] = []
        var current: String? = asset
        while let name = current, let origin = origins[name], chain.count < 64 {
            chain.insert(origin, at: 0)
            current = origin.input
        }
        return chain
    }

    public static func read(ledger: Ledger, lineage: Lineage) throws -> AssetHistory {
        var origins: [String: Origin] = [:]
        for asset in lineage.assets { origins[asset] = Origin(asset: asset) }
        var events: [RecordedEvent] = []
        for cited in lineage.events {
            guard let event = try ledger.event(seq: cited.seq) else { continue }
            events.append(event)
            let payload = event.payload
            switch event.type {
            case EventType.generationCompleted.rawValue:
                if let asset = payload["asset"]?.stringValue, origins[asset] != nil {
                    origins[asset]!.recorded = event
                    origins[asset]!.sha256 = payload["asset_sha256"]?.stringValue
                    origins[asset]!.deliverable = payload["deliverable"]?.stringValue
                }
            case EventType.refinementApplied.rawValue:
                if let asset = payload["output_asset"]?.stringValue, origins[asset] != nil {
                    origins[asset]!.recorded = event
                    origins[asset]!.sha256 = payload["output_sha256"]?.stringValue
                    origins[asset]!.deliverable = payload["deliverable"]?.stringValue
                }
            case EventType.generationRequested.rawValue where cited.role == "generation requested":
                origins[cited.asset]?.requested = event
            case EventType.routingDecided.rawValue:
                origins[cited.asset]?.routing = event
            case EventType.assetReviewed.rawValue:
                if let asset = payload["asset"]?.stringValue { origins[asset]?.reviews.append(event) }
            case EventType.deliverableDelivered.rawValue:
                if let asset = payload["asset"]?.stringValue { origins[asset]?.delivery = event }
            default: break
            }
        }
        return AssetHistory(asset: lineage.asset, origins: origins, order: lineage.assets, lineage: lineage, events: events)
    }
}
