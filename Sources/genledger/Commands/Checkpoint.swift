import ArgumentParser
import Foundation
import LedgerLog
import LedgerService

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Issue, store and print a signed checkpoint of the current tree head.",
        discussion: """
            With --witness URL --witness-key KEY (repeatable, in pairs), asks each witness (C2SP \
            tlog-witness) to cosign the new checkpoint, giving it the consistency proof from the \
            tree it last cosigned; keeps every cosignature and prints the checkpoint with them. A \
            witness that is down, or that refuses (the history was truncated or rewritten since it \
            cosigned), is reported on standard error; with --quorum K, fewer than K cosignatures exit 2.
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var signing: SigningOptions

    @Flag(help: "Print the latest stored checkpoint (with its cosignatures) instead of issuing one.")
    var latest = false

    @Option(name: .customLong("witness"), help: "A witness's URL (its add-checkpoint prefix). Repeatable.")
    var witnesses: [String] = []

    @Option(name: .customLong("witness-key"), help: "That witness's verifier key (name+id+base64(0x04‖key)). One per --witness.")
    var witnessKeys: [String] = []

    @Option(help: "Cosignatures required (exit 2 with fewer).")
    var quorum: Int?

    func validate() throws {
        guard witnesses.count == witnessKeys.count else {
            throw ValidationError("give one --witness-key per --witness, in the same order")
        }
        if let quorum, quorum > witnesses.count || quorum < 0 {
            throw ValidationError("--quorum is 0 to the number of witnesses (\(witnesses.count))")
        }
    }

    func run() async throws {
        try await reportingErrorsAsync {
            let ledger = try ledger.open()
            if latest {
                guard let stored = try ledger.latestCheckpoint() else {
                    throw LedgerError(.badInput, "no checkpoint has been issued yet (run 'genledger checkpoint')")
                }
                print(try ledger.cosignedNote(stored), terminator: "")
                return
            }
            let stored = try ledger.issueCheckpoint(signers: try signing.signers(for: self.ledger))
            var cosigned = 0
            for (address, keyText) in zip(witnesses, witnessKeys) {
                guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https" else {
                    throw ValidationError("--witness '\(address)' is not an http(s) URL")
                }
                let key = try Cosignature.VerifierKey(parsing: keyText)
                do {
                    let line = try await WitnessClient(url: url, key: key).cosign(
                        stored, ledger: ledger, lastKnownSize: try ledger.lastCosignedSize(witness: key.name))
                    try ledger.addCosignature(checkpoint: stored.number, witness: key.name, line: line)
                    cosigned += 1
                } catch let refusal as WitnessClient.Refusal {
                    printError("witness: \(refusal)")
                }
            }
            print(try ledger.cosignedNote(stored), terminator: "")
            if let quorum, cosigned < quorum {
                printError("\(cosigned) of \(witnesses.count) witnesses cosigned; --quorum is \(quorum)")
                throw ExitCode(Exit.verificationFailed)
            }
        }
    }
}
