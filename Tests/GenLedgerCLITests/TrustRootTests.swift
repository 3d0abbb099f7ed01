import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// The trust root: `genledger init` prints the key an auditor keeps; keys added later are trusted
/// only through signed `log.key_added` statements chained from it; a retired key signs no larger
/// tree, a revoked one nothing; a key an attacker registers in the file, or vouches for with a
/// key of their own, is refused.
@Suite struct TrustRootTests {
    struct Ledger {
        let directory = TemporaryDirectory("genledger-trust")
        var env: [String: String] { ["GENLEDGER_LEDGER": directory.path("ledger.db")] }
        let root: String

        init() throws {
            let created = try GenLedgerProcess.run(["init", "--origin", "trust.example/log"], environment: ["GENLEDGER_LEDGER": directory.path("ledger.db")], in: directory)
            root = String(try #require(created.stdout.split(separator: "\n").first { $0.hasPrefix("trust root: ") }).dropFirst(12).prefix { $0 != " " })
            #expect(created.stdout.contains("verifier key: \(root)"), "the trust root is the key init made")
        }

        @discardableResult
        func run(_ arguments: [String], stdin: String? = nil) throws -> GenLedgerProcess.Result {
            try GenLedgerProcess.run(arguments, stdin: stdin, environment: env, in: directory)
        }

        func append(_ id: String) throws {
            let result = try run(["append"], stdin: EventLines.openCampaign(id) + "\n")
            #expect(result.status == 0, "\(result.stderr)")
        }

        func verify() throws -> GenLedgerProcess.Result { try run(["verify", "--key", root, "--json"]) }
    }

    @Test("a rotated key is trusted through its signed statement; a retired key cannot sign a larger tree; a revoked one nothing")
    func rotationRetirementRevocation() throws {
        let ledger = try Ledger()
        try ledger.append("C-1")
        #expect(try ledger.run(["checkpoint"]).status == 0)
        let added = try ledger.run(["key", "add", "--out", ledger.directory.path("new.key")])
        #expect(added.status == 0 && added.stdout.contains("log.key_added"), "\(added.stderr)")
        let newKey = String(try #require(added.stdout.split(separator: "\n").first { $0.hasPrefix("verifier key: ") }).dropFirst(14))
        #expect(try ledger.run(["checkpoint", "--key-file", ledger.directory.path("new.key")]).status == 0)
        var report = try ledger.verify()
        #expect(report.status == 0, "\(report.stdout)")
        #expect(report.stdout.contains("{\"key\":\"\(newKey)\",\"source\":\"rotation\"}"))

        // Retire the root (it signs its own retirement): later trees must be signed by the new key.
        #expect(try ledger.run(["key", "retire", ledger.root]).status == 0)
        try ledger.append("C-2")
        #expect(try ledger.run(["checkpoint", "--key-file", ledger.directory.path("new.key")]).status == 0)
        report = try ledger.verify()
        #expect(report.status == 0, "\(report.stdout)")
        // An export follows the same chain: the new key signed this checkpoint, the root vouched for it.
        let export = ledger.directory.path("export.jsonl")
        #expect(try ledger.run(["export", "--out", export]).status == 0)
        let checkpointFile = ledger.directory.path("latest.checkpoint")
        try (try ledger.run(["checkpoint", "--latest"])).stdout.write(toFile: checkpointFile, atomically: true, encoding: .utf8)
        let exported = try ledger.run(["verify", "--export", export, "--checkpoint", checkpointFile, "--key", ledger.root, "--json"])
        #expect(exported.status == 0 && exported.stdout.contains("\"source\":\"rotation\""), "\(exported.stdout)")
        try ledger.append("C-3")
        #expect(try ledger.run(["checkpoint"]).status == 0)  // signed by the retired root only
        report = try ledger.verify()
        #expect(report.status == 2 && report.stdout.contains("bad-signature"), "a retired key's later checkpoint fails: \(report.stdout)")
    }

    @Test("a revoked key's checkpoints fail, before and after")
    func revocation() throws {
        let ledger = try Ledger()
        try ledger.append("C-1")
        let added = try ledger.run(["key", "add", "--out", ledger.directory.path("second.key")])
        let second = String(try #require(added.stdout.split(separator: "\n").first { $0.hasPrefix("verifier key: ") }).dropFirst(14))
        #expect(try ledger.run(["checkpoint", "--key-file", ledger.directory.path("second.key")]).status == 0)
        #expect(try ledger.verify().status == 0)
        #expect(try ledger.run(["key", "revoke", second]).status == 0)  // signed by the root
        let report = try ledger.verify()
        #expect(report.status == 2 && report.stdout.contains("bad-signature"), "\(report.stdout)")
    }

    @Test("a key registered only in the file, or vouched for by a key of the attacker's, is refused and named")
    func unreachableKeysAreRefused() throws {
        let ledger = try Ledger()
        try ledger.append("C-1")
        // The attacker registers a key of their own in the file, vouches for it with itself, and signs.
        let intruder = try NoteSignerKey.generate(name: "trust.example/log")
        let intruderFile = ledger.directory.path("intruder.key")
        try KeyFile.create(intruder, at: intruderFile)
        try Attacker(path: ledger.directory.path("ledger.db")).execute(
            "INSERT INTO verifier_keys(key, added_at) VALUES ('\(intruder.verifierKey)', '2026-01-01T00:00:00Z')")
        let vouched = try KeyChain.event(origin: "trust.example/log", action: .add, key: intruder.verifierKey, signer: intruder)
        let line = CanonicalJSON.string(of: [
            "type": .string(vouched.type), "stream": .string(vouched.stream), "payload": vouched.payload,
        ])
        #expect(try ledger.run(["append"], stdin: line + "\n").status == 0, "a key statement is a fact of the log")
        #expect(try ledger.run(["checkpoint", "--key-file", intruderFile]).status == 0)
        let report = try ledger.verify()
        #expect(report.status == 2 && report.stdout.contains("bad-signature"), "\(report.stdout)")
        #expect(report.stdout.contains("not reachable from the trust root") && report.stdout.contains(intruder.verifierKey.description))
        #expect(report.stdout.contains("which is not trusted there"), "the self-vouching statement is named: \(report.stdout)")
    }
}
