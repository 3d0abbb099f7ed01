import BenchSupport
import Foundation
import Governance
import LedgerLog

// Appends a simulated history twice per run, chunk by chunk, into two fresh ledgers: once
// through validation and the gate (GovernedLedger), once straight into the log (Ledger.append)
// with the same batches. Prints medians and the ratio governed / raw of the same run.

struct Options {
    var deliverables = 100_000
    var batch = 1_000
    var runs = 3
    var seed: UInt64 = 42
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-gate-bench").path

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { break }
            switch flag {
            case "--deliverables": deliverables = Int(value)!
            case "--batch": batch = Int(value)!
            case "--runs": runs = Int(value)!
            case "--seed": seed = UInt64(value)!
            case "--dir": directory = value
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

let options = Options()
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
// The history, written once (not timed) through the simulator and the gate.
let sourcePath = options.directory + "/history-\(options.seed)-\(options.deliverables).db"
let source = try Bench.simulatedHistory(at: sourcePath, seed: options.seed, deliverables: options.deliverables)

let total = try source.size()
print(
    "GenLedger gate benchmark: \(total) events (\(options.deliverables) simulated deliverables), batches of \(options.batch), median of \(options.runs) runs"
)
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")

/// One chunk of the history: as recorded (for the raw log) and as a pipeline would submit it
/// (the gate's record removed, for the governed path, which writes it again).
@MainActor func chunk(after: UInt64) throws -> (recorded: [ProposedEvent], submitted: [ProposedEvent]) {
    var recorded: [ProposedEvent] = []
    var submitted: [ProposedEvent] = []
    try source.forEachEvent(after: after, through: after + UInt64(options.batch)) { event in
        let occurred = try Timestamp(rfc3339: event.occurredAt)
        let proposed = ProposedEvent(
            id: UUID(uuidString: event.id), type: event.type, stream: event.stream, payload: event.payload, occurredAt: occurred,
            actor: event.actor)
        recorded.append(proposed)
        var stripped = proposed
        if case .object(var payload) = proposed.payload, payload[DomainEvent.gateKey] != nil {
            payload[DomainEvent.gateKey] = nil
            stripped.payload = .object(payload)
        }
        submitted.append(stripped)
        return true
    }
    return (recorded, submitted)
}

var governedRates: [Double] = []
var rawRates: [Double] = []
for run in 1...options.runs {
    let governedPath = options.directory + "/governed.db"
    let rawPath = options.directory + "/raw.db"
    Bench.removeLedger(governedPath)
    Bench.removeLedger(rawPath)
    let governed = GovernedLedger(try Ledger.create(at: governedPath, origin: "bench.example/governed"))
    let raw = try Ledger.create(at: rawPath, origin: "bench.example/raw")
    var governedSeconds = 0.0
    var rawSeconds = 0.0
    var position: UInt64 = 0
    while position < total {
        let (recorded, submitted) = try chunk(after: position)
        var start = Bench.now()
        let results = try governed.append(submitted)
        governedSeconds += Bench.now() - start
        start = Bench.now()
        try raw.append(recorded)
        rawSeconds += Bench.now() - start
        precondition(results.count == submitted.count && !results.contains { $0.appended.isDuplicate })
        position += UInt64(recorded.count)
    }
    // The gate, replaying the history, must have written exactly the records it wrote the first time.
    var mismatches = 0
    try governed.ledger.forEachEvent { event in
        if try source.event(seq: event.seq)?.payloadDigest != event.payloadDigest { mismatches += 1 }
        return true
    }
    precondition(mismatches == 0, "\(mismatches) events differ from the history when replayed through the gate")
    governedRates.append(Double(total) / governedSeconds)
    rawRates.append(Double(total) / rawSeconds)
    print("  run \(run): governed \(Int(governedRates.last!)) ev/s, raw log \(Int(rawRates.last!)) ev/s, replay identical")
}

let governedRate = Bench.median(governedRates)
let rawRate = Bench.median(rawRates)
print("")
print("| measure | GenLedger | limit (same run) | ratio | goal |")
print("|---|---|---|---|---|")
print(
    "| append through validation + gate, batches of \(options.batch) (events/s) | \(Int(governedRate)) | raw log append \(Int(rawRate)) events/s | \(String(format: "%.2f", governedRate / rawRate)) | ≥ 0.50 |"
)
