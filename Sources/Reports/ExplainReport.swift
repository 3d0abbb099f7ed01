import Foundation
import LedgerLog
public import Projections

/// `genledger explain ASSET`: the asset's lineage, every cited event with its inclusion proof
/// against the latest checkpoint.
public enum ExplainReport {
    public static func build(_ projections: Projections, asset: String, asOf: UInt64) throws -> ReportDocument {
        let ledger = projections.ledger
        let lineage = try projections.lineage(of: asset, asOf: asOf)
        let checkpoint = try ledger.latestCheckpoint()
        var rows: [[String]] = []
        var cited: [JSONValue] = []
        var proven = 0
        for event in lineage.events {
            let recorded = try ledger.event(seq: event.seq)
            var proofText = "not yet covered by a signed checkpoint"
            var proofJSON: JSONValue = .null
            if let checkpoint, event.seq <= checkpoint.treeSize {
                let proof = try ledger.inclusionProof(seq: event.seq, treeSize: checkpoint.treeSize)
                try proof.verify()
                guard proof.root == checkpoint.root else {
                    throw LedgerError(
                        .verificationFailed, "seq \(event.seq) does not prove against checkpoint \(checkpoint.treeSize)",
                        seq: event.seq)
                }
                proven += 1
                proofText = "\(proof.path.count) hashes; verifies against checkpoint \(checkpoint.treeSize)"
                proofJSON = [
                    "leaf_index": .number(Double(proof.leafIndex)), "tree_size": .number(Double(proof.treeSize)),
                    "leaf_hash": .string(proof.leafHash.base64), "root": .string(proof.root.base64),
                    "path": .array(proof.path.map { .string($0.base64) }),
                ]
            }
            rows.append([
                String(event.seq), event.type, event.role, event.asset, event.summary, recorded?.hash.hex ?? "", proofText,
            ])
            cited.append([
                "seq": .number(Double(event.seq)), "type": .string(event.type), "role": .string(event.role),
                "asset": .string(event.asset),
                "summary": .string(event.summary), "hash": .string(recorded?.hash.hex ?? ""), "inclusion_proof": proofJSON,
            ])
        }
        let checkpointLine =
            checkpoint.map {
                "\(proven) of \(lineage.events.count) cited events are proven against the latest signed checkpoint (tree size \($0.treeSize), root \($0.root.base64)); check any of them with `genledger prove inclusion SEQ --size \($0.treeSize)` and `genledger verify-proof`."
            } ?? "No signed checkpoint yet: run `genledger checkpoint`, then explain again to get inclusion proofs."
        let graph = ReportDocument.Graph(
            nodes: lineage.assets.reversed().map { ($0, $0 == asset ? "\($0) (explained)" : $0) },
            edges: lineage.edges.map { ($0.from, $0.to, $0.label) })
        return ReportDocument(
            title: "Explain \(asset)", stamp: try .of(ledger, size: asOf),
            sections: [
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
                "asset": .string(asset), "assets": .array(lineage.assets.map(JSONValue.string)),
                "edges": .array(
                    lineage.edges.map { ["from": .string($0.from), "to": .string($0.to), "label": .string($0.label)] }),
                "checkpoint": checkpoint.map { ["tree_size": .number(Double($0.treeSize)), "root": .string($0.root.base64)] }
                    ?? .null,
                "events": .array(cited),
            ])
    }
}
