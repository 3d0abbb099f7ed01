import Foundation
public import LedgerLog

/// What a bearer token may do (docs/API.md has the full matrix).
public enum ServiceRole: String, CaseIterable, Sendable {
    /// Pipelines: append events, route, ask for regenerations, record replays.
    case writer
    /// Grants overrides; reads.
    case approver
    /// Reads only.
    case auditor
    /// Everything but granting overrides (an approver's name is what the policy lists).
    case admin
}

/// A caller the service knows: its name is the actor of every event it writes.
public struct ServiceToken: Sendable, Equatable {
    public var name: String
    public var role: ServiceRole
}

/// Bearer tokens, kept in the ledger file beside the log as SHA-256 digests only: the secret is
/// printed once, at creation, and cannot be read back.
public enum ServiceTokens {
    static let schema = """
        CREATE TABLE IF NOT EXISTS service_tokens(
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL)
        """
    /// Every secret starts so, which lets secret scanners recognise a leaked one.
    static let prefix = "glt_"

    /// Creates a token named `name` (the actor its writes record) and returns its secret.
    public static func create(in ledger: Ledger, name: String, role: ServiceRole) throws -> String {
        guard (1...128).contains(name.utf8.count),
            name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || "0123456789:._@-".unicodeScalars.contains($0) })
        else {
            throw LedgerError(.badInput, "a token name is 1 to 128 letters, digits and : . _ @ -", field: "name")
        }
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux
        let secret =
            prefix + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        try ledger.withSideTables(write: true) { tables in
            try tables.execute(schema)
            guard try tables.rows("SELECT 1 FROM service_tokens WHERE name = ?", [.text(name)]).isEmpty else {
                throw LedgerError(.alreadyExists, "a token named '\(name)' exists; revoke it first", field: "name")
            }
            try tables.run(
                "INSERT INTO service_tokens(name, role, token_sha256, created_at) VALUES (?, ?, ?, ?)",
                [.text(name), .text(role.rawValue), .text(digest(secret)), .text(ledger.clock().description)])
        }
        return secret
    }

    /// Removes a token; false when none has that name.
    public static func revoke(in ledger: Ledger, name: String) throws -> Bool {
        try ledger.withSideTables(write: true) { tables in
            try tables.execute(schema)
            let found = try !tables.rows("SELECT 1 FROM service_tokens WHERE name = ?", [.text(name)]).isEmpty
            try tables.run("DELETE FROM service_tokens WHERE name = ?", [.text(name)])
            return found
        }
    }

    /// Every token's name, role and creation time (never a secret: none is stored).
    public static func list(in ledger: Ledger) throws -> [(token: ServiceToken, createdAt: String)] {
        try ledger.withSideTables(write: true) { tables in
            try tables.execute(schema)
            return try tables.rows("SELECT name, role, created_at FROM service_tokens ORDER BY name").compactMap { row in
                guard let name = row[0].string, let role = row[1].string.flatMap(ServiceRole.init(rawValue:)) else { return nil }
                return (ServiceToken(name: name, role: role), row[2].string ?? "")
            }
        }
    }

    /// Every stored digest and the token it belongs to.
    static func load(from ledger: Ledger) throws -> [String: ServiceToken] {
        var tokens: [String: ServiceToken] = [:]
        try ledger.withSideTables(write: false) { tables in
            let exists = try tables.exists("service_tokens")
            guard exists else { return }
            try tables.query("SELECT token_sha256, name, role FROM service_tokens") { row in
                if let digest = row[0].string, let name = row[1].string, let role = row[2].string.flatMap(ServiceRole.init) {
                    tokens[digest] = ServiceToken(name: name, role: role)
                }
            }
        }
        return tokens
    }

    static func digest(_ secret: String) -> String { SHA256.hash(Array(secret.utf8)).hex }
}
