import ArgumentParser
import LedgerLog

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the hash chain, Merkle tree and every checkpoint; name the first bad seq.",
        discussion: """
            With --export FILE, verifies an export with no database, against --checkpoint and --key. \
            With --checkpoint on a ledger, also holds the ledger against a checkpoint kept elsewhere, \
            which detects a removed tail. Exit 0 when intact, 2 when damage is found. \
            A ledger is read in one pass in constant memory (SQLite's page cache held to 2 MiB, \
            at most four batches of 1 024 rows held): rows are read on one thread and hashed on \
            a second when there are two cores; anything that does not hold sends the ledger \
            through the serial check, which names the problem.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "Verify this JSON Lines export instead of a ledger.")
    var export: String?

    @Option(help: "A signed checkpoint file to hold the ledger or export against.")
    var checkpoint: String?

    @Option(name: .customLong("key"), help: "A trusted verifier key (name+id+key, or a file holding one). Repeatable.")
    var keys: [String] = []

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(help: "With --export: accept an export longer than the checkpoint, checking only the events it covers.")
    var prefix = false

    @Option(name: .customLong("witness-key"), help: "A witness's verifier key whose cosignature counts. Repeatable.")
    var witnessKeys: [String] = []

    @Option(help: "Cosignatures by distinct --witness-key witnesses the checkpoint must carry (default: all of them).")
    var quorum: Int?

    func validate() throws {
        if quorum != nil && witnessKeys.isEmpty { throw ValidationError("--quorum needs --witness-key") }
        if let quorum, quorum < 1 || quorum > witnessKeys.count {
            throw ValidationError("--quorum is 1 to the number of --witness-key (\(witnessKeys.count))")
        }
        if export != nil && (checkpoint == nil || keys.isEmpty) {
            throw ValidationError("--export needs --checkpoint and at least one --key")
        }
        if prefix && export == nil { throw ValidationError("--prefix applies to --export") }
    }

    func run() throws {
        try reportingErrors {
            let trusted = try keys.map(parseVerifierKey)
            let suppliedText = try checkpoint.map { try readTextFile($0, what: "checkpoint") }
            let supplied = try suppliedText.map { try SignedCheckpoint(parsing: $0) }
            var report: VerificationReport
            var cosigned: WitnessQuorum.Result?
            if let export {
                report = try ExportVerifier.verify(exportAt: export, checkpoint: supplied!, keys: trusted, prefix: prefix)
            } else {
                let ledger = try ledger.open()
                report = try ledger.verify(supplied: supplied.map { [$0] } ?? [], suppliedKeys: trusted)
                if !witnessKeys.isEmpty, suppliedText == nil {
                    // The ledger's latest checkpoint, with the cosignatures it collected.
                    guard let latest = try ledger.latestCheckpoint() else {
                        throw LedgerError(.badInput, "no checkpoint has been issued: witnesses have nothing to cosign")
                    }
                    cosigned = WitnessQuorum.check(
                        note: try ledger.cosignedNote(latest), witnesses: try witnessKeys.map(Cosignature.VerifierKey.init(parsing:)),
                        quorum: quorum ?? witnessKeys.count)
                }
            }
            if let suppliedText, !witnessKeys.isEmpty {
                cosigned = WitnessQuorum.check(
                    note: suppliedText, witnesses: try witnessKeys.map(Cosignature.VerifierKey.init(parsing:)),
                    quorum: quorum ?? witnessKeys.count)
            }
            if let problem = cosigned?.problem { report.problems.append(problem) }
            var output = json ? Self.json(report) : .string(Self.text(report))
            if let cosigned {
                if case .object(var object) = output {
                    object["witnesses"] = .array(
                        cosigned.cosignedBy.map { ["name": .string($0.name), "timestamp": .number(Double($0.timestamp))] })
                    output = .object(object)
                } else if case .string(var text) = output {
                    for witness in cosigned.cosignedBy {
                        text += "\ncosigned by witness \(witness.name) at \(Timestamp(microsecondsSinceEpoch: Int64(witness.timestamp) * 1_000_000))"
                    }
                    output = .string(text)
                }
            }
            if case .string(let text) = output { print(text) } else { print(output.canonical) }
            if !report.isValid { throw ExitCode(Exit.verificationFailed) }
        }
    }

    static func text(_ report: VerificationReport) -> String {
        var lines: [String] = []
        if let first = report.firstProblem {
            lines.append("FAILED: " + (first.seq.map { "first bad seq \($0): " } ?? "") + "\(first.kind): \(first.message)")
            for problem in report.problems where problem != first { lines.append("  also: \(problem)") }
        } else {
            lines.append(
                "OK: \(report.eventCount) events, root \(report.root.base64), \(counted(report.checkpointsChecked, "checkpoint")) checked, \(counted(report.signaturesVerified, "signature")) verified"
            )
        }
        lines.append("origin: \(report.origin)")
        for trusted in report.trustedKeys {
            lines.append(
                "trusted key: \(trusted.key) (\(Self.why(trusted.source)))")
        }
        if let settings = report.durabilitySettings { lines.append("durability: \(settings)") }
        for warning in report.warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }

    static func why(_ source: VerificationReport.TrustedKey.Source) -> String {
        switch source {
        case .supplied: "supplied with --key"
        case .rotation: "vouched for by a signed key statement in the log, from the trust root"
        case .ledgerFile: "registered in the ledger file"
        }
    }

    static func json(_ report: VerificationReport) -> JSONValue {
        var object: [String: JSONValue] = [
            "ok": .bool(report.isValid),
            "origin": .string(report.origin),
            "events": .number(Double(report.eventCount)),
            "root": .string(report.root.base64),
            "checkpoints_checked": .number(Double(report.checkpointsChecked)),
            "signatures_verified": .number(Double(report.signaturesVerified)),
            "warnings": .array(report.warnings.map(JSONValue.string)),
            "trusted_keys": .array(
                report.trustedKeys.map { ["key": .string($0.key), "source": .string($0.source.rawValue)] }),
            "problems": .array(
                report.problems.map { problem in
                    var entry: [String: JSONValue] = [
                        "kind": .string(problem.kind.rawValue), "message": .string(problem.message),
                    ]
                    if let seq = problem.seq { entry["seq"] = .number(Double(seq)) }
                    return .object(entry)
                }),
        ]
        if let durability = report.durability { object["durability"] = .string(durability.rawValue) }
        if let first = report.firstProblem {
            object["first_problem"] = .string(first.kind.rawValue)
            if let seq = first.seq { object["first_bad_seq"] = .number(Double(seq)) }
        }
        return .object(object)
    }
}
