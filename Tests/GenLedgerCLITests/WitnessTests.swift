import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Witnesses (C2SP tlog-witness, tlog-cosignature) as real processes on loopback: two witnesses,
/// one of them down; cosignatures collected, kept and counted against a quorum; a truncated and
/// a rewritten history (re-signed with the log's own key) refused by the witness, so that
/// `verify --witness-key --quorum` catches them with no checkpoint kept by hand. Cosignatures
/// are also checked by a verifier written from the specification with Python's `cryptography`.
@Suite(.serialized) struct WitnessTests {
    final class Witness {
        let process: GenLedgerProcess.Running
        let url: String
        let key: String

        init(name: String, logKey: String, in directory: TemporaryDirectory, port: Int = 0) throws {
            let keyFile = directory.path("\(name).key")
            if !FileManager.default.fileExists(atPath: keyFile) {
                _ = try GenLedgerProcess.run(["witness", "init", "--name", "\(name).example/w", "--key-file", keyFile], in: directory)
            }
            key = try Self.verifierKey(of: keyFile)
            process = try GenLedgerProcess.start(
                ["witness", "serve", "--key-file", keyFile, "--log", logKey, "--state", directory.path("\(name).state"),
                 "--port", String(port)], in: directory)
            var found: String?
            for _ in 0..<200 {
                if let range = process.stdoutSoFar.range(of: "http://127.0.0.1:") {
                    found = "http://127.0.0.1:" + process.stdoutSoFar[range.upperBound...].prefix { $0.isNumber }
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            url = try #require(found, "witness \(name) did not start")
        }

        /// The verifier key of a witness key file: printed by `witness init`; recomputed here from the file.
        static func verifierKey(of keyFile: String) throws -> String {
            try Cosignature.SignerKey(parsing: try String(contentsOfFile: keyFile, encoding: .utf8)).verifierKey.description
        }

        deinit {
            process.process.terminate()
            process.process.waitUntilExit()
        }
    }

    @Test("two witnesses, one down: the quorum counts cosignatures; a truncated or rewritten history is refused by the witness and caught by verify")
    func witnessesCatchRewrites() throws {
        let directory = TemporaryDirectory("genledger-witness")
        let ledger = directory.path("ledger.db")
        let env = ["GENLEDGER_LEDGER": ledger]
        let created = try GenLedgerProcess.run(["init", "--origin", "witnessed.example/log"], environment: env, in: directory)
        let logKey = try #require(created.stdout.split(separator: "\n").first { $0.hasPrefix("verifier key: ") }).dropFirst(14)
        _ = try GenLedgerProcess.run(["policy", "publish", RepositoryFiles.path("policies")], environment: env, in: directory)
        let w1 = try Witness(name: "w1", logKey: String(logKey), in: directory)
        // w2 runs, then goes down (killed) before the first checkpoint; it comes back later.
        var w2: Witness? = try Witness(name: "w2", logKey: String(logKey), in: directory)
        let w2Key = w2!.key
        let w2URL = w2!.url
        let w2Port = Int(w2URL.split(separator: ":").last!)!
        w2 = nil  // deinit terminates the process: w2 is down
        let both = ["--witness", w1.url, "--witness-key", w1.key, "--witness", w2URL, "--witness-key", w2Key]

        let first = try GenLedgerProcess.run(["checkpoint"] + both + ["--quorum", "1"], environment: env, in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\u{2014} w1.example/w "), "the printed checkpoint carries w1's cosignature")
        #expect(first.stderr.contains("w2.example/w") && first.stderr.contains("unreachable"))
        // Kept before the truncation below: the history as it stood at the first checkpoint.
        try FileManager.default.copyItem(atPath: ledger, toPath: directory.path("then.db"))
        try FileManager.default.copyItem(atPath: ledger + ".key", toPath: directory.path("then.db.key"))

        let quorum1 = try GenLedgerProcess.run(
            ["verify", "--key", String(logKey), "--witness-key", w1.key, "--witness-key", w2Key, "--quorum", "1", "--json"],
            environment: env, in: directory)
        #expect(quorum1.status == 0 && quorum1.stdout.contains("\"witnesses\":[{\"name\":\"w1.example/w\""), "\(quorum1.stdout)")
        let quorum2 = try GenLedgerProcess.run(
            ["verify", "--key", String(logKey), "--witness-key", w1.key, "--witness-key", w2Key], environment: env, in: directory)
        #expect(quorum2.status == 2 && quorum2.stdout.contains("witness-quorum"), "\(quorum2.stdout)")

        // An independent verifier agrees on the cosignature.
        let cosigned = directory.path("cosigned.checkpoint")
        try first.stdout.write(toFile: cosigned, atomically: true, encoding: .utf8)
        let python = try Self.python(
            [RepositoryFiles.path("Tests/Fixtures/cosignature/verify_cosignature.py"), cosigned, String(logKey), w1.key, w2Key])
        #expect(python.status == 0 && python.output.contains("cosigned w1.example/w") && python.output.contains("absent w2.example/w"),
                "\(python.output)")

        // The log grows; w2 comes back on its port; both cosign the larger tree (w1 with a
        // consistency proof from the tree it knows, w2 from its first sight of the log).
        _ = try GenLedgerProcess.run(["append"], stdin: EventLines.openCampaign("C-W1") + "\n", environment: env, in: directory)
        let w2Back = try Witness(name: "w2", logKey: String(logKey), in: directory, port: w2Port)
        let second = try GenLedgerProcess.run(
            ["checkpoint", "--witness", w1.url, "--witness-key", w1.key, "--witness", w2Back.url, "--witness-key", w2Key, "--quorum", "2"],
            environment: env, in: directory)
        #expect(second.status == 0, "\(second.stderr)")
        let quorumBoth = try GenLedgerProcess.run(
            ["verify", "--key", String(logKey), "--witness-key", w1.key, "--witness-key", w2Key], environment: env, in: directory)
        #expect(quorumBoth.status == 0, "both witnesses cosigned the latest checkpoint: \(quorumBoth.stdout)")

        // Truncated: the earlier file, checkpointed again with the log's own key. w1 has seen more.
        let thenEnv = ["GENLEDGER_LEDGER": directory.path("then.db")]
        let truncated = try GenLedgerProcess.run(
            ["checkpoint", "--witness", w1.url, "--witness-key", w1.key, "--quorum", "1"], environment: thenEnv, in: directory)
        #expect(truncated.status == 2 && truncated.stderr.contains("truncated or rewritten"), "\(truncated.stderr)")
        let caught = try GenLedgerProcess.run(
            ["verify", "--key", String(logKey), "--witness-key", w1.key], environment: thenEnv, in: directory)
        #expect(caught.status == 2 && caught.stdout.contains("witness-quorum"), "the truncated ledger verifies only without the witness: \(caught.stdout)")

        // Rewritten: the earlier file with other events appended, past w1's size, re-signed with the log's key.
        for id in ["C-X1", "C-X2", "C-X3"] {
            _ = try GenLedgerProcess.run(["append"], stdin: EventLines.openCampaign(id) + "\n", environment: thenEnv, in: directory)
        }
        let rewritten = try GenLedgerProcess.run(
            ["checkpoint", "--witness", w1.url, "--witness-key", w1.key, "--quorum", "1"], environment: thenEnv, in: directory)
        #expect(rewritten.status == 2 && rewritten.stderr.contains("does not extend"), "\(rewritten.stderr)")
        let stillCaught = try GenLedgerProcess.run(
            ["verify", "--key", String(logKey), "--witness-key", w1.key], environment: thenEnv, in: directory)
        #expect(stillCaught.status == 2, "\(stillCaught.stdout)")
        // While the honest ledger still verifies with its witness.
        let honest = try GenLedgerProcess.run(
            ["verify", "--key", String(logKey), "--witness-key", w1.key], environment: env, in: directory)
        #expect(honest.status == 0, "\(honest.stdout)")
    }

    @Test("the add-checkpoint answers of C2SP tlog-witness: unknown log 404, bad signature 403, old above size 400, stale old size 409 with the size, bad proof 422")
    func protocolAnswers() async throws {
        let directory = TemporaryDirectory("genledger-witness-protocol")
        let (ledger, signer) = try LedgerFixtures.make(in: directory, origin: "proto.example/log")
        var events = LedgerFixtures.events(10)
        for i in events.indices { events[i].id = UUID() }
        _ = try ledger.append(events)
        let checkpoint = try ledger.issueCheckpoint(signers: [signer])
        let witness = try Witness(name: "wp", logKey: signer.verifierKey.description, in: directory)
        func post(_ body: String) async throws -> (Int, String, String?) {
            var request = URLRequest(url: URL(string: witness.url + "/add-checkpoint")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Type"))
        }
        let stranger = try NoteSignerKey.generate(name: "other.example/log")
        let foreign = try SignedCheckpoint.sign(Checkpoint(origin: "other.example/log", size: 1, root: checkpoint.root), with: [stranger])
        #expect(try await post("old 0\n\n" + foreign.note.serialized).0 == 404)
        let forged = try SignedCheckpoint.sign(Checkpoint(origin: "proto.example/log", size: 10, root: checkpoint.root), with: [
            try NoteSignerKey.generate(name: "proto.example/log")
        ])
        #expect(try await post("old 0\n\n" + forged.note.serialized).0 == 403)
        #expect(try await post("old 11\n\n" + checkpoint.note).0 == 400)
        #expect(try await post("old 01\n\n" + checkpoint.note).0 == 400)
        let first = try await post("old 0\n\n" + checkpoint.note)
        #expect(first.0 == 200 && first.1.hasPrefix("\u{2014} wp.example/w "))
        let stale = try await post("old 0\n\n" + checkpoint.note)
        #expect(stale.0 == 409 && stale.1 == "10\n" && stale.2 == "text/x.tlog.size")
        // A larger tree with a wrong proof.
        var more = LedgerFixtures.events(5)
        for i in more.indices { more[i].id = UUID() }
        _ = try ledger.append(more)
        let larger = try ledger.issueCheckpoint(signers: [signer])
        let wrong = String(repeating: "A", count: 43) + "=\n"
        #expect(try await post("old 10\n" + wrong + wrong + "\n" + larger.note).0 == 422)
        let proof = try ledger.consistencyProof(oldSize: 10, newSize: 15).path.map { $0.base64 + "\n" }.joined()
        #expect(try await post("old 10\n" + proof + "\n" + larger.note).0 == 200)
    }

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ExternalTool.run("/usr/bin/env", ["python3"] + arguments)
    }
}
