import Foundation
public import LedgerLog

/// Small ledgers built by hand for tests.
public enum LedgerFixtures {
    /// A new ledger in `directory` (or, for PostgreSQL, a database of its own) with a registered signing key.
    public static func make(
        in directory: TemporaryDirectory, name: String = "ledger.db", origin: String = "test.example/log", store: TestStore = .sqlite
    ) throws -> (ledger: Ledger, signer: NoteSignerKey) {
        let ledger = try Ledger.create(at: try store.location(in: directory, name: name), origin: origin)
        let signer = try NoteSignerKey.generate(name: origin)
        try ledger.addVerifierKey(signer.verifierKey)
        return (ledger, signer)
    }

    /// `count` events spread over a few streams, with payloads that differ.
    public static func events(_ count: Int, streamPrefix: String = "deliverable/D-") -> [ProposedEvent] {
        (0..<count).map { i in
            ProposedEvent(
                type: i % 3 == 0 ? "generation.requested" : "cost.recorded",
                stream: "\(streamPrefix)\(i % 5)",
                payload: [
                    "attempt": .number(Double(i)), "note": .string("event \(i) ✓"), "cost": ["amount": 1.25, "currency": "EUR"],
                ],
                occurredAt: Timestamp(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(i) * 1_000_000),
                actor: "pipeline:test")
        }
    }
}
