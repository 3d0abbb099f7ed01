import BenchSupport
import Foundation
import Governance
import LedgerLog

// `genledger import` in process: a simulated history written once as JSON Lines in the append
// input form (gate records removed, no ids: the importer derives them), then imported into a
// fresh ledger (audit mode, one transaction) and, as the limit of the same run, the same events
// as recorded appended straight into the log in slices of the same size. Prints medians, the
// ratio, and the importer's peak memory (VmHWM, in a process of its own).

struct Options {
    var deliverables = 5_000
    var runs = 3
    var seed: UInt64 = 42
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-import-bench").path
    var child: String?

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { break }
            switch flag {
            case "--deliverables": deliverables = Int(value)!
            case "--runs": runs = Int(value)!
            case "--seed": seed = UInt64(value)!
            case "--dir": directory = value
            case "--child-import": child = value
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

let options = Options()
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
let historyFile = options.directory + "/history-\(options.seed)-\(options.deliverables).jsonl"

/// Imports the file into a fresh ledger at `path`; returns (events, seconds).
func importOnce(into path: String) throws -> (Int, Double) {
    Bench.removeLedger(path)
    let governed = GovernedLedger(try Ledger.create(at: path, origin: "bench.example/import"))
    let reader = try JSONLinesReader(path: historyFile)
    let start = Bench.now()
    let summary = try governed.importHistory {
        guard let line = try reader.next() else { return nil }
        return (try ProposedEvent(line: line), reader.lineNumber)
    }
    let seconds = Bench.now() - start
    precondition(summary.appended == summary.read, "a fresh ledger has no duplicates")
    return (summary.appended, seconds)
}

if let child = options.child {
    // Child mode: one import in a process of its own, so its peak memory is the importer's.
    let (events, seconds) = try importOnce(into: child)
    print("events=\(events)")
    print("seconds=\(seconds)")
    print("peak_kib=\(Bench.peakMemoryKiB())")
    exit(0)
}

let sourcePath = options.directory + "/history-\(options.seed)-\(options.deliverables).db"
let source = try Bench.simulatedHistory(at: sourcePath, seed: options.seed, deliverables: options.deliverables)
let total = try source.size()
if !FileManager.default.fileExists(atPath: historyFile) {
    // The history as a pipeline's own log would give it: no gate records, no ids.
    let partial = historyFile + ".partial"
    FileManager.default.createFile(atPath: partial, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
    var buffer: [UInt8] = []
    try source.forEachEvent { event in
        var payload = event.payload
        if case .object(var members) = payload {
            members[DomainEvent.gateKey] = nil
            payload = .object(members)
        }
        let line: JSONValue = [
            "type": .string(event.type), "stream": .string(event.stream), "payload": payload,
            "occurred_at": .string(event.occurredAt), "actor": .string(event.actor),
        ]
        buffer += CanonicalJSON.bytes(of: line)
        buffer.append(0x0a)
        if buffer.count > 1 << 20 {
            handle.write(Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
        return true
    }
    handle.write(Data(buffer))
    try handle.close()
    try FileManager.default.moveItem(atPath: partial, toPath: historyFile)
}
print(
    "GenLedger import benchmark: \(total) events (\(options.deliverables) simulated deliverables), median of \(options.runs) runs"
)
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")

var importRates: [Double] = []
var rawRates: [Double] = []
var peaks: [Double] = []
for run in 1...options.runs {
    let importPath = options.directory + "/imported.db"
    let fields = try Bench.runSelf(["--child-import", importPath, "--deliverables", String(options.deliverables), "--seed", String(options.seed), "--dir", options.directory])
    func field(_ name: String) -> Double { Double(fields.first { $0.hasPrefix(name + "=") }!.dropFirst(name.count + 1))! }
    importRates.append(field("events") / field("seconds"))
    peaks.append(field("peak_kib") / 1024)

    // The limit: the same events, as recorded, straight into the log in slices of the same size.
    let rawPath = options.directory + "/raw.db"
    Bench.removeLedger(rawPath)
    let raw = try Ledger.create(at: rawPath, origin: "bench.example/raw")
    var seconds = 0.0
    var position: UInt64 = 0
    while position < total {
        var slice: [ProposedEvent] = []
        try source.forEachEvent(after: position, through: position + UInt64(GovernedLedger.importSlice)) { event in
            slice.append(
                ProposedEvent(
                    id: UUID(uuidString: event.id), type: event.type, stream: event.stream, payload: event.payload,
                    occurredAt: try Timestamp(rfc3339: event.occurredAt), actor: event.actor))
            return true
        }
        let start = Bench.now()
        try raw.append(slice)
        seconds += Bench.now() - start
        position += UInt64(slice.count)
    }
    rawRates.append(Double(total) / seconds)
    print("  run \(run): import \(Int(importRates.last!)) ev/s (peak \(String(format: "%.1f", peaks.last!)) MiB), raw log append \(Int(rawRates.last!)) ev/s")
}
let importRate = Bench.median(importRates)
let rawRate = Bench.median(rawRates)
print("")
print("| measure | GenLedger | limit (same run) | ratio | goal |")
print("|---|---|---|---|---|")
print(
    "| import, audit mode, one transaction (events/s) | \(Int(importRate)) | raw log append \(Int(rawRate)) events/s | \(String(format: "%.2f", importRate / rawRate)) | ≥ 50 000 events/s |"
)
print("| import peak memory, own process (MiB) | \(String(format: "%.1f", Bench.median(peaks))) | | | |")
