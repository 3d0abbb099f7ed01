import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

@Suite("Checkpoints, key rotation and offline export verification")
struct CheckpointExportTests {
    @Test("a checkpoint is C2SP text signed by every given key; verify accepts either key after rotation", arguments: TestStore.allCases)
    func rotation(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, old) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(9))
        let new = try NoteSignerKey.generate(name: ledger.origin)
        #expect {
            try ledger.issueCheckpoint(signers: [new])
        } throws: { ($0 as? LedgerError)?.code == .keyUnavailable }
        try ledger.addVerifierKey(new.verifierKey)
        let both = try ledger.issueCheckpoint(signers: [old, new])
        let signed = try SignedCheckpoint(parsing: both.note)
        #expect(signed.checkpoint.text == "\(ledger.origin)\n9\n\(try ledger.rootHash().base64)\n")
        #expect(signed.note.signatures.count == 2)
        #expect(try signed.verify(with: [old.verifierKey]).verifiedBy == [old.verifierKey])
        #expect(try signed.verify(with: [new.verifierKey]).verifiedBy == [new.verifierKey])
        try ledger.append(LedgerFixtures.events(3, streamPrefix: "campaign/C-"))
        try ledger.issueCheckpoint(signers: [new])
        let report = try ledger.verify()
        #expect(report.isValid, "\(report.problems)")
        #expect(report.checkpointsChecked == 2 && report.signaturesVerified == 3)
    }

    @Test("an export verifies with no database, and each kind of damage to it is named", arguments: TestStore.allCases)
    func exportVerification(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, signer) = try LedgerFixtures.make(in: directory, store: store)
        try ledger.append(LedgerFixtures.events(10))
        let stored = try ledger.issueCheckpoint(signers: [signer])
        let checkpoint = try SignedCheckpoint(parsing: stored.note)
        let path = directory.path("export.jsonl")
        let summary = try ledger.exportEvents(through: 10, to: path)
        #expect(summary.eventCount == 10)

        let good = try ExportVerifier.verify(exportAt: path, checkpoint: checkpoint, keys: [signer.verifierKey])
        #expect(good.isValid, "\(good.problems)")
        #expect(good.root == stored.root && good.eventCount == 10)

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        func verify(_ lines: [String], keys: [NoteVerifierKey]? = nil) throws -> VerificationReport {
            let damaged = directory.path("damaged.jsonl")
            try (lines.joined(separator: "\n") + "\n").write(toFile: damaged, atomically: true, encoding: .utf8)
            return try ExportVerifier.verify(exportAt: damaged, checkpoint: checkpoint, keys: keys ?? [signer.verifierKey])
        }
        var edited = lines
        edited[3] = edited[3].replacingOccurrences(of: "pipeline:test", with: "pipeline:tEst")
        #expect(try verify(edited).firstProblem.map { "\($0.kind)@\($0.seq ?? 0)" } == "\(VerificationProblem.Kind.edited)@4")
        var dropped = lines
        dropped.remove(at: 5)
        #expect(try verify(dropped).firstProblem.map { "\($0.kind)@\($0.seq ?? 0)" } == "\(VerificationProblem.Kind.deleted)@6")
        #expect(
            try verify(Array(lines.prefix(8))).firstProblem.map { "\($0.kind)@\($0.seq ?? 0)" }
                == "\(VerificationProblem.Kind.tailRemoved)@9")
        var reformatted = lines
        reformatted[2] = reformatted[2].replacingOccurrences(of: "{\"actor\":", with: "{ \"actor\":")
        #expect(
            try verify(reformatted).firstProblem.map { "\($0.kind)@\($0.seq ?? 0)" } == "\(VerificationProblem.Kind.malformed)@3")
        let stranger = try NoteSignerKey.generate(name: ledger.origin)
        #expect(try verify(lines, keys: [stranger.verifierKey]).firstProblem?.kind == .badSignature)
    }
}
