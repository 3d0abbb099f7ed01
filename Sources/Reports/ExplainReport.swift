import Foundation
import Governance
import LedgerLog
public import Projections

/// `genledger explain ASSET`: what it takes to produce the asset again (model, parameters, seed
/// and its lock, template body, values and prompt, references, refinements), what it cost by
/// kind, every attempt of its deliverable (failed, rejected and denied ones too), and every cited
/// event with its inclusion proof against the latest checkpoint.
public enum ExplainReport {
    typealias Cell = ReportDocument.Cell

    /// `query` is an asset id, a deliverable id or a file's SHA-256 (`Projections.findAsset`).
    public static func build(_ projections: Projections, asset query: String, asOf: UInt64) throws -> ReportDocument {
        let ledger = projections.ledger
        let (asset, foundBy) = try projections.findAsset(query, asOf: asOf)
        let lineage = try projections.lineage(of: asset, asOf: asOf)
        let recipe = try projections.recipe(of: asset, lineage: lineage, asOf: asOf)
        let story = recipe.story
        let currency = story.currency.rawValue
        let checkpoint = try ledger.latestCheckpoint()

        var rows: [[Cell]] = []
        var cited: [JSONValue] = []
        var proven = 0
        var hashes: [UInt64: String] = [:]
        for event in lineage.events {
            let recorded = try ledger.event(seq: event.seq)
            hashes[event.seq] = recorded?.hash.hex ?? ""
            var proofText = "not yet covered by a signed checkpoint"
            var proofJSON: JSONValue = .null
            if let checkpoint, let recorded, event.seq <= checkpoint.treeSize {
                let proof = try ledger.inclusionProof(seq: event.seq, treeSize: checkpoint.treeSize)
                try proof.verify()
                guard proof.root == checkpoint.root else {
                    throw LedgerError(
                        .verificationFailed, "seq \(event.seq) does not prove against checkpoint \(checkpoint.treeSize)",
                        seq: event.seq)
                }
                proven += 1
                proofText = "\(proof.path.count) hashes; verifies against checkpoint \(checkpoint.treeSize)"
                // The very document `genledger prove inclusion` prints and `verify-proof` reads.
                proofJSON = proof.json(origin: ledger.origin, event: recorded)
            }
            rows.append([
                .count(Int(event.seq)), Cell(event.type), Cell(event.role), Cell(event.asset), Cell(event.summary),
                Cell(hashes[event.seq]!), Cell(proofText),
            ])
            cited.append([
                "seq": .number(Double(event.seq)), "type": .string(event.type), "role": .string(event.role),
                "asset": .string(event.asset), "summary": .string(event.summary), "hash": .string(hashes[event.seq]!),
                "inclusion_proof": proofJSON,
            ])
        }
        let checkpointLine =
            checkpoint.map {
                "\(proven) of \(lineage.events.count) cited events are proven against the latest signed checkpoint (tree size \($0.treeSize), root \($0.root.base64)); each JSON `inclusion_proof` is what `genledger prove inclusion SEQ --size \($0.treeSize)` prints, for `genledger verify-proof`."
            } ?? "No signed checkpoint yet: run `genledger checkpoint`, then explain again to get inclusion proofs."

        let request = recipe.request
        let model = request?["model"]?.stringValue
        let seed = request?["seed"]?.integerValue
        let totalCost = recipe.costByKindMicros.values.reduce(0, +)
        let accepted = story.generations.first { $0.asset == asset }?.verdict ?? lineage.events.last {
            $0.asset == asset && $0.type == EventType.assetReviewed.rawValue
        }?.summary
        var summary: [String] = []
        if let foundBy { summary.append("Found by \(foundBy): \(asset).") }
        summary.append(
            "\(asset) (SHA-256 \(recipe.sha256)) belongs to deliverable \(story.deliverable) (\(story.category), \(story.stage)\(story.campaign.map { ", campaign \($0)" } ?? "")); "
                + (story.deliveredAsset == asset ? "it was delivered at seq \(story.deliveredSeq!)." : accepted.map { "review: \($0)." } ?? "not reviewed."))
        if let model, let generation = recipe.generation {
            summary.append(
                "Produced by \(generation) on \(model) (version \(request?["model_version"]?.stringValue ?? "?")), attempt \(request?["attempt"]?.integerValue ?? 0), seed \(seed.map(String.init) ?? "?")"
                    + (recipe.seedLock.map { $0.seed == seed ? " (the seed locked for \($0.scope) \($0.subject) at seq \($0.seq))" : " (differs from the seed \($0.seed) locked for \($0.scope) \($0.subject) at seq \($0.seq))" } ?? " (no seed lock in force)")
                    + ", template \(request?["template"]?.stringValue ?? "?") v\(request?["template_version"]?.integerValue ?? 0)"
                    + (recipe.refinements.isEmpty ? "." : ", then " + recipe.refinements.map { "\($0.step) on \($0.model)" }.joined(separator: ", ") + "."))
        }
        summary.append(
            "This asset cost \(moneyText(totalCost, currency)): "
                + CostsReport.kinds.map { "\($0.label) \(moneyText(recipe.costByKindMicros[$0.key] ?? 0, currency))" }.joined(separator: ", ")
                + ". Its deliverable spent \(moneyText(story.spendMicros, currency)) over \(counted(story.generations.count, "generation")) in \(counted(Int(story.attempts), "attempt")).")
        let denied = story.findings.filter { $0.result == .denied }
        if !denied.isEmpty {
            summary.append(
                (Set(denied.map(\.seq)).count == 1 ? "1 request of this deliverable was denied: " : "\(Set(denied.map(\.seq)).count) requests of this deliverable were denied: ")
                    + denied.map { "seq \($0.seq) \($0.rule)" }.joined(separator: ", ") + " (see Attempts).")
        }

        // How to produce it again.
        var recipeRows: [[Cell]] = []
        func add(_ field: String, _ value: String) { recipeRows.append([Cell(field), Cell(value)]) }
        if let request {
            add("model", "\(model ?? "?") version \(request["model_version"]?.stringValue ?? "?")")
            if case .object(let parameters)? = request["parameters"] {
                for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
                    add("parameter \(name)", value.stringValue ?? CanonicalJSON.string(of: value))
                }
            }
            add(
                "seed",
                "\(seed.map(String.init) ?? "?")"
                    + (recipe.seedLock.map { "; lock in force: \($0.seed) for \($0.scope) \($0.subject) (seq \($0.seq))" } ?? "; no lock in force"))
            add("template", "\(request["template"]?.stringValue ?? "?") v\(request["template_version"]?.integerValue ?? 0)")
            add(
                "template body",
                recipe.templateBody ?? recipe.erased["template body"] ?? "not recorded in template.versioned (only its digest)")
            var values: [String: String] = [:]
            if case .object(let filled)? = request["template_values"] {
                for (name, value) in filled { values[name] = value.stringValue ?? CanonicalJSON.string(of: value) }
            }
            for variable in recipe.templateVariables {
                add("variable \(variable)", values[variable] ?? recipe.erased["template_values"] ?? "not recorded")
            }
            for (name, value) in values.sorted(by: { $0.key < $1.key }) where !recipe.templateVariables.contains(name) {
                add("value \(name)", "\(value) (not a variable of the template)")
            }
            add(
                "prompt",
                request["prompt"]?.stringValue ?? recipe.erased["prompt"]
                    ?? "not recorded (the pipeline may send `prompt` with generation.requested)")
            for reference in request["references"]?.arrayValue ?? [] {
                add("reference", "\(reference["asset"]?.stringValue ?? "?") as \(reference["role"]?.stringValue ?? "?")")
            }
        }
        for refinement in recipe.refinements {
            add("refinement", "\(refinement.step) on \(refinement.model): \(refinement.from) → \(refinement.to) (seq \(refinement.seq))")
        }

        // Every attempt of the deliverable, and every denied request.
        var attemptRows: [[Cell]] = story.generations.map {
            [
                .count(Int($0.seq)), Cell($0.generation), .count(Int($0.attempt)), Cell($0.model), .count(Int($0.seed)),
                Cell($0.outcome + ($0.failureMode.map { " (\($0))" } ?? "")), Cell($0.asset ?? ""), Cell($0.verdict ?? ""),
                Cell(
                    ($0.asset.map(lineage.assets.contains) == true ? "this asset's generation" : "")
                        + ($0.fallbackFrom.map { "; fallback for \($0)" } ?? "")),
            ]
        }
        for finding in denied {
            attemptRows.append([
                .count(Int(finding.seq)), Cell("—"), .missing, Cell(""), .missing, Cell("denied: \(finding.rule)"), Cell(""),
                Cell(""), Cell(finding.reason),
            ])
        }
        attemptRows.sort { ($0[0].value ?? 0) < ($1[0].value ?? 0) }

        let graph = ReportDocument.Graph(
            nodes: lineage.assets.reversed().map { id in
                let step = recipe.refinements.first { $0.to == id }.map { "\($0.step) on \($0.model)" }
                let made = story.generations.first { $0.asset == id }.map { "\($0.model), attempt \($0.attempt)" }
                let what = step ?? made ?? "upstream"
                return (id, "\(id) · \(what)\(id == asset ? " (explained)" : "")")
            },
            edges: lineage.edges.map { ($0.from, $0.to, $0.label) })
        var costRows: [[Cell]] = CostsReport.kinds.map {
            [Cell($0.label), .money(recipe.costByKindMicros[$0.key] ?? 0), .money(story.spendByKindMicros[CostKind(rawValue: $0.key)!] ?? 0)]
        }
        costRows.append([Cell("total"), .money(totalCost), .money(story.spendMicros)])

        var recipeJSON: [String: JSONValue] = [
            "sha256": .string(recipe.sha256), "deliverable": .string(recipe.deliverable),
            "generation": recipe.generation.map(JSONValue.string) ?? .null,
            "generation_seq": recipe.generationSeq.map { .number(Double($0)) } ?? .null,
            "request": request ?? .null, "template_body": recipe.templateBody.map(JSONValue.string) ?? .null,
            "template_variables": .array(recipe.templateVariables.map(JSONValue.string)),
            "seed_lock": recipe.seedLock.map {
                ["scope": .string($0.scope), "subject": .string($0.subject), "seed": .number(Double($0.seed)), "seq": .number(Double($0.seq))]
            } ?? .null,
            "refinements": .array(
                recipe.refinements.map {
                    ["from": .string($0.from), "to": .string($0.to), "step": .string($0.step), "model": .string($0.model), "seq": .number(Double($0.seq))]
                }),
        ]
        var cost: [String: JSONValue] = ["currency": .string(currency), "total_micros": .number(Double(totalCost))]
        for kind in CostsReport.kinds { cost["\(kind.key)_micros"] = .number(Double(recipe.costByKindMicros[kind.key] ?? 0)) }
        recipeJSON["cost"] = .object(cost)

        return ReportDocument(
            title: "Explain \(asset)", stamp: try .of(ledger, size: asOf),
            sections: [
                .init(heading: "Summary", paragraphs: summary),
                .init(
                    heading: "How to produce it again",
                    paragraphs: [
                        "From the generation.requested at seq \(recipe.generationSeq.map(String.init) ?? "?") and the template.versioned it names; the payload is in the JSON form as recorded."
                    ],
                    table: .init(columns: ["what", "recorded"], rows: recipeRows)),
                .init(
                    heading: "Cost (\(currency))",
                    paragraphs: ["This asset: its generation, its refinements and their reviews. The deliverable: every attempt."],
                    table: .init(columns: ["cost kind", "this asset (\(currency))", "the deliverable (\(currency))"], rows: costRows)),
                .init(
                    heading: "Attempts of \(story.deliverable)",
                    paragraphs: ["Every generation of the deliverable, failed and rejected ones too, and every request the gate denied."],
                    table: .init(
                        columns: ["seq", "generation", "attempt", "model", "seed", "outcome", "asset", "verdict", "note"],
                        rows: attemptRows)),
                .init(
                    heading: "Lineage",
                    paragraphs: [
                        "\(counted(lineage.assets.count, "asset")): " + lineage.assets.joined(separator: " ← ") + ".",
                        lineage.edges.isEmpty
                            ? "Generated directly."
                            : lineage.edges.map { "\($0.from) → \($0.to) (\($0.label))" }.joined(separator: "; "),
                    ],
                    graph: graph),
                .init(
                    heading: "Cited events", paragraphs: [checkpointLine],
                    table: .init(columns: ["seq", "type", "role", "asset", "what", "hash", "inclusion proof"], rows: rows)),
            ],
            data: [
                "asset": .string(asset), "query": .string(query), "found_by": foundBy.map(JSONValue.string) ?? .null,
                "notes": .array(summary.map(JSONValue.string)), "recipe": .object(recipeJSON),
                "assets": .array(lineage.assets.map(JSONValue.string)),
                "edges": .array(
                    lineage.edges.map { ["from": .string($0.from), "to": .string($0.to), "label": .string($0.label)] }),
                "attempts": .array(
                    story.generations.map {
                        [
                            "seq": .number(Double($0.seq)), "generation": .string($0.generation), "attempt": .number(Double($0.attempt)),
                            "model": .string($0.model), "seed": .number(Double($0.seed)), "outcome": .string($0.outcome),
                            "failure_mode": $0.failureMode.map(JSONValue.string) ?? .null,
                            "asset": $0.asset.map(JSONValue.string) ?? .null, "verdict": $0.verdict.map(JSONValue.string) ?? .null,
                        ]
                    }),
                "denials": .array(
                    denied.map {
                        ["seq": .number(Double($0.seq)), "rule": .string($0.rule), "reason": .string($0.reason), "hash": .string($0.hash)]
                    }),
                "checkpoint": checkpoint.map { ["tree_size": .number(Double($0.treeSize)), "root": .string($0.root.base64)] }
                    ?? .null,
                "events": .array(cited),
            ])
    }
}
