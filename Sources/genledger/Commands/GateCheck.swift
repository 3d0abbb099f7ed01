import ArgumentParser
import Foundation
import Governance
import LedgerLog

struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate", abstract: "Ask the policy gate about an event without appending it.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Would this event be allowed now, and why?",
            discussion: """
                Reads one event (the append line format) and judges it against the ledger's current \
                state and the policy in force, exactly as append would, without appending. Exits 0 \
                when allowed (with or without warnings), 4 when it would be denied, 65 when it is \
                not a valid event.
                """)

        @OptionGroup var ledger: LedgerOptions

        @Option(help: "The event, one JSON object (default: standard input).")
        var file: String?

        @Flag(help: "Print the judgement as JSON.")
        var json = false

        func run() throws {
            try reportingErrors {
                // Read exactly as `append` reads a line: the same reader, limits and checks.
                let reader = try file.map { try JSONLinesReader(path: $0) } ?? JSONLinesReader(standardInputWithMaxLineBytes: 2 << 20)
                var line: [UInt8]?
                repeat {
                    line = try reader.next()
                } while line.map { $0.allSatisfy { $0 == 0x20 || $0 == 0x09 } } == true
                guard let line else { throw LedgerError(.badInput, "no event in the input") }
                let number = reader.lineNumber
                let event: ProposedEvent
                do { event = try ProposedEvent(line: line) } catch let error as LedgerError { throw error.at(line: number) }
                while let more = try reader.next() {
                    if more.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    throw LedgerError(.badInput, "gate check judges one event; line \(reader.lineNumber) is a second", line: reader.lineNumber)
                }
                let governed = GovernedLedger(try ledger.open(), loading: .asNeeded)
                var out = Output()
                guard let judgement = try governed.judge(event) else {
                    out.line(json ? #"{"gated":false,"valid":true}"# : "valid; \(event.type) is not judged by the gate")
                    out.flush()
                    return
                }
                if json {
                    var record = judgement.record
                    if case .object(var object) = record, let denial = judgement.denial {
                        object["denial"] = [
                            "rule": .string(denial.rule), "action": .string(denial.action.rawValue),
                            "reason": .string(denial.reason),
                        ]
                        record = .object(object)
                    }
                    out.line(record.canonical)
                } else {
                    out.line(judgement.summary)
                    out.line("rules checked: \(judgement.rulesChecked.joined(separator: ", "))")
                    if let seq = judgement.policySeq { out.line("policy published at seq \(seq)") }
                }
                out.flush()
                if judgement.denial != nil { throw ExitCode(Exit.policyDenied) }
            }
        }
    }
}
