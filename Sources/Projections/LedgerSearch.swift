import Foundation
import LedgerLog

/// What a person typed into the web app's search box, found: a deliverable, a campaign, an asset
/// id, or a file's SHA-256 (an asset recorded with it). Exact matches first; otherwise ids that
/// start with the text. Nothing found is an empty answer the page says so of.
public struct SearchHit: Sendable, Equatable {
    public enum Kind: String, Sendable { case deliverable, campaign, asset, sha256 }
    public var kind: Kind
    public var id: String
    /// The deliverable an asset belongs to.
    public var deliverable: String?
}

extension Projections {
    public func search(_ text: String, limit: Int = 20) throws -> [SearchHit] {
        try catchUp()
        let query = text.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return [] }
        return try ledger.withSideTables(write: false) { tables in
            let exact: SideTables.Value = .text(query)
            var hits: [SearchHit] = []
            if query.utf8.count == 64, query.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                hits += try tables.rows("SELECT asset, deliverable FROM proj_assets WHERE sha256 = ?1 LIMIT 5", [exact]).map {
                    SearchHit(kind: .sha256, id: $0[0].string ?? "", deliverable: $0[1].string)
                }
            }
            hits += try tables.rows("SELECT deliverable FROM proj_deliverables WHERE deliverable = ?1", [exact]).map {
                SearchHit(kind: .deliverable, id: $0[0].string ?? "")
            }
            hits += try tables.rows("SELECT campaign FROM proj_campaigns WHERE campaign = ?1", [exact]).map {
                SearchHit(kind: .campaign, id: $0[0].string ?? "")
            }
            hits += try tables.rows("SELECT asset, deliverable FROM proj_assets WHERE asset = ?1 LIMIT 1", [exact]).map {
                SearchHit(kind: .asset, id: $0[0].string ?? "", deliverable: $0[1].string)
            }
            guard hits.isEmpty else { return hits }
            // Prefixes: LIKE with the text's own wildcards escaped.
            let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            let prefix: SideTables.Value = .text(escaped + "%")
            let bound: SideTables.Value = .integer(Int64(limit))
            hits += try tables.rows(
                "SELECT deliverable FROM proj_deliverables WHERE deliverable LIKE ?1 ESCAPE '\\' ORDER BY deliverable LIMIT ?2",
                [prefix, bound]
            ).map { SearchHit(kind: .deliverable, id: $0[0].string ?? "") }
            hits += try tables.rows(
                "SELECT campaign FROM proj_campaigns WHERE campaign LIKE ?1 ESCAPE '\\' ORDER BY campaign LIMIT ?2", [prefix, bound]
            ).map { SearchHit(kind: .campaign, id: $0[0].string ?? "") }
            hits += try tables.rows(
                "SELECT asset, deliverable FROM proj_assets WHERE asset LIKE ?1 ESCAPE '\\' ORDER BY asset LIMIT ?2", [prefix, bound]
            ).map { SearchHit(kind: .asset, id: $0[0].string ?? "", deliverable: $0[1].string) }
            return Array(hits.prefix(limit))
        }
    }

    /// The months (`YYYY-MM`) in which costs were recorded, oldest first.
    public func costMonths() throws -> [String] {
        try catchUp()
        return try ledger.withSideTables(write: false) { tables in
            try tables.rows("SELECT DISTINCT substr(occurred_at, 1, 7) FROM proj_costs ORDER BY 1").compactMap { $0[0].string }
        }
    }
}
