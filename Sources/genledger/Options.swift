import ArgumentParser
import Foundation
import Governance
import LedgerLog

/// Where the ledger is: --ledger, else $GENLEDGER_LEDGER, else genledger.db here.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The ledger: a SQLite file, or postgres://user@host:port/db (default: $GENLEDGER_LEDGER, else genledger.db).")
    var ledger: String?

    var path: String {
        ledger ?? ProcessInfo.processInfo.environment["GENLEDGER_LEDGER"] ?? "genledger.db"
    }

    func open() throws -> Ledger { try Ledger(opening: path) }

    /// The signing key file that goes with the ledger unless one is named: LEDGER.key beside a
    /// file; for a PostgreSQL ledger, DATABASE.key in the current directory (the key never goes
    /// into the database: whoever can write the database must not be able to sign).
    var defaultKeyFile: String {
        guard StoreKind.of(location: path) == .postgres else { return path + ".key" }
        let database = path.split(separator: "/").last.map { $0.split(separator: "?").first.map(String.init) ?? "" } ?? ""
        return (database.isEmpty ? "genledger" : database) + ".key"
    }
}

/// Signing keys: --key-file (repeatable), else $GENLEDGER_KEY_FILE, else LEDGER.key.
struct SigningOptions: ParsableArguments {
    @Option(name: .customLong("key-file"), help: "A signing key file (repeat to sign with several keys; default: LEDGER.key).")
    var keyFiles: [String] = []

    func paths(for ledger: LedgerOptions) -> [String] {
        if !keyFiles.isEmpty { return keyFiles }
        if let fromEnvironment = ProcessInfo.processInfo.environment["GENLEDGER_KEY_FILE"] { return [fromEnvironment] }
        return [ledger.defaultKeyFile]
    }

    func signers(for ledger: LedgerOptions) throws -> [NoteSignerKey] {
        try paths(for: ledger).map(KeyFile.read(at:))
    }
}

/// Reads a small text file (a checkpoint, a proof, a key), naming it when it cannot.
func readTextFile(_ path: String, what: String) throws -> String {
    if path == "-" {
        var text = ""
        while let line = readLine(strippingNewline: false) { text += line }
        return text
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw LedgerError(.badInput, "cannot read \(what) '\(path)'")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw LedgerError(.badInput, "\(what) '\(path)' is not UTF-8 text")
    }
    return text
}

/// A verifier key given inline (name+id+key) or as a file holding one.
func parseVerifierKey(_ argument: String) throws -> NoteVerifierKey {
    if argument.contains("+") && !FileManager.default.fileExists(atPath: argument) {
        return try NoteVerifierKey(parsing: argument)
    }
    return try NoteVerifierKey(parsing: try readTextFile(argument, what: "verifier key file"))
}

extension JSONValue {
    var canonical: String { CanonicalJSON.string(of: self) }
}

/// The actor recorded: `--actor`, else $GENLEDGER_ACTOR, else `cli:` and the OS user (from the
/// password database when $USER is unset, else the numeric uid): never `unknown`.
func resolvedActor(_ option: String?) -> String {
    if let option, !option.isEmpty { return option }
    let environment = ProcessInfo.processInfo.environment
    if let actor = environment["GENLEDGER_ACTOR"], !actor.isEmpty { return actor }
    if let user = environment["USER"], !user.isEmpty { return "cli:\(user)" }
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return "cli:\(String(cString: name))" }
    return "cli:uid-\(getuid())"
}

/// The limits a YAML document is read under (docs/POLICIES.md, Reading rules).
struct YAMLOptions: ParsableArguments {
    @Option(help: "The largest YAML file read, in bytes (default: 1048576).")
    var maxYamlBytes: Int = YAMLLimits.standard.maxBytes

    @Option(help: "The most nodes one YAML document may have (default: 50000).")
    var maxYamlNodes: Int = YAMLLimits.standard.maxNodes

    @Option(help: "The deepest a YAML document may nest (default: 32).")
    var maxYamlDepth: Int = YAMLLimits.standard.maxDepth

    var limits: YAMLLimits { YAMLLimits(maxBytes: maxYamlBytes, maxDepth: maxYamlDepth, maxNodes: maxYamlNodes) }

    func validate() throws {
        guard maxYamlBytes > 0, maxYamlNodes > 0, maxYamlDepth > 0 else {
            throw ValidationError("--max-yaml-bytes, --max-yaml-nodes and --max-yaml-depth must be above 0")
        }
    }
}
