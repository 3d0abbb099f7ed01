import Governance
public import LedgerLog
import Projections

/// A W3C PROV-JSON document (https://www.w3.org/submissions/prov-json/) of an asset's lineage:
/// assets as entities with their SHA-256; generations, refinements, reviews, overrides and the
/// delivery as activities; models, pipelines, reviewers and approvers as agents; derivations
/// along refinements and image-to-video references. The routing decision and the policy's
/// judgement are attributes of the generation; every element carries the ledger seq and event
/// hash it rests on (`gl:seq`, `gl:eventHash`). docs/PROVENANCE.md lists the terms.
public enum AssetProvenanceDocument {
    public static let vocabulary = "urn:genledger:vocab#"

    public static func build(history: AssetHistory) -> JSONValue {
        var document = Document()
        for name in history.order {
            guard let asset = history.origins[name] else { continue }
            var attributes: [String: JSONValue] = ["prov:type": qualified("gl:Asset"), "prov:label": .string(name)]
            if let sha = asset.sha256 { attributes["gl:sha256"] = .string(sha) }
            if let deliverable = asset.deliverable { attributes["gl:deliverable"] = .string(deliverable) }
            document.add("entity", "asset:\(name)", attributes.merging(cite(asset.recorded)) { $1 })
        }
        for name in history.order {
            guard let asset = history.origins[name], let recorded = asset.recorded else { continue }
            let entity = "asset:\(name)"
            let activity: String
            if asset.isRefinement {
                activity = "activity:refinement-\(recorded.seq)"
                var attributes: [String: JSONValue] = [
                    "prov:type": qualified("gl:Refinement"), "gl:step": recorded.payload["step"] ?? .null,
                    "prov:startTime": .string(recorded.occurredAt), "prov:endTime": .string(recorded.occurredAt),
                ]
                if let factor = recorded.payload["factor"] { attributes["gl:factor"] = factor }
                document.add("activity", activity, attributes.merging(cite(recorded)) { $1 })
                if let input = asset.input {
                    document.relation("used", ["prov:activity": activity, "prov:entity": "asset:\(input)"], cite(recorded))
                    document.relation(
                        "wasDerivedFrom",
                        ["prov:generatedEntity": entity, "prov:usedEntity": "asset:\(input)", "prov:activity": activity],
                        cite(recorded).merging(["prov:type": qualified("prov:Revision"), "gl:role": .string(recorded.payload["step"]?.stringValue ?? "refinement")]) { $1 })
                }
            } else {
                let requested = asset.requested
                activity = "activity:generation-\(recorded.payload["generation"]?.stringValue ?? String(recorded.seq))"
                var attributes: [String: JSONValue] = [
                    "prov:type": qualified("gl:Generation"), "prov:endTime": .string(recorded.occurredAt),
                    "gl:completedSeq": .number(Double(recorded.seq)), "gl:completedHash": .string(recorded.hash.hex),
                ]
                if let requested {
                    let payload = requested.payload
                    attributes["prov:startTime"] = .string(requested.occurredAt)
                    for (key, field) in [("gl:model", "model"), ("gl:modelVersion", "model_version"), ("gl:template", "template"), ("gl:routingDecision", "routing_decision")] {
                        if let value = payload[field] { attributes[key] = value }
                    }
                    if let version = payload["template_version"] { attributes["gl:templateVersion"] = version }
                    if let seed = payload["seed"] { attributes["gl:seed"] = seed }
                    if let gate = payload["gate"] {
                        attributes["gl:policy"] = .string("\(gate["policy"]?.stringValue ?? "?") v\(gate["version"]?.integerValue ?? 0)")
                        attributes["gl:policyOutcome"] = gate["outcome"] ?? .null
                        attributes["gl:policyRules"] = .string((gate["rules"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " "))
                        if let seq = gate["policy_seq"] { attributes["gl:policySeq"] = seq }
                    }
                }
                if let routing = asset.routing {
                    let payload = routing.payload
                    attributes["gl:routingTable"] = .string("\(payload["table"]?.stringValue ?? "?") v\(payload["table_version"]?.integerValue ?? 0)")
                    attributes["gl:routingRule"] = payload["rule"] ?? .null
                    attributes["gl:routingSeq"] = .number(Double(routing.seq))
                    attributes["gl:routingHash"] = .string(routing.hash.hex)
                }
                document.add("activity", activity, attributes.merging(cite(requested ?? recorded)) { $1 })
                for reference in asset.references {
                    document.relation(
                        "used", ["prov:activity": activity, "prov:entity": "asset:\(reference.asset)"],
                        cite(requested).merging(["prov:role": .string(reference.role)]) { $1 })
                    document.relation(
                        "wasDerivedFrom",
                        ["prov:generatedEntity": entity, "prov:usedEntity": "asset:\(reference.asset)", "prov:activity": activity],
                        cite(requested).merging(["gl:role": .string(reference.role)]) { $1 })
                }
                if let actor = requested?.actor { associate(&document, activity, actor: actor, role: "pipeline", event: requested) }
            }
            document.relation("wasGeneratedBy", ["prov:entity": entity, "prov:activity": activity], cite(recorded))
            if let model = asset.model {
                let agent = "agent:model-\(identifier(model))"
                var attributes: [String: JSONValue] = ["prov:type": qualified("prov:SoftwareAgent"), "prov:label": .string(model)]
                if let version = asset.modelVersion { attributes["gl:version"] = .string(version) }
                document.add("agent", agent, attributes)
                document.relation(
                    "wasAssociatedWith", ["prov:activity": activity, "prov:agent": agent],
                    cite(asset.isRefinement ? recorded : asset.requested).merging(["prov:role": .string("model")]) { $1 })
            }
            for review in asset.reviews {
                let reviewActivity = "activity:review-\(review.seq)"
                document.add(
                    "activity", reviewActivity,
                    ["prov:type": qualified("gl:Review"), "gl:verdict": review.payload["verdict"] ?? .null, "prov:startTime": .string(review.occurredAt)]
                        .merging(cite(review)) { $1 })
                document.relation("used", ["prov:activity": reviewActivity, "prov:entity": entity], cite(review))
                if let reviewer = review.payload["reviewer"]?.stringValue {
                    associate(&document, reviewActivity, actor: reviewer, role: "reviewer", event: review, person: true)
                }
            }
            if let delivery = asset.delivery {
                let deliveryActivity = "activity:delivery-\(delivery.seq)"
                document.add(
                    "activity", deliveryActivity,
                    ["prov:type": qualified("gl:Delivery"), "prov:startTime": .string(delivery.occurredAt)].merging(cite(delivery)) { $1 })
                document.relation("used", ["prov:activity": deliveryActivity, "prov:entity": entity], cite(delivery))
                associate(&document, deliveryActivity, actor: delivery.actor, role: "producer", event: delivery)
            }
        }
        for event in history.events where event.type == EventType.policyOverrideGranted.rawValue {
            let cited = history.lineage.events.first { $0.seq == event.seq }
            let overrideActivity = "activity:override-\(event.seq)"
            document.add(
                "activity", overrideActivity,
                ["prov:type": qualified("gl:Override"), "gl:rule": event.payload["rule"] ?? .null, "prov:startTime": .string(event.occurredAt)]
                    .merging(cite(event)) { $1 })
            if let approver = event.payload["approver"]?.stringValue {
                associate(&document, overrideActivity, actor: approver, role: "approver", event: event, person: true)
            }
            if let asset = cited?.asset, let generation = history.origins[asset]?.recorded?.payload["generation"]?.stringValue {
                document.relation(
                    "wasInformedBy", ["prov:informed": "activity:generation-\(generation)", "prov:informant": overrideActivity], cite(event))
            }
        }
        return document.json()
    }

    private static func associate(
        _ document: inout Document, _ activity: String, actor: String, role: String, event: RecordedEvent?, person: Bool = false
    ) {
        let agent = "agent:\(identifier(actor))"
        document.add(
            "agent", agent, ["prov:type": qualified(person || actor.hasPrefix("producer:") ? "prov:Person" : "prov:SoftwareAgent"), "prov:label": .string(actor)])
        document.relation("wasAssociatedWith", ["prov:activity": activity, "prov:agent": agent], cite(event).merging(["prov:role": .string(role)]) { $1 })
    }

    /// The ledger seq and event hash an element rests on.
    private static func cite(_ event: RecordedEvent?) -> [String: JSONValue] {
        guard let event else { return [:] }
        return ["gl:seq": .number(Double(event.seq)), "gl:eventHash": .string(event.hash.hex)]
    }

    private static func qualified(_ name: String) -> JSONValue { ["$": .string(name), "type": "prov:QUALIFIED_NAME"] }

    /// A QName local part: letters, digits, '-', '_' and '.'; anything else becomes '-'.
    private static func identifier(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
    }

    private struct Document {
        var sections: [String: [String: JSONValue]] = [:]
        var counter = 0

        mutating func add(_ kind: String, _ id: String, _ attributes: [String: JSONValue]) {
            sections[kind, default: [:]][id] = .object(attributes)
        }

        mutating func relation(_ kind: String, _ ends: [String: String], _ attributes: [String: JSONValue]) {
            counter += 1
            var members = attributes
            for (key, value) in ends { members[key] = .string(value) }
            sections[kind, default: [:]]["_:\(kind)\(counter)"] = .object(members)
        }

        func json() -> JSONValue {
            var members: [String: JSONValue] = [
                "prefix": [
                    "gl": .string(AssetProvenanceDocument.vocabulary), "asset": "urn:genledger:asset:", "activity": "urn:genledger:activity:",
                    "agent": "urn:genledger:agent:",
                ]
            ]
            for (kind, elements) in sections { members[kind] = .object(elements) }
            return .object(members)
        }
    }
}
