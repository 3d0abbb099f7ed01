import ArgumentParser
import Foundation
import LedgerLog

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a ledger and its signing key; print the verifier key.")

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "The log's origin, the first line of every checkpoint (default: genledger.local/NAME-RANDOM).")
    var origin: String?

    @Option(
        name: .customLong("key-file"),
        help: "Where to write the signing key (default: $GENLEDGER_KEY_FILE, else LEDGER.key). Never overwritten.")
    var keyFile: String?

    @Option(
        help: "full (default: every commit survives power loss) or normal (faster; recent commits may be lost on power loss).")
    var durability: String = "full"

    func validate() throws {
        guard Durability(rawValue: durability.uppercased()) != nil else {
            throw ValidationError("--durability is 'full' or 'normal', not '\(durability)'")
        }
    }

    func run() throws {
        try reportingErrors {
            let path = ledger.path
            let keyPath = keyFile ?? ProcessInfo.processInfo.environment["GENLEDGER_KEY_FILE"] ?? ledger.defaultKeyFile
            for existing in [path, keyPath] where FileManager.default.fileExists(atPath: existing) {
                throw LedgerError(.alreadyExists, "'\(existing)' already exists; refusing to overwrite it")
            }
            let origin = origin ?? Self.defaultOrigin(for: path)
            let signer = try NoteSignerKey.generate(name: origin)
            try KeyFile.create(signer, at: keyPath)
            do {
                let created = try Ledger.create(
                    at: path, origin: origin, durability: Durability(rawValue: durability.uppercased())!)
                try created.addVerifierKey(signer.verifierKey)
            } catch {
                try? FileManager.default.removeItem(atPath: keyPath)
                throw error
            }
            print("created ledger \(path)")
            print("origin: \(origin)")
            print("signing key: \(keyPath) (mode 0600; keep it secret)")
            print("verifier key: \(signer.verifierKey)")
            print(
                "trust root: \(signer.verifierKey) — give it to your auditors; `genledger verify --key` it trusts this key and the keys it vouches for (genledger key add), nothing the file alone registers"
            )
        }
    }

    static func defaultOrigin(for path: String) -> String {
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            .filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        return "genledger.local/\(stem.isEmpty ? "ledger" : stem)-\(suffix)"
    }
}
