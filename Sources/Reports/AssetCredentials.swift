public import ContentCredentials
import Governance
public import LedgerLog

/// The C2PA manifest GenLedger writes for a delivered asset (docs/PROVENANCE.md): a
/// `c2pa.created` action by the generating model (IPTC trainedAlgorithmicMedia), one action per
/// refinement by its model, the generation's referenced upstream assets as `inputTo`
/// ingredients with their SHA-256, and an `org.genledger.evidence` assertion: the evidence
/// bundle (docs/FORMAT.md §12) of the cited events, with payloads withheld except those that
/// record an asset's bytes.
public enum AssetCredentials {
    public static let evidenceLabel = "org.genledger.evidence"

    /// The C2PA action for a refinement step.
    public static func action(forStep step: String) -> String {
        switch step {
        case RefinementStep.upscale.rawValue: "c2pa.resized"
        case RefinementStep.polish.rawValue, RefinementStep.denoise.rawValue: "c2pa.filtered"
        case RefinementStep.colorGrade.rawValue: "c2pa.color_adjustments"
        default: "c2pa.edited"
        }
    }

    /// Payloads an evidence assertion discloses: the events that record an asset's bytes. Prompts,
    /// template values and routing inputs stay in the studio; their envelopes are still proven.
    public static func discloses(_ event: RecordedEvent) -> Bool {
        event.type == EventType.generationCompleted.rawValue || event.type == EventType.refinementApplied.rawValue
    }

    public static func manifest(
        history: AssetHistory, title: String, format: String, evidence: [UInt8], generatorVersion: String
    ) throws -> C2PAManifest {
        let chain = history.chain
        guard let generated = chain.first, !generated.isRefinement, let completion = generated.recorded else {
            throw LedgerError(.badInput, "the ledger records no generation behind asset \(history.asset)", field: "asset")
        }
        var ingredients: [C2PAManifest.Ingredient] = []
        for reference in generated.references {
            let upstream = history.origins[reference.asset]
            var metadata: [(String, CBOR)] = [("org.genledger.asset", .text(reference.asset)), ("org.genledger.role", .text(reference.role))]
            if let sha = upstream?.sha256 { metadata.append(("org.genledger.sha256", .text(sha))) }
            if let recorded = upstream?.recorded {
                metadata += [("org.genledger.seq", .unsigned(recorded.seq)), ("org.genledger.event_hash", .text(recorded.hash.hex))]
            }
            let made = upstream?.model.map { " made by \($0)" } ?? ""
            ingredients.append(
                .init(
                    title: reference.asset, format: nil, relationship: "inputTo",
                    description: "GenLedger asset \(reference.asset) (\(reference.role))\(made), SHA-256 \(upstream?.sha256 ?? "not recorded")",
                    metadata: metadata))
        }
        var actions: [C2PAManifest.Action] = []
        let routing = generated.routing.map { routing -> String in
            let payload = routing.payload
            return ", routed by table \(payload["table"]?.stringValue ?? "?") v\(payload["table_version"]?.integerValue ?? 0) rule \(payload["rule"]?.stringValue ?? "?")"
        } ?? ""
        var created: [(String, CBOR)] = [
            ("org.genledger.asset", .text(generated.asset)), ("org.genledger.seq", .unsigned(completion.seq)),
            ("org.genledger.event_hash", .text(completion.hash.hex)),
        ]
        if let requested = generated.requested {
            created += [("org.genledger.request_seq", .unsigned(requested.seq)), ("org.genledger.request_hash", .text(requested.hash.hex))]
        }
        actions.append(
            .init(
                "c2pa.created", softwareAgent: .init(name: generated.model ?? "unrecorded model", version: generated.modelVersion),
                digitalSourceType: C2PAManifest.trainedAlgorithmicMedia,
                description: "generated as \(generated.asset) for deliverable \(generated.deliverable ?? "?")\(routing)",
                when: completion.occurredAt, ingredients: Array(ingredients.indices), parameters: created))
        for refinement in chain.dropFirst() {
            guard let recorded = refinement.recorded else { continue }
            let step = recorded.payload["step"]?.stringValue ?? "refinement"
            var parameters: [(String, CBOR)] = [
                ("org.genledger.step", .text(step)), ("org.genledger.asset", .text(refinement.asset)),
                ("org.genledger.seq", .unsigned(recorded.seq)), ("org.genledger.event_hash", .text(recorded.hash.hex)),
            ]
            if let factor = recorded.payload["factor"]?.numberValue { parameters.append(("org.genledger.factor", .double(factor))) }
            actions.append(
                .init(
                    action(forStep: step), softwareAgent: .init(name: refinement.model ?? "unrecorded model"),
                    description: "\(step) of \(refinement.input ?? "?") into \(refinement.asset)", when: recorded.occurredAt,
                    parameters: parameters))
        }
        return C2PAManifest(
            title: title, format: format, claimGenerator: .init(name: "GenLedger", version: generatorVersion), actions: actions,
            ingredients: ingredients, assertions: [.init(label: evidenceLabel, content: .json(evidence))])
    }
}
