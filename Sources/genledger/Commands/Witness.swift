import ArgumentParser
import Foundation
import LedgerLog
import LedgerService

struct Witness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a transparency-log witness (C2SP tlog-witness) that cosigns consistent checkpoints.",
        subcommands: [Init.self, Serve.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a witness signing key and print its verifier key (give it to the logs' auditors).")

        @Option(help: "The witness's name, a schema-less URL (e.g. witness.example.com/w1).")
        var name: String

        @Option(help: "Where to write the signing key (mode 0600, never overwritten).")
        var keyFile: String

        func run() throws {
            try reportingErrors {
                let key = try Cosignature.SignerKey.generate(name: name)
                try KeyFile.create(key, at: keyFile)
                print("witness key: \(keyFile) (mode 0600; keep it secret)")
                print("witness verifier key: \(key.verifierKey)")
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve POST /add-checkpoint: cosign each checkpoint that extends the tree last cosigned.",
            discussion: """
                Witnesses the logs whose checkpoint verifier keys are given with --log (the key's name \
                is the log's origin). Keeps, in --state, the size and root it last cosigned for each \
                log, written durably before it answers; refuses (409, 422) a checkpoint that does not \
                extend them, so a rewritten or truncated history gets no cosignature. docs/FORMAT.md §10.
                """)

        @Option(help: "The witness's signing key file (genledger witness init).")
        var keyFile: String

        @Option(name: .customLong("log"), help: "A log's checkpoint verifier key. Repeatable.")
        var logs: [String] = []

        @Option(help: "The witness's state file (created if absent).")
        var state: String

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port (0: any free port; the one chosen is printed).")
        var port = 0

        func run() async throws {
            do {
                let key = try KeyFile.readWitnessKey(at: keyFile)
                var byOrigin: [String: [NoteVerifierKey]] = [:]
                for text in logs {
                    let log = try parseVerifierKey(text)
                    byOrigin[log.name, default: []].append(log)
                }
                guard !byOrigin.isEmpty else { throw ValidationError("give at least one --log key") }
                var configuration = WitnessServer.Configuration(key: key, logs: byOrigin, statePath: state)
                configuration.host = host
                configuration.port = port
                let origins = byOrigin.keys.sorted().joined(separator: ", ")
                try await WitnessServer.run(configuration) { host, port in
                    FileHandle.standardOutput.write(
                        Data("genledger witness \(key.name): serving http://\(host):\(port) for \(origins)\n".utf8))
                }
            } catch let error as LedgerError {
                printError(error.description)
                throw ExitCode(Exit.code(for: error))
            }
        }
    }
}
